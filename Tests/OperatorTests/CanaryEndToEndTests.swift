import Foundation
import JSONValue
import KubeAPI
import Rendering
import ServingAPI
import TestSupport
import Testing

/// Canary rollouts without a Gateway, against the operator as a separate
/// process, the test API server (which simulates Deployments: new replicas
/// ready after 2 s) and a real Prometheus scraping stand-in workloads whose
/// series carry the server's labels (the candidate's `version`, its fingerprint).
/// Two objects run at once: `good`, whose candidate is healthy and is
/// promoted step by step, and `bad`, whose candidate turns slow and is
/// rolled back. What is checked is the operator's side: steps, timing,
/// replica split, the predictor Service's selection, promotion onto the
/// stable Deployment, status and Events. (Traffic shares counted at clients
/// need a kube-proxy, which is not here.)
@Suite(.serialized, .disabled(if: !PrometheusServer.isInstalled, "skipped: /usr/bin/prometheus is missing (make test installs it)"))
struct CanaryEndToEndTests {
    /// The `version` label the candidate's pods give their series: its fingerprint.
    static func candidateVersion(_ object: JSON) throws -> String {
        let spec = try (object["spec"] ?? [:]).decode(InferenceServiceSpec.self)
        return try #require(CanaryRenderer.candidateFingerprint(spec))
    }

    /// `bad` holds each step for 10 minutes: it is rolled back at its first step, and must still be
    /// there when the test, which looks at `good` first, comes to it on a slow machine (CI run 29
    /// found it already at 100%).
    static func stepSeconds(_ name: String) -> Int64 { name == "bad" ? 600 : 10 }

    static func inferenceService(_ name: String, candidateURI: String = "file:///models/demo-v2.onnx") -> JSON {
        [
            "apiVersion": "serving.swiftinfer.io/v1alpha1",
            "kind": "InferenceService",
            "metadata": ["name": .string(name), "namespace": "ml"],
            "spec": [
                "model": ["name": "demo", "uri": "file:///models/demo-v1.onnx"],
                "replicas": ["min": 4, "max": 8],
                "autoscaling": [
                    "mode": "Active",
                    "intervalSeconds": 2,
                    // Quiet autoscaling: the run, not the autoscaler, is under test.
                    "rules": ["latency": ["thresholdMs": 5000], "idle": ["afterSeconds": 3600]],
                ],
                "canary": [
                    "model": ["name": "demo", "uri": .string(candidateURI)],
                    "steps": [25, 50, 100],
                    "stepSeconds": .int(stepSeconds(name)),
                    "progressDeadlineSeconds": 60,
                    "analysis": ["maxP95Ms": 200, "maxErrorRatio": 0.05, "minRequests": 20],
                ],
            ],
        ]
    }

    @Test func aHealthyCandidateIsPromotedStepByStepAndASlowOneRolledBack() async throws {
        let started = ContinuousClock.now
        let cluster = try await Cluster.start()
        try await cluster.createNamespace("ml")
        var workloads: [String: Workload] = [:]
        var targets: [PrometheusServer.Target] = []
        for object in ["good", "bad"] {
            for version in ["stable", "canary"] {
                let workload = try await Workload.start(version: version == "canary" ? try Self.candidateVersion(Self.inferenceService(object)) : nil)
                try await workload.set(rps: 20, latencyMs: 40)
                workloads["\(object)-\(version)"] = workload
                targets.append(.init(address: "127.0.0.1:\(workload.port)", labels: ["namespace": "ml", "service": "\(object)-predictor"]))
            }
        }
        let prometheus = try await PrometheusServer.start(targets: targets)
        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: prometheus.url)
        func object(_ name: String) async throws -> JSON { try await cluster.client.get(inferenceServiceType, name: name, namespace: "ml") }
        func canary(_ name: String) async -> JSON? { (try? await object(name))?[path: "status", "canary"] }
        func replicas(_ deployment: String) async -> Int64? {
            (try? await cluster.client.get(.deployments, name: deployment, namespace: "ml"))?[path: "spec", "replicas"]?.intValue
        }
        func selector(_ name: String) async -> JSONObject {
            (try? await cluster.client.get(.services, name: "\(name)-predictor", namespace: "ml"))?[path: "spec", "selector"]?.objectValue ?? [:]
        }
        func context(_ name: String) async -> Comment {
            "status.canary:\n\(await canary(name)?.prettySerialized() ?? "?")\noperator log:\n\(op.process.log.suffix(3000))"
        }
        let component = "app.kubernetes.io/component"

