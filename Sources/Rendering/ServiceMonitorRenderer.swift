import JSONValue
import ServingAPI

/// The prometheus-operator ServiceMonitor (monitoring.coreos.com/v1) that
/// scrapes one InferenceService's predictor pods through its Service. Owned by
/// the InferenceService like the Deployment and Service, so it goes with it.
/// Rendered only when the operator runs with `--service-monitors` and the
/// cluster serves the kind (pure: the caller decides both).
public enum ServiceMonitorRenderer {
    public static let apiVersion = "monitoring.coreos.com/v1"
    public static let kind = "ServiceMonitor"

    /// - Parameter labels: extra labels, e.g. the `release` label a Prometheus' serviceMonitorSelector matches.
    public static func render(_ service: InferenceService, labels: [String: String]) throws(RenderingError) -> JSON {
        guard let namespace = service.metadata.namespace, !namespace.isEmpty else {
            throw .missingField("metadata.namespace")
        }
        guard let uid = service.metadata.uid, !uid.isEmpty else { throw .missingField("metadata.uid") }
        var metadata = PredictorRenderer.objectMetadata(service, namespace: namespace, uid: uid)
        var allLabels = PredictorLabels.all(instance: service.name)
        // Ours win: the selector-relevant labels must stay what the operator lists by.
        for key in labels.keys.sorted() where allLabels[key] == nil { allLabels[key] = .string(labels[key] ?? "") }
        metadata["labels"] = .object(allLabels)
        return [
            "apiVersion": .string(apiVersion),
            "kind": .string(kind),
            "metadata": .object(metadata),
            "spec": [
                "selector": ["matchLabels": .object(PredictorLabels.selector(instance: service.name))],
                "endpoints": [
                    ["port": .string(ServerCommandLine.portName), "path": "/metrics"],
                ],
            ],
        ]
    }
}
