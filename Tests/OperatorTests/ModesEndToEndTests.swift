import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import TestAPIServer
import TestSupport
import Testing

/// DryRun records decisions without touching replicas; Disabled follows the
/// InferenceService's scale subresource (`kubectl scale`) and never fights it;
/// an invalid spec gets Ready=False naming the field and leaves the
/// Deployment alone. The slow service is a real `inference-server` under
/// overload from `inference-loadgen`.
@Suite(.serialized, .disabled(if: !InferenceServerProcess.available, "skipped: needs .venv (make bootstrap), Prometheus and the built server"))
struct ModesEndToEndTests {
    static func object(_ name: String, mode: String) -> JSON {
        [
            "apiVersion": "serving.swiftinfer.io/v1alpha1",
            "kind": "InferenceService",
            "metadata": ["name": .string(name), "namespace": "ml"],
            "spec": [
                "model": ["name": "demo", "uri": "file:///models/demo.onnx"],
                "replicas": ["min": 2, "max": 8],
                "autoscaling": [
                    "mode": .string(mode), "intervalSeconds": 2,
                    "rules": ["latency": ["consecutiveIntervals": 2]],
                    "queries": ["p95Latency": #"histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{namespace="{{namespace}}"}[5s])))"#],
                ],
            ],
        ]
    }

    @Test func dryRunRecordsAndDisabledFollowsKubectlScaleAndInvalidSpecsAreReported() async throws {
        let cluster = try await Cluster.start()
        try await cluster.createNamespace("ml")
        let server = try await InferenceServerProcess.start()
        let prometheus = try await PrometheusServer.start(
            targets: [.init(address: "127.0.0.1:\(server.port)", labels: ["namespace": "ml", "service": "any"])])
        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: prometheus.url)
        func get(_ name: String) async throws -> JSON { try await cluster.client.get(inferenceServiceType, name: name, namespace: "ml") }
        func replicas(_ name: String) async throws -> Int64? {
            try await cluster.client.get(.deployments, name: "\(name)-predictor", namespace: "ml")[path: "spec", "replicas"]?.intValue
        }
        func context() -> Comment { "operator log:\n\(op.process.log.suffix(3000))" }

        let load = try server.overload()  // slow: the latency rule wants to scale (killed when released)
        _ = try await cluster.client.create(inferenceServiceType, Self.object("dry", mode: "DryRun"))
        _ = try await cluster.client.create(inferenceServiceType, Self.object("manual", mode: "Disabled"))

        // DryRun: a recommendation is recorded (status + Event), replicas stay at 2.
        let recommended = try await eventually(timeout: .seconds(60)) {
            (try await get("dry"))[path: "status", "recentDecisions"]?.arrayValue?.contains {
                ($0["reason"]?.stringValue ?? "").hasPrefix("[DryRun]") && $0["to"] == 4
            } == true
        }
        #expect(recommended, context())
        #expect(try await replicas("dry") == 2)
        #expect((try await get("dry")).condition("ScalingActive")?["reason"] == "DryRun")
        let events = try await cluster.client.list(.events, namespace: "ml")["items"]?.arrayValue ?? []
        #expect(events.contains { $0["reason"] == "ScaleRecommended" }, "\(events)")

        // Disabled: kubectl scale on the InferenceService sets the Deployment; the operator does not revert it.
        let scaled = try await Subprocess.run("/usr/bin/kubectl", ["--kubeconfig", cluster.kubeconfig, "scale", "infsvc/manual", "-n", "ml", "--replicas=5"])
        #expect(scaled.status == 0, "\(scaled.output)")
        let followed = try await eventually(timeout: .seconds(30)) { try await replicas("manual") == 5 }
        #expect(followed, context())
        try await Task.sleep(for: .seconds(6))  // three intervals of a slow server
        #expect(try await replicas("manual") == 5)
        #expect((try await get("manual")).condition("ScalingActive")?["reason"] == "Disabled")
        let scaleWrites = cluster.operatorWrites().filter { $0.contains("manual-predictor/scale") }
        #expect(scaleWrites.isEmpty, "\(scaleWrites)")
        await load.stop(signal: SIGKILL)

        // Invalid spec (unparsable PromQL template): Ready=False naming the field; the Deployment is left as it was.
        let before = try await cluster.client.get(.deployments, name: "manual-predictor", namespace: "ml")
        _ = try await cluster.client.patch(inferenceServiceType, name: "manual", namespace: "ml",
                                           .merge(["spec": ["autoscaling": ["queries": ["requestRate": "sum(rate(x[1m])"]]]]))
        let invalid = try await eventually(timeout: .seconds(30)) {
            let ready = (try await get("manual")).condition("Ready")
            return ready?["status"] == "False" && (ready?["message"]?.stringValue ?? "").contains("spec.autoscaling.queries.requestRate")
        }
        #expect(invalid, context())
        let after = try await cluster.client.get(.deployments, name: "manual-predictor", namespace: "ml")
        #expect(after[path: "metadata", "resourceVersion"] == before[path: "metadata", "resourceVersion"])

        await op.process.stop()
        await prometheus.stop()
        await server.process.stop()
        try await cluster.server.shutdown()
    }
}