        for name in ["good", "bad"] { _ = try await cluster.client.create(inferenceServiceType, Self.inferenceService(name)) }

        // Step 1 (25% of 4 replicas): 3 stable + 1 candidate, the predictor Service selecting both versions.
        for name in ["good", "bad"] {
            let firstStep = await eventually(timeout: .seconds(60)) {
                guard let status = await canary(name) else { return false }
                return status["weight"] == 25 && status["phase"] == "Progressing"
            }
            let why = await context(name)
            #expect(firstStep, "\(why)")
            // The stable version kept its 4 while the candidate's replica started; now it has 3.
            // (Timeouts here are for liveness: on a loaded 2-core CI machine each step takes longer.)
            // `good` may move on to 50% meanwhile (10 s steps); `bad` holds its first step.
            let split = await eventually(timeout: .seconds(30)) {
                let candidate = await replicas("\(name)-canary")
                let stable = await replicas("\(name)-predictor")
                let weight = await canary(name)?["weight"]?.intValue ?? 25
                let movedOn = name == "good" && weight > 25
                return (candidate == 1 && stable == 3) || movedOn
            }
            let seen = (await replicas("\(name)-canary"), await replicas("\(name)-predictor"))
            #expect(split, "candidate, stable replicas: \(seen)")
            let both = await selector(name)
            #expect(both[component] == nil, "both versions selected: \(both)")
        }

        // The bad candidate turns slow: rolled back within about one interval once it has its 20 requests.
        let slowSince = ContinuousClock.now
        try await workloads["bad-canary"]!.set(rps: 20, latencyMs: 600)
        let rolledBack = await eventually(timeout: .seconds(40)) { await canary("bad")?["phase"] == "RolledBack" }
        let rollbackSeconds = (ContinuousClock.now - slowSince).components.seconds
        let badWhy = await context("bad")
        #expect(rolledBack, "\(badWhy)")
        let verdict = await canary("bad")?["verdict"]?.stringValue ?? ""
        #expect(verdict.contains("p95") && verdict.contains("over the bound 200 ms"), "\(verdict)")
        let rolledBackCondition = await eventually(timeout: .seconds(10)) {
            let conditions = (try? await object("bad"))?[path: "status", "conditions"]?.arrayValue ?? []
            let condition = conditions.first { $0["type"] == "CanaryRolledBack" }
            return condition?["status"] == "True" && condition?["reason"] == "AnalysisFailed" && condition?["message"]?.stringValue == verdict
        }
        let conditionWhy = await context("bad")
        #expect(rolledBackCondition, "CanaryRolledBack True with the verdict: \(conditionWhy)")
        let restored = await eventually(timeout: .seconds(40)) {
            let chosen = await selector("bad")
            let candidate = await replicas("bad-canary")
            let stable = await replicas("bad-predictor")
            return chosen[component] == "predictor" && candidate == 0 && stable == 4
        }
        let restoredWhy = await context("bad")
        #expect(restored, "all traffic and replicas back on the stable version: \(restoredWhy)")

