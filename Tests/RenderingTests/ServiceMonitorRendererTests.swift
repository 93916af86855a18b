import JSONValue
import Rendering
import ServingAPI
import Testing

/// The per-InferenceService ServiceMonitor: owned by the object, selecting
/// exactly the predictor Service's labels and scraping its named port.
@Suite struct ServiceMonitorRendererTests {
    @Test func selectsThePredictorServiceAndScrapesItsPort() throws {
        let object = service(name: "demo", namespace: "ml", cpuSpec())
        let monitor = try ServiceMonitorRenderer.render(object, labels: ["release": "prometheus"])
        let rendered = try PredictorRenderer.render(object, replicas: 2, lastWarmedFingerprint: nil)
        #expect(monitor["apiVersion"] == "monitoring.coreos.com/v1")
        #expect(monitor["kind"] == "ServiceMonitor")
        #expect(monitor[path: "metadata", "name"] == "demo-predictor")
        #expect(monitor[path: "metadata", "namespace"] == "ml")
        #expect(monitor[path: "metadata", "ownerReferences"] == rendered.service[path: "metadata", "ownerReferences"])
        #expect(monitor[path: "metadata", "labels", "release"] == "prometheus")
        let selector = monitor[path: "spec", "selector", "matchLabels"]?.objectValue ?? [:]
        let serviceLabels = rendered.service[path: "metadata", "labels"]?.objectValue ?? [:]
        #expect(!selector.isEmpty && selector.allSatisfy { serviceLabels[$0.0] == $0.1 }, "selects the predictor Service")
        #expect(monitor[path: "spec", "endpoints"]?[0]?["port"] == rendered.service[path: "spec", "ports"]?[0]?["name"])
        #expect(monitor[path: "spec", "endpoints"]?[0]?["path"] == "/metrics")
    }

    @Test func extraLabelsNeverReplaceTheOperatorsOwn() throws {
        let monitor = try ServiceMonitorRenderer.render(service(name: "demo", namespace: "ml", cpuSpec()),
                                                        labels: ["app.kubernetes.io/managed-by": "someone-else", "team": "a"])
        #expect(monitor[path: "metadata", "labels", "app.kubernetes.io/managed-by"] == "inference-operator")
        #expect(monitor[path: "metadata", "labels", "team"] == "a")
    }

    @Test func needsANamespaceAndUID() {
        #expect(throws: RenderingError.self) { try ServiceMonitorRenderer.render(service(namespace: nil, cpuSpec()), labels: [:]) }
        #expect(throws: RenderingError.self) { try ServiceMonitorRenderer.render(service(uid: nil, cpuSpec()), labels: [:]) }
    }
}
