import KubeAPI
@testable import Operator
import ServingAPI
import Testing

/// `ModelFetchFailed` from pod statuses (pure).
@Suite struct ModelFetchConditionTests {
    typealias State = Pod.ContainerState

    static func pod(_ name: String, state: State, lastState: State? = nil, restarts: Int32 = 0) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "ml"),
            status: .init(phase: "Pending", initContainerStatuses: [
                .init(name: "warmup", restartCount: restarts, state: state, lastState: lastState),
            ]))
    }

    static let failed = State(terminated: .init(exitCode: 1, reason: "Error",
                                                message: "Error: could not fetch s3://models/bert/model.onnx: HTTP 403 SignatureDoesNotMatch\n"))
    static let backingOff = State(waiting: .init(reason: "CrashLoopBackOff", message: "back-off 40s"))
    static let fetched = State(terminated: .init(exitCode: 0, reason: "Completed"))

    @Test func aFailedInitContainerSetsItWithItsMessage() throws {
        let condition = try #require(ModelFetchCondition.condition(pods: [Self.pod("p-1", state: Self.failed)], generation: 4, now: "t"))
        #expect(condition.type == "ModelFetchFailed" && condition.status == .true && condition.reason == "InitContainerFailed")
        #expect(condition.message == "pod p-1: init container warmup exited 1: Error: could not fetch s3://models/bert/model.onnx: HTTP 403 SignatureDoesNotMatch")
        #expect(condition.observedGeneration == 4)
    }

    @Test func aCrashLoopReportsTheLastFailureAndTheRestarts() throws {
        let pods = [Self.pod("p-2", state: Self.backingOff, lastState: Self.failed, restarts: 3)]
        let condition = try #require(ModelFetchCondition.condition(pods: pods, generation: 1, now: "t"))
        #expect(condition.status == .true && condition.message.hasPrefix("pod p-2: init container warmup exited 1 (3 restarts): Error"))
    }

    @Test func oneFetchedAndNoneFailingClearsIt() throws {
        let condition = try #require(ModelFetchCondition.condition(pods: [Self.pod("p-3", state: Self.fetched)], generation: 1, now: "t"))
        #expect(condition.status == .false && condition.reason == "ModelFetched")
        // A failing pod beside a fetched one still sets it: that pod cannot start.
        let mixed = [Self.pod("p-3", state: Self.fetched), Self.pod("p-4", state: Self.failed)]
        #expect(ModelFetchCondition.condition(pods: mixed, generation: 1, now: "t")?.status == .true)
    }

    /// Pods still starting, or none, say nothing either way.
    @Test func podsThatSayNothingLeaveItAsItIs() {
        #expect(ModelFetchCondition.condition(pods: [], generation: 1, now: "t") == nil)
        #expect(ModelFetchCondition.condition(pods: [Self.pod("p-5", state: State(running: [:]))], generation: 1, now: "t") == nil)
        // Restarted after a failure and running again: not failing now.
        #expect(ModelFetchCondition.condition(pods: [Self.pod("p-6", state: State(running: [:]), lastState: Self.failed, restarts: 1)],
                                              generation: 1, now: "t") == nil)
    }

    @Test(arguments: [
        ("GET https://user:pa55@models.example/m.onnx failed", "GET https://models.example/m.onnx failed"),
        ("s3 https://bucket.s3.amazonaws.com/m.onnx?X-Amz-Signature=abc&X-Amz-Credential=AKIA expired",
         "s3 https://bucket.s3.amazonaws.com/m.onnx?... expired"),
        ("no url here", "no url here"),
    ])
    func credentialsInURLsAreRemoved(text: String, expected: String) {
        #expect(ModelFetchCondition.redactingURLs(text) == expected)
    }

    @Test func aLongMessageIsCut() throws {
        let long = State(terminated: .init(exitCode: 2, message: String(repeating: "x", count: 5000)))
        let condition = try #require(ModelFetchCondition.condition(pods: [Self.pod("p-7", state: long)], generation: 1, now: "t"))
        #expect(condition.message.count <= ModelFetchCondition.maxMessage + "pod p-7: ".count)
    }
}