        // A fixed candidate (another model) starts a new run: the Service selects both versions again.
        // Its pods are new, and so are its series (labelled with the new fingerprint): the first
        // candidate's slow samples, still inside the 1-minute rate window, are not its own.
        let fixed = Self.inferenceService("bad", candidateURI: "file:///models/demo-v3.onnx")
        try await workloads["bad-canary"]!.set(rps: 20, latencyMs: 40, version: try Self.candidateVersion(fixed))
        _ = try await cluster.client.patch(inferenceServiceType, name: "bad", namespace: "ml",
                                           .merge(["spec": ["canary": ["model": ["name": "demo", "uri": "file:///models/demo-v3.onnx"]]]]))
        let rerun = await eventually(timeout: .seconds(40)) {
            guard let status = await canary("bad"), status["phase"] == "Progressing", status["weight"] == 25 else { return false }
            let chosen = await selector("bad")
            return chosen[component] == nil && (status["history"]?.arrayValue?.isEmpty ?? true)
        }
        let rerunWhy = await context("bad")
        #expect(rerun, "a new run for the new candidate, both versions selected again: \(rerunWhy)")

        // The good candidate walks 25 → 50 → 100 and is promoted: the stable
        // Deployment takes the candidate's model, then the Service selects it again.
        // The good run went on while the test watched the bad one: on a slow machine it may be past
        // 50% already, which its history then shows.
        func reached(_ weight: Int64, _ status: JSON?) -> Bool {
            status?["weight"]?.intValue == weight || (status?["history"]?.arrayValue ?? []).contains { $0["weight"]?.intValue == weight }
        }
        let fifty = await eventually(timeout: .seconds(120)) { reached(50, await canary("good")) }
        var goodWhy = await context("good")
        #expect(fifty, "\(goodWhy)")
        // At 50% (while it lasts): 2 candidate and 2 stable replicas.
        let halfSplit = await eventually(timeout: .seconds(30)) {
            let candidate = await replicas("good-canary")
            let stable = await replicas("good-predictor")
            let weight = await canary("good")?["weight"]
            return (candidate == 2 && stable == 2) || weight != 50
        }
        let half = (await replicas("good-canary"), await replicas("good-predictor"))
        #expect(halfSplit, "candidate, stable replicas at 50%: \(half)")
        let full = await eventually(timeout: .seconds(120)) { reached(100, await canary("good")) }
        goodWhy = await context("good")
        #expect(full, "\(goodWhy)")
        let promoted = await eventually(timeout: .seconds(120)) { await canary("good")?["phase"] == "Promoted" }
        goodWhy = await context("good")
        #expect(promoted, "\(goodWhy)")
        let settled = try await eventually(timeout: .seconds(60)) {
            let stable = try await cluster.client.get(.deployments, name: "good-predictor", namespace: "ml")
            let initArgs = stable[path: "spec", "template", "spec", "initContainers"]?[0]?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let chosen = await selector("good")
            let candidate = await replicas("good-canary")
            return initArgs.contains { $0.contains("demo-v2.onnx") } && chosen[component] == "predictor" && candidate == 0
        }
        goodWhy = await context("good")
        #expect(settled, "the stable Deployment runs the promoted model and serves alone: \(goodWhy)")
        let history = await canary("good")?["history"]?.arrayValue ?? []
        #expect(history.compactMap { $0["weight"]?.intValue } == [25, 50, 100], "\(history)")
        #expect(history.compactMap { $0["outcome"]?.stringValue } == ["Passed", "Passed", "Passed"])

        let events = (try await cluster.client.list(.events, namespace: "ml")["items"]?.arrayValue ?? [])
        func reasons(_ name: String) -> [String] {
            events.filter { $0[path: "regarding", "name"]?.stringValue == name }.compactMap { $0["reason"]?.stringValue }.filter { $0.hasPrefix("Canary") }
        }
        #expect(reasons("good") == ["CanaryStarted", "CanaryStepPassed", "CanaryStepPassed", "CanaryPromoted"], "\(reasons("good"))")
        #expect(reasons("bad").contains("CanaryRolledBack"), "\(reasons("bad"))")
        #expect(op.process.isRunning)
        print("canary e2e: rollback \(rollbackSeconds) s after the candidate turned slow; promotion in \((ContinuousClock.now - started).components.seconds) s of wall time (3 steps of 10 s)")
        await op.process.stop()
        await prometheus.stop()
        try await cluster.server.shutdown()
    }
}
