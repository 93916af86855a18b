import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import TestAPIServer
import TestSupport
import Testing

/// The operator as a separate process against the test API server, a real
/// Prometheus and a workload exposing the server's latency histogram.
/// Intervals and windows are shortened through the spec, not the defaults.
@Suite(.serialized, .disabled(if: !PrometheusServer.isInstalled, "skipped: /usr/bin/prometheus is missing (make test installs it)"))
struct OperatorEndToEndTests {
    static func inferenceService(name: String, namespace: String) -> JSON {
        [
            "apiVersion": "serving.swiftinfer.io/v1alpha1",
            "kind": "InferenceService",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "model": ["name": "demo", "uri": "file:///models/demo.onnx"],
                "replicas": ["min": 2, "max": 8],
                "autoscaling": [
                    "mode": "Active",
                    "intervalSeconds": 2,
                    "rules": ["latency": ["consecutiveIntervals": 3], "idle": ["afterSeconds": 6]],
                    // A 5 s rate window so "no requests" shows within seconds (default 1m).
                    "queries": ["requestRate": #"sum(rate(inference_request_duration_seconds_count{namespace="{{namespace}}",service="{{name}}-predictor"}[5s]))"#],
                ],
            ],
        ]
    }

    @Test func reconcilesScalesRecordsSurvivesRestartAndCleansUp() async throws {
        let cluster = try await Cluster.start()
        try await cluster.createNamespace("ml")
        let workload = try await Workload.start()
        var prometheus: PrometheusServer? = try await PrometheusServer.start(
            targets: [.init(address: "127.0.0.1:\(workload.port)", labels: ["namespace": "ml", "service": "demo-predictor"])])
        let prometheusURL = prometheus!.url
        var op = try await OperatorProcess.start(cluster: cluster, prometheusURL: prometheusURL)
        defer { _ = cluster }
        func object() async throws -> JSON { try await cluster.client.get(inferenceServiceType, name: "demo", namespace: "ml") }
        func deploymentReplicas() async throws -> Int64? {
            try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")[path: "spec", "replicas"]?.intValue
        }
        func failureContext() async -> Comment {
            let status = (try? await object())?["status"]?.prettySerialized() ?? "?"
            return "status:\n\(status)\noperator log:\n\(op.process.log.suffix(3000))"
        }
        func check(_ ok: Bool, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) async {
            if !ok { Issue.record("\(what)\n\(await failureContext())", sourceLocation: sourceLocation) }
        }

        // 1. Create → Deployment and Service appear; status fills in; no spurious writes after.
        try await workload.set(rps: 20, latencyMs: 40)
        _ = try await cluster.client.create(inferenceServiceType, Self.inferenceService(name: "demo", namespace: "ml"))
        let created = await eventually(timeout: .seconds(60)) {
            let d = try? await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")
            let s = try? await cluster.client.get(.services, name: "demo-predictor", namespace: "ml")
            return d != nil && s != nil
        }
        await check(created, "Deployment and Service created")
        try #require(created)
        let deployment = try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")
        #expect(deployment[path: "spec", "replicas"] == 2)
        #expect(deployment[path: "spec", "template", "metadata", "labels", "inference.warmup"] == "true")
        #expect(deployment[path: "metadata", "ownerReferences"]?[0]?["kind"] == "InferenceService")
        #expect(deployment[path: "spec", "template", "spec", "containers"]?[0]?["args"]?.arrayValue?.contains("serve") == true)
        let ready = try await eventually(timeout: .seconds(30)) {
            let current = try await object()
            return current.condition("Ready")?["status"] == "True" && current.condition("MetricsAvailable")?["status"] == "True"
        }
        await check(ready, "ready")
        // Warmup: the rendered pods carry the label until the rollout completes; then status records the fingerprint.
        let warmed = try await eventually(timeout: .seconds(30)) {
            try await object()[path: "status", "warmedFingerprint"]?.stringValue?.hasPrefix("fp") == true
        }
        await check(warmed, "warm fingerprint recorded once the pods are ready")
        let labelDropped = try await eventually(timeout: .seconds(30)) {
            let d = try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")
            return d[path: "spec", "template", "metadata", "labels", "inference.warmup"] == nil
        }
        await check(labelDropped, "warmup label removed once warmed")
        #expect(await op.get("/readyz").status == 200)
        #expect(await op.get("/healthz").status == 200)

        let quietStart = cluster.logCount
        try await Task.sleep(for: .seconds(6))
        let quietWrites = cluster.operatorWrites(after: quietStart).filter { !$0.hasSuffix("/status") && !$0.contains("/events") && !$0.contains("/leases/") }
        #expect(quietWrites.isEmpty, "writes while nothing changed: \(quietWrites)")

        // 2. p95 above 200 ms for 3 intervals → +2 replicas, an Event, a decision in status.
        try await workload.set(rps: 20, latencyMs: 400)
        let scaledUp = try await eventually(timeout: .seconds(60)) { (try await deploymentReplicas() ?? 0) >= 4 }
        await check(scaledUp, "scaledUp")
        // Status follows the scale write (reconcile is its only writer).
        var decisions: [JSON] = []
        let upRecorded = try await eventually(timeout: .seconds(15)) {
            decisions = try await object()[path: "status", "recentDecisions"]?.arrayValue ?? []
            return decisions.contains { $0["rule"] == "latency" && $0["from"] == 2 && $0["to"] == 4 }
        }
        await check(upRecorded, "latency decision 2 -> 4 recorded: \(decisions)")
        let eventRecorded = try await eventually(timeout: .seconds(15)) {
            let events = try await cluster.client.list(.events, namespace: "ml")["items"]?.arrayValue ?? []
            return events.contains { $0["reason"] == "ScaledUp" && ($0["note"]?.stringValue ?? "").contains("latency") }
        }
        await check(eventRecorded, "ScaledUp event naming the latency rule")
        let metrics = await op.get("/metrics").body
        #expect(metrics.contains("operator_scaling_decisions_total"), "\(metrics.prefix(2000))")

        // 3. Traffic stops → after the idle window, replicas go to min.
        try await workload.set(rps: 0, latencyMs: 40)
        // The default p95 query keeps a 1 m window, and scale-down waits until it no longer breaches.
        let scaledDown = try await eventually(timeout: .seconds(150)) { try await deploymentReplicas() == 2 }
        await check(scaledDown, "scaledDown")
        // Status follows the scale write (reconcile is its only writer).
        let idleRecorded = try await eventually(timeout: .seconds(15)) {
            try await object()[path: "status", "recentDecisions"]?.arrayValue?.contains { $0["rule"] == "idle" } == true
        }
        await check(idleRecorded, "idle decision recorded in status")

        // 4. Prometheus stops → MetricsAvailable=False, replicas held.
        await prometheus?.stop()
        prometheus = nil
        let unavailable = try await eventually(timeout: .seconds(30)) {
            try await object().condition("MetricsAvailable")?["status"] == "False"
        }
        await check(unavailable, "unavailable")
        let outageStart = cluster.logCount
        try await Task.sleep(for: .seconds(5))
        #expect(try await deploymentReplicas() == 2)
        #expect(cluster.operatorWrites(after: outageStart).filter { $0.contains("deployments") }.isEmpty)

        // 5. Kill the operator and start it again: it resumes from the cluster state without duplicate changes.
        let decisionsBeforeKill = (try await object())[path: "status", "recentDecisions"]?.arrayValue?.count ?? 0
        await op.process.stop(signal: SIGKILL)
        let restartStart = cluster.logCount
        op = try await OperatorProcess.start(cluster: cluster, prometheusURL: prometheusURL)
        let resumed = await eventually(timeout: .seconds(30)) { await op.get("/readyz").status == 200 }
        await check(resumed, "resumed")
        try await Task.sleep(for: .seconds(5))
        let restartWrites = cluster.operatorWrites(after: restartStart).filter { $0.contains("deployments") || $0.contains("/services/") }
        #expect(restartWrites.isEmpty, "duplicate writes after restart: \(restartWrites)")
        #expect(try await deploymentReplicas() == 2)
        let decisionCount = (try await object())[path: "status", "recentDecisions"]?.arrayValue?.count ?? 0
        #expect(decisionCount == decisionsBeforeKill, "decisions lost or duplicated across the restart")

        // 6. Delete → owned objects are garbage-collected.
        _ = try await cluster.client.delete(inferenceServiceType, name: "demo", namespace: "ml")
        let collected = try await eventually(timeout: .seconds(30)) {
            do {
                _ = try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")
                return false
            } catch let error as KubeAPIError {
                if case .notFound = error { return true }
                throw error
            }
        }
        #expect(collected)

        // Graceful shutdown exits 0 and releases the lease.
        let exit = await op.process.stop(signal: SIGTERM, timeout: .seconds(20))
        await check(exit == 0, "graceful exit code \(String(describing: exit))")
        let lease = try await cluster.client.get(.leases, name: "inference-operator", namespace: "default")
        #expect(lease[path: "spec", "holderIdentity"] == nil || lease[path: "spec", "holderIdentity"] == "")
        await workload.process.stop()
        try await cluster.server.shutdown()
    }
}
