import JSONValue
import Trimming
import KubeAPI
import Rendering
import ServingAPI

/// `status.measuredBatching` from the pods that measured it (pure). A warming
/// pod whose batch size is unset runs `inference-server warmup` without
/// `--max-batch-size`: it measures throughput per batch size and run layout
/// and writes its choice, one JSON object, as the init container's
/// termination message (`{"maxBatchSize": 8, "concurrentBatches": 2,
/// "intraOpThreads": 1, ...}`). The pods measured for `key` carry it in their
/// `serving.swiftinfer.io/batching-measurement` annotation; the first of them
/// by name with a readable message is recorded. Pods on other hardware may
/// measure otherwise, but the pods that follow all run one batcher.
enum BatchingMeasurement {
    /// What to record once the measuring rollout has finished; nil while no
    /// measuring pod's init container has finished as far as the pod cache
    /// knows (its update enqueues the object again). Without a readable message
    /// (a message that is not ours) or without pods to read (`pods` nil: not
    /// watched) it says why and records no figures, so the next pods do not
    /// measure again and run the server's fallback.
    static func record(key: String, pods: [Pod]?) -> MeasuredBatching? {
        guard let pods else { return MeasuredBatching(key: key, note: "nothing recorded: the operator does not watch pods") }
        var problems: [String] = []
        let measuring = pods.filter { $0.metadata.annotations?[WarmupPlan.measurementAnnotation] == key }
        for pod in measuring.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            let name = pod.metadata.name ?? "?"
            guard let terminated = pod.status?.initContainerStatuses?
                .first(where: { $0.name == PredictorRenderer.initContainerName })?.state?.terminated, terminated.exitCode == 0
            else { continue }
            switch parse(terminated.message ?? "") {
            case .success(let figures):
                var measured = figures
                measured.key = key
                measured.note = "measured by pod \(name)"
                return measured
            case .failure(let problem):
                problems.append("pod \(name): \(problem.text)")
            }
        }
        guard !problems.isEmpty else { return nil }
        return MeasuredBatching(key: key, note: String("nothing recorded: \(problems.prefix(3).joined(separator: "; "))".prefix(1024)))
    }

    struct Problem: Error, Equatable { var text: String }

    /// The figures in one termination message, each within the server's ranges.
    static func parse(_ message: String) -> Result<MeasuredBatching, Problem> {
        let trimmed = message.trimmingWhitespace()
        guard !trimmed.isEmpty else { return .failure(Problem(text: "empty termination message")) }
        let json: JSON
        do { json = try JSON.parse(trimmed) } catch { return .failure(Problem(text: "termination message is not JSON: \(error)")) }
        guard json.objectValue != nil else { return .failure(Problem(text: "termination message is a JSON \(json.typeName), not an object")) }
        func field(_ name: String, in range: ClosedRange<Int>, required: Bool) throws(Problem) -> Int? {
            guard let value = json[name], !value.isNull else {
                if required { throw Problem(text: "termination message has no \(name)") }
                return nil
            }
            guard let number = value.intValue else { throw Problem(text: "\(name) is a \(value.typeName), not an integer") }
            guard range.contains(Int(clamping: number)) else {
                throw Problem(text: "\(name) \(number) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            return Int(number)
        }
        do throws(Problem) {
            return .success(MeasuredBatching(
                key: "",
                maxBatchSize: try field("maxBatchSize", in: Limits.maxBatchSize, required: true),
                concurrentBatches: try field("concurrentBatches", in: 1...1024, required: false),
                intraOpThreads: try field("intraOpThreads", in: 1...1024, required: false)))
        } catch {
            return .failure(error)
        }
    }
}
