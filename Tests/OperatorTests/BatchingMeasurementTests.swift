import JSONValue
import KubeAPI
@testable import Operator
import Rendering
import ServingAPI
import Testing

/// `status.measuredBatching` from the measuring pods' termination messages (pure).
@Suite struct BatchingMeasurementTests {
    static let key = "bm1-00000000000000aa"

    static func pod(_ name: String, key: String? = BatchingMeasurementTests.key, exitCode: Int32? = 0, message: String? = nil) -> Pod {
        let state: Pod.ContainerState = exitCode.map { .init(terminated: .init(exitCode: $0, reason: "Completed", message: message)) }
            ?? Pod.ContainerState(running: .object([:]))
        return Pod(metadata: ObjectMeta(name: name, namespace: "ml", annotations: key.map { [WarmupPlan.measurementAnnotation: $0] }),
                   status: .init(phase: "Running", initContainerStatuses: [.init(name: "warmup", restartCount: 0, state: state)]))
    }

    @Test func theFirstMeasuringPodByNameIsRecorded() throws {
        let pods = [
            Self.pod("p-b", message: #"{"maxBatchSize":8,"source":"measured"}"#),
            Self.pod("p-a", message: #"{"maxBatchSize":4,"concurrentBatches":2,"intraOpThreads":1,"source":"measured"}"# + "\n"),
            Self.pod("p-0", key: "bm1-another", message: #"{"maxBatchSize":64}"#),
        ]
        let measured = try #require(BatchingMeasurement.record(key: Self.key, pods: pods))
        #expect(measured == MeasuredBatching(key: Self.key, maxBatchSize: 4, concurrentBatches: 2, intraOpThreads: 1,
                                             note: "measured by pod p-a"))
    }

    @Test func itWaitsForAMeasuringPodToFinish() {
        #expect(BatchingMeasurement.record(key: Self.key, pods: []) == nil)
        #expect(BatchingMeasurement.record(key: Self.key, pods: [Self.pod("p-a", exitCode: nil)]) == nil)
        #expect(BatchingMeasurement.record(key: Self.key, pods: [Self.pod("p-a", exitCode: 1, message: "Error: no model")]) == nil)
        #expect(BatchingMeasurement.record(key: Self.key, pods: [Self.pod("p-a", key: nil, message: #"{"maxBatchSize":8}"#)]) == nil)
        // Pods not watched: nothing will ever come, so it says so instead of waiting.
        #expect(BatchingMeasurement.record(key: Self.key, pods: nil)?.note == "nothing recorded: the operator does not watch pods")
    }

    /// A message that is not a usable measurement is named, never recorded as figures.
    @Test(arguments: [
        ("", "pod p-a: empty termination message"),
        ("warmup: done", "pod p-a: termination message is not JSON"),
        ("[8]", "pod p-a: termination message is a JSON array, not an object"),
        (#"{"source":"measured"}"#, "pod p-a: termination message has no maxBatchSize"),
        (#"{"maxBatchSize":"8"}"#, "pod p-a: maxBatchSize is a string, not an integer"),
        (#"{"maxBatchSize":0}"#, "pod p-a: maxBatchSize 0 is outside 1...1024"),
        (#"{"maxBatchSize":8,"concurrentBatches":5000}"#, "pod p-a: concurrentBatches 5000 is outside 1...1024"),
        (#"{"maxBatchSize":8,"intraOpThreads":-1}"#, "pod p-a: intraOpThreads -1 is outside 1...1024"),
    ])
    func anUnusableMessageIsNamed(message: String, problem: String) throws {
        let measured = try #require(BatchingMeasurement.record(key: Self.key, pods: [Self.pod("p-a", message: message)]))
        #expect(measured.maxBatchSize == nil && measured.concurrentBatches == nil && measured.intraOpThreads == nil)
        let note = try #require(measured.note)
        #expect(note.hasPrefix("nothing recorded: " + problem), "\(note)")
        // One good pod beside it is recorded.
        let both = [Self.pod("p-a", message: message), Self.pod("p-b", message: #"{"maxBatchSize":16}"#)]
        #expect(BatchingMeasurement.record(key: Self.key, pods: both)?.maxBatchSize == 16)
    }

    /// The warming rollout records the fingerprint and the measurement together,
    /// and not before a measuring pod has reported.
    @Test func statusRecordsTheMeasurementWhenTheMeasuringRolloutFinishes() throws {
        var spec = InferenceServiceSpec(model: ModelSpec(name: "m", uri: "http://models.example/m.onnx"))
        spec.replicas = ReplicasSpec(min: 1, max: 4)
        let service = InferenceService(metadata: ObjectMeta(name: "m", namespace: "ml", uid: "u", generation: 1), spec: spec)
        let plan = WarmupPlan(spec: spec, lastWarmedFingerprint: nil)
        #expect(plan.measures)
        var deployment = Deployment(metadata: ObjectMeta(name: "m-predictor", namespace: "ml", generation: 2))
        deployment.status = .init(observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1)
        func update(_ pods: [Pod]?) -> InferenceServiceStatus {
            var status = InferenceServiceStatus()
            StatusRules.update(&status, service: service, deployment: deployment, plan: plan, generation: 1, now: "t",
                               replicasApplied: 1, pods: pods)
            return status
        }
        let waiting = update([Self.pod("p-a", key: plan.measurementKey, exitCode: nil)])
        #expect(waiting.warmedFingerprint == nil && waiting.measuredBatching == nil)
        #expect(waiting.conditions?.first { $0.type == "WarmupComplete" }?.reason == "WarmingUp")
        let done = update([Self.pod("p-a", key: plan.measurementKey, message: #"{"maxBatchSize":4,"concurrentBatches":2,"intraOpThreads":1}"#)])
        #expect(done.warmedFingerprint == plan.fingerprint.value)
        #expect(done.measuredBatching?.maxBatchSize == 4 && done.measuredBatching?.key == plan.measurementKey)
        let condition = try #require(done.conditions?.first { $0.type == "WarmupComplete" })
        #expect(condition.status == .true && condition.message.hasSuffix("batcher max batch 4 × 2 concurrent, 1 intra-op thread (measured by pod p-a)"))
        // With that recorded, the next plan neither warms nor measures: the pods that follow serve it.
        let next = WarmupPlan(spec: spec, lastWarmedFingerprint: done.warmedFingerprint, measured: done.measuredBatching)
        #expect(!next.warm && next.served == ServedBatching(maxBatchSize: 4, concurrentBatches: 2, intraOpThreads: 1))
    }
}
