import Trimming
import KubeAPI
import Rendering
import ServingAPI

/// `ModelFetchFailed` from the predictor and candidate pods (pure). The init
/// container `warmup` fetches the model; when it exits non-zero the kubelet
/// restarts it (CrashLoopBackOff), and its termination message, the tail of
/// its log (`FallbackToLogsOnError`), says why: a wrong key, a missing
/// object, an unreachable endpoint. The fetch is atomic, so a failed one
/// leaves no partial model behind. The condition carries that message with
/// any credentials in URLs removed.
enum ModelFetchCondition {
    static let type = ConditionType.modelFetchFailed.rawValue
    /// Kubernetes caps a condition message at 32768 bytes; a few lines say enough.
    static let maxMessage = 1024

    /// The first failing pod (by name) and why, or nil when none failed.
    static func failure(in pods: [Pod]) -> (pod: String, why: String)? {
        for pod in pods.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            guard let status = pod.status?.initContainerStatuses?.first(where: { $0.name == PredictorRenderer.initContainerName })
            else { continue }
            // Failed now, or failed before and waiting to be restarted.
            let terminated = status.state?.terminated.flatMap { $0.exitCode != 0 ? $0 : nil }
                ?? (status.state?.waiting != nil ? status.lastState?.terminated.flatMap { $0.exitCode != 0 ? $0 : nil } : nil)
            guard let terminated else { continue }
            var why = "init container \(PredictorRenderer.initContainerName) exited \(terminated.exitCode)"
            if let restarts = status.restartCount, restarts > 0 { why += " (\(restarts) restarts)" }
            let message = (terminated.message ?? terminated.reason ?? "").trimmingWhitespace()
            if !message.isEmpty { why += ": " + redactingURLs(message) }
            return (pod.metadata.name ?? "?", String(why.prefix(maxMessage)))
        }
        return nil
    }

    /// Whether some pod's init container has fetched the model (exited 0).
    static func fetched(in pods: [Pod]) -> Bool {
        pods.contains { pod in
            pod.status?.initContainerStatuses?.contains {
                $0.name == PredictorRenderer.initContainerName && $0.state?.terminated?.exitCode == 0
            } ?? false
        }
    }

    /// True with the failing pod's message; False once a pod fetched and none
    /// fails; nil (leave as is) with no pod that says either.
    static func condition(pods: [Pod], generation: Int64?, now: String) -> ServingAPI.Condition? {
        if let failure = failure(in: pods) {
            return ServingAPI.Condition(type: type, status: .true, observedGeneration: generation, lastTransitionTime: now,
                                        reason: "InitContainerFailed", message: "pod \(failure.pod): \(failure.why)")
        }
        guard fetched(in: pods) else { return nil }
        return ServingAPI.Condition(type: type, status: .false, observedGeneration: generation, lastTransitionTime: now,
                                    reason: "ModelFetched", message: "the model was fetched")
    }

    /// `scheme://user:secret@host/...?X-Amz-Signature=...` → `scheme://host/...?...` wherever a URL appears.
    static func redactingURLs(_ text: String) -> String {
        var result = text.replacing(#/([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/@]+@/#) { match in String(match.output.1) }
        result = result.replacing(#/(://[^\s?#]*)[?#][^\s]*/#) { match in String(match.output.1) + "?..." }
        return result
    }
}
