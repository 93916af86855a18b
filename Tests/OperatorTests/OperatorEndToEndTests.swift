import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import TestAPIServer
import TestSupport
import Testing

/// The issue's lifecycle, all against real parts: the operator as a separate
/// process, the test API server, a real Prometheus and a real
/// `inference-server` (all-MiniLM-L6-v2 int8) overloaded by
/// `inference-loadgen`. There is no kubelet: `KubeletStandIn` marks the
/// Deployment's replicas ready through its status subresource while the
/// server answers `/v2/health/ready`. Intervals and windows are shortened
/// through the spec, not the defaults.
@Suite(.serialized, .disabled(if: !InferenceServerProcess.available, "skipped: needs .venv (make bootstrap), Prometheus and the built server"))
struct OperatorEndToEndTests {
    static func inferenceService(name: String, namespace: String, min: Int = 2) -> JSON {
        [
            "apiVersion": "serving.swiftinfer.io/v1alpha1",
            "kind": "InferenceService",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "model": ["name": "minilm", "uri": "file:///models/minilm.onnx"],
                // Set: the stand-in kubelet writes no pods, so nothing could report a measured batcher
                // (ModelFetchEndToEndTests covers that with real init containers).
                "batching": ["maxBatchSize": 8],
                "replicas": ["min": .int(Int64(min)), "max": 8],
                "autoscaling": [
                    "mode": "Active",
                    "intervalSeconds": 2,
                    "rules": ["latency": ["consecutiveIntervals": 3], "idle": ["afterSeconds": 6]],
                    // 5 s windows (defaults 1m) so "slow" and "no requests" show within seconds.
                    "queries": [
                        "p95Latency": #"histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{namespace="{{namespace}}",service="{{name}}-predictor"}[5s])))"#,
                        "requestRate": #"sum(rate(inference_request_duration_seconds_count{namespace="{{namespace}}",service="{{name}}-predictor"}[5s]))"#,
                    ],
                ],
            ],
        ]
    }

    @Test func reconcilesScalesOnTheRealServersP95RecordsSurvivesRestartAndCleansUp() async throws {
        let server = try await InferenceServerProcess.start()
        let cluster = try await Cluster.start(simulateDeployments: false)
        try await cluster.createNamespace("ml")
        let target = PrometheusServer.Target(address: "127.0.0.1:\(server.port)", labels: ["namespace": "ml", "service": "demo-predictor"])
        var prometheus: PrometheusServer? = try await PrometheusServer.start(targets: [target])
        var op = try await OperatorProcess.start(cluster: cluster, prometheusURL: prometheus!.url)
        let kubelet = KubeletStandIn(cluster: cluster, deployment: "demo-predictor", namespace: "ml") { await server.isReady() }
        defer { kubelet.stop() }
        func object() async throws -> JSON { try await cluster.client.get(inferenceServiceType, name: "demo", namespace: "ml") }
        func deploymentReplicas() async throws -> Int64? {
            try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")[path: "spec", "replicas"]?.intValue
        }
        func scaleEvents() async throws -> [JSON] {
            (try await cluster.client.list(.events, namespace: "ml")["items"]?.arrayValue ?? [])
                .filter { ["ScaledUp", "ScaledDown"].contains($0["reason"]?.stringValue ?? "") }
        }
        func failureContext() async -> Comment {
            let status = (try? await object())?["status"]?.prettySerialized() ?? "?"
            return "status:\n\(status)\noperator log:\n\(op.process.log.suffix(3000))"
        }
        func check(_ ok: Bool, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) async {
            if !ok { Issue.record("\(what)\n\(await failureContext())", sourceLocation: sourceLocation) }
        }

        // 1. Create → Deployment and Service appear; status and printer columns fill in; no spurious writes after.
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
        // Ready once the stand-in kubelet reports the pods ready (the real server answers its readiness probe).
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
        // Printer columns as kubectl shows them: NAME MODEL MODE READY (ready replicas) DESIRED P95 GPU AGE.
        let table = try await Subprocess.run("/usr/bin/kubectl", ["--kubeconfig", cluster.kubeconfig, "get", "infsvc", "demo", "-n", "ml"])
        let header = table.output.split(separator: "\n").first.map { $0.split(separator: " ").map(String.init) } ?? []
        let row = table.output.split(separator: "\n").dropFirst().first.map { $0.split(separator: " ").map(String.init) } ?? []
        #expect(table.status == 0 && header.starts(with: ["NAME", "MODEL", "MODE", "READY", "DESIRED"]), "\(table.output)")
        #expect(row.starts(with: ["demo", "minilm", "Active", "2"]), "ready replicas in the READY column: \(table.output)")

        let quietStart = cluster.logCount
        try await Task.sleep(for: .seconds(6))
        let quietWrites = cluster.operatorWrites(after: quietStart).filter { !$0.hasSuffix("/status") && !$0.contains("/events") && !$0.contains("/leases/") }
        #expect(quietWrites.isEmpty, "writes while nothing changed: \(quietWrites)")

        // 2. Real overload: the server's p95 above 200 ms for 3 intervals → +2 replicas, an Event, a decision in status.
        let load = try server.overload()  // killed when released, should the test fail early
        let scaledUp = try await eventually(timeout: .seconds(90)) { (try await deploymentReplicas() ?? 0) >= 4 }
        await load.stop(signal: SIGKILL)
        await check(scaledUp, "scaled up on the real p95")
        // Status follows the scale write (reconcile is its only writer).
        var decisions: [JSON] = []
        let upRecorded = try await eventually(timeout: .seconds(15)) {
            decisions = try await object()[path: "status", "recentDecisions"]?.arrayValue ?? []
            return decisions.contains { $0["rule"] == "latency" && $0["from"] == 2 && $0["to"] == 4 }
        }
        await check(upRecorded, "latency decision 2 -> 4 recorded: \(decisions)")
        let eventRecorded = try await eventually(timeout: .seconds(15)) {
            try await scaleEvents().contains { $0["reason"] == "ScaledUp" && ($0["note"]?.stringValue ?? "").contains("latency") }
        }
        await check(eventRecorded, "ScaledUp event naming the latency rule")
        let metrics = await op.get("/metrics").body
        #expect(metrics.contains("operator_scaling_decisions_total"), "\(metrics.prefix(2000))")
        // The per-object gauges the chart's alerts and dashboard join to the server's series on (namespace, service).
        for gauge in ["operator_latency_threshold_seconds", "operator_max_replicas", "operator_metrics_available", "operator_ready_replicas"] {
            #expect(metrics.split(separator: "\n").contains { $0.hasPrefix(gauge + "{") && $0.contains("namespace=\"ml\"")
                        && $0.contains("name=\"demo\"") && $0.contains("service=\"demo-predictor\"") },
                    "\(gauge) for ml/demo in the operator's /metrics:\n\(metrics.prefix(4000))")
        }
        let serverMetrics = try await Subprocess.run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(server.port)/metrics"])
        #expect(serverMetrics.output.contains("inference_request_duration_seconds_bucket"))

        // 3. Traffic stops → after the idle window, replicas go to min.
        let scaledDown = try await eventually(timeout: .seconds(90)) { try await deploymentReplicas() == 2 }
        await check(scaledDown, "scaled down to min after the idle window")
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
        await check(unavailable, "MetricsAvailable=False")
        let outageStart = cluster.logCount
        try await Task.sleep(for: .seconds(5))
        #expect(try await deploymentReplicas() == 2)
        #expect(cluster.operatorWrites(after: outageStart).filter { $0.contains("deployments") }.isEmpty)

        // 5. Kill the operator; while it is down a user raises replicas.min to 3 and Prometheus comes back.
        //    The new operator resumes from the cluster state: the edit is applied once (not lost, not
        //    doubled), nothing else is rewritten, and no decision or Event is lost or repeated.
        let decisionsBeforeKill = (try await object())[path: "status", "recentDecisions"]?.arrayValue ?? []
        let generationBeforeKill = try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")[path: "metadata", "generation"]?.intValue ?? 0
        let eventsBeforeKill = try await scaleEvents().count
        await op.process.stop(signal: SIGKILL)
        _ = try await cluster.client.patch(inferenceServiceType, name: "demo", namespace: "ml", .merge(["spec": ["replicas": ["min": 3]]]))
        prometheus = try await PrometheusServer.start(targets: [target])
        let restartStart = cluster.logCount
        op = try await OperatorProcess.start(cluster: cluster, prometheusURL: prometheus!.url)
        let resumed = try await eventually(timeout: .seconds(45)) {
            let replicas = try await deploymentReplicas()
            let metrics = try await object().condition("MetricsAvailable")?["status"]
            return replicas == 3 && metrics == "True"
        }
        await check(resumed, "resumed: the edit applied and metrics read again")
        try await Task.sleep(for: .seconds(5))
        // One change: the Deployment's generation moves by exactly one. The write log may show a second,
        // identical apply (the scaling loop can read the Deployment from its cache before the first
        // apply's watch event arrives and record a belowMinimum 2 -> 3 itself); the API server stores
        // nothing for it, so at most two writes and never a second change.
        let restartWrites = cluster.operatorWrites(after: restartStart)
        let deploymentWrites = restartWrites.filter { $0.contains("/deployments/") }
        let generation = try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")[path: "metadata", "generation"]?.intValue ?? 0
        #expect(generation == generationBeforeKill + 1, "Deployment writes after the restart: \(deploymentWrites)")
        #expect((1...2).contains(deploymentWrites.count), "Deployment writes after the restart: \(deploymentWrites)")
        #expect(restartWrites.filter { $0.contains("/services/") }.isEmpty, "\(restartWrites)")
        #expect(try await deploymentReplicas() == 3)
        let decisionsAfter = (try await object())[path: "status", "recentDecisions"]?.arrayValue ?? []
        #expect(decisionsBeforeKill.allSatisfy { decisionsAfter.contains($0) }, "decisions lost across the restart: \(decisionsAfter)")
        #expect(Set(decisionsAfter).count == decisionsAfter.count, "decisions duplicated: \(decisionsAfter)")
        #expect(try await scaleEvents().count <= eventsBeforeKill + 1, "scaling Events repeated after the restart")

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
        let serviceGone = await eventually(timeout: .seconds(10)) {
            (try? await cluster.client.get(.services, name: "demo-predictor", namespace: "ml")) == nil
        }
        #expect(serviceGone)
        // Its per-object gauges go with it (no alert about an object that no longer exists).
        let gaugesGone = await eventually(timeout: .seconds(10)) {
            let body = await op.get("/metrics").body
            return !body.split(separator: "\n").contains { $0.hasPrefix("operator_") && $0.contains("name=\"demo\"") }
        }
        let leftAfterDelete = await op.get("/metrics").body.split(separator: "\n")
            .filter { $0.hasPrefix("operator_") && $0.contains("name=\"demo\"") }
        await check(gaugesGone, "ml/demo's operator_* gauges removed after deletion; still exported:\n\(leftAfterDelete.joined(separator: "\n"))")

        // Graceful shutdown exits 0 and releases the lease.
        let exit = await op.process.stop(signal: SIGTERM, timeout: .seconds(20))
        await check(exit == 0, "graceful exit code \(String(describing: exit))")
        let lease = try await cluster.client.get(.leases, name: "inference-operator", namespace: "default")
        #expect(lease[path: "spec", "holderIdentity"] == nil || lease[path: "spec", "holderIdentity"] == "")
        kubelet.stop()
        await prometheus?.stop()
        await server.process.stop()
        try await cluster.server.shutdown()
    }
}
