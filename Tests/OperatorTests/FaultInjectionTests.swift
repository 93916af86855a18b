import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Locking
import SeededRandom
import TestAPIServer
import TestSupport
import Testing

/// The operator as a process against the test API server and a real
/// Prometheus behind a fault-injecting proxy, through API faults (500 and 429
/// bursts, slow answers, dropped watches, 410 storms), Prometheus faults
/// (down, HTML error page, query error, NaN, empty, wrong types, slow), a
/// stolen lease and SIGKILLs at random points. Invariants: the process never
/// crashes, replicas never go down while metrics are unusable, every replica
/// change of the Deployment matches exactly one decision in status (none lost,
/// none duplicated), and everything converges once the faults stop.
/// About 2-3 minutes of wall time; figures are printed (docs/reliability.md).
@Suite(.serialized, .disabled(if: !PrometheusServer.isInstalled, "skipped: /usr/bin/prometheus is missing (make test installs it)"))
struct FaultInjectionTests {
    static func inferenceService() -> JSON {
        [
            "apiVersion": "serving.swiftinfer.io/v1alpha1",
            "kind": "InferenceService",
            "metadata": ["name": "demo", "namespace": "ml"],
            "spec": [
                "model": ["name": "demo", "uri": "file:///models/demo.onnx"],
                "replicas": ["min": 2, "max": 8],
                "autoscaling": [
                    "mode": "Active",
                    "intervalSeconds": 2,
                    "rules": ["latency": ["consecutiveIntervals": 2], "idle": ["afterSeconds": 4]],
                    "queries": [
                        "p95Latency": #"histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{namespace="{{namespace}}",service="{{name}}-predictor"}[5s])))"#,
                        "requestRate": #"sum(rate(inference_request_duration_seconds_count{namespace="{{namespace}}",service="{{name}}-predictor"}[5s]))"#,
                    ],
                ],
            ],
        ]
    }

    @Test func survivesAPIAndPrometheusFaultsLeaseLossAndKillsWithoutLostOrDuplicatedScaling() async throws {
        let started = ContinuousClock.now
        let cluster = try await Cluster.start()
        try await cluster.createNamespace("ml")
        let workload = try await Workload.start()
        let prometheus = try await PrometheusServer.start(
            targets: [.init(address: "127.0.0.1:\(workload.port)", labels: ["namespace": "ml", "service": "demo-predictor"])])
        let proxy = try await PrometheusFaultProxy.start(upstream: prometheus.url)
        let recorder = ReplicaRecorder(server: cluster.server, namespace: "ml", name: "demo-predictor")
        let recording = Task { await recorder.run() }
        var op = try await OperatorProcess.start(cluster: cluster, prometheusURL: proxy.url)
        var operatorLogs: [String] = []
        var injected = 0
        var kills: [Double] = []
        func object() async throws -> JSON { try await cluster.client.get(inferenceServiceType, name: "demo", namespace: "ml") }
        func replicas() async throws -> Int64? {
            try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")[path: "spec", "replicas"]?.intValue
        }
        func context() async -> Comment {
            let status = (try? await object())?["status"]?.prettySerialized() ?? "?"
            return "replica changes \(recorder.values)\nstatus:\n\(status)\noperator log:\n\(op.process.log.suffix(4000))"
        }
        func check(_ ok: Bool, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) async {
            if !ok { Issue.record("\(what)\n\(await context())", sourceLocation: sourceLocation) }
        }
        func alive(_ when: String, sourceLocation: SourceLocation = #_sourceLocation) async {
            await check(op.process.isRunning, "operator crashed (\(when))", sourceLocation: sourceLocation)
        }

        // 1. Healthy start: Deployment at min, Ready.
        try await workload.set(rps: 20, latencyMs: 40)
        _ = try await cluster.client.create(inferenceServiceType, Self.inferenceService())
        let ready = try await eventually(timeout: .seconds(60)) {
            let current = try? await replicas()  // nil until the Deployment exists
            return try await object().condition("Ready")?["status"] == "True" && current == 2
        }
        await check(ready, "ready at 2 replicas")
        try #require(ready)

        // 2. API faults while the workload turns slow: the latency rule must still scale up.
        try await workload.set(rps: 20, latencyMs: 400)
        let faults = cluster.server.faults
        faults.failNext(8, code: 500)
        faults.failNext(8, code: 429, retryAfter: 1)
        faults.failNext(4, code: 500, verb: "patch")
        faults.failNext(3, code: 503, verb: "update", resource: "leases")
        injected += 8 + 8 + 4 + 3
        faults.latencyMilliseconds = 300
        for round in 0..<4 {
            try await Task.sleep(for: .seconds(2))
            if round % 2 == 0 { cluster.server.cluster.dropWatches() } else { cluster.server.cluster.compact() }
            await alive("API faults, round \(round)")
        }
        faults.latencyMilliseconds = 0
        let scaledUp = try await eventually(timeout: .seconds(60)) { (try await replicas() ?? 0) >= 4 }
        await check(scaledUp, "scaled up through API faults")
        faults.clear()

        // 3. Prometheus faults while the workload is idle (real data would scale down): replicas hold.
        try await workload.set(rps: 0, latencyMs: 40)
        let before = try await replicas() ?? 0
        let holdStart = recorder.values.count
        var heldModes: [String] = []
        for mode in ["down", "html", "error", "empty", "wrong", "nan"] {
            try await proxy.set(mode: mode)
            // About two intervals of queries in this mode.
            let queries = try await proxy.seen().queries
            let answered = try await eventually(timeout: .seconds(15)) { try await proxy.seen().queries >= queries + 5 }
            await check(answered, "the operator kept querying while Prometheus is \(mode)")
            // NaN is "no traffic in the window" (usable, never a number); everything else is unusable.
            if mode != "nan" {
                let flagged = try await object().condition("MetricsAvailable")?["status"] == "False"
                await check(flagged, "MetricsAvailable=False while Prometheus is \(mode)")
            }
            heldModes.append(mode)
            await alive("Prometheus \(mode)")
        }
        let duringHold = Array(recorder.values.dropFirst(holdStart))
        let afterHold = try await replicas() ?? 0
        await check(duringHold.allSatisfy { $0 >= before } && afterHold >= before,
                    "no scale-down while metrics were unusable (from \(before): \(duringHold))")

        // 4. Lease stolen mid-scale-down (slow Prometheus answers again), then SIGKILLs at random points.
        try await proxy.set(mode: "slow", delayMilliseconds: 1500)
        try await stealLease(cluster)
        let lost = await eventually(timeout: .seconds(20)) { op.process.log.contains("lost leadership") }
        await check(lost, "the operator noticed the stolen lease")
        await alive("lease lost")
        // A follower exports no per-object gauges (they would freeze at the last term's values),
        // and the next term brings them back.
        func exportsObjectGauges() async -> Bool {
            await op.get("/metrics").body.split(separator: "\n").contains { $0.hasPrefix("operator_max_replicas{") && $0.contains("name=\"demo\"") }
        }
        let followerQuiet = await eventually(timeout: .seconds(6)) {
            let leading = (try? await cluster.client.get(.leases, name: "inference-operator", namespace: "default"))?[path: "spec", "holderIdentity"] == "e2e-operator"
            if leading { return false }
            return await !exportsObjectGauges()
        }
        await check(followerQuiet, "per-object gauges removed while the lease is someone else's")
        let regained = try await eventually(timeout: .seconds(30)) {
            try await cluster.client.get(.leases, name: "inference-operator", namespace: "default")[path: "spec", "holderIdentity"] == "e2e-operator"
        }
        await check(regained, "the operator took the lease back after it expired")
        let gaugesBack = await eventually(timeout: .seconds(30)) { await exportsObjectGauges() }
        await check(gaugesBack, "per-object gauges exported again in the new term")
        try await proxy.set(mode: "pass")
        var rng = SplitMix64(seed: UInt64(Date().timeIntervalSince1970 * 1000))
        for _ in 0..<3 {
            let delay = 0.3 + Double(rng.next() % 3000) / 1000
            kills.append(delay)
            try await Task.sleep(for: .seconds(delay))
            await alive("before SIGKILL after \(delay) s")
            operatorLogs.append(op.process.log)
            await op.process.stop(signal: SIGKILL)
            op = try await OperatorProcess.start(cluster: cluster, prometheusURL: proxy.url)
        }

        // 5. Faults over: converges to min replicas (idle), Ready, metrics available.
        let converged = try await eventually(timeout: .seconds(90)) {
            let current = try await object()
            let count = try await replicas()
            return count == 2 && current.condition("Ready")?["status"] == "True"
                && current.condition("MetricsAvailable")?["status"] == "True"
        }
        await check(converged, "converged after the faults (kills after \(kills) s)")
        try await Task.sleep(for: .seconds(3))  // let status catch up with the last change

        // Every replica change matches one decision in status, in order: none lost, none duplicated.
        let changes = recorder.transitions
        let decisions = (try await object())[path: "status", "recentDecisions"]?.arrayValue ?? []
        let decided = decisions.compactMap { d -> Transition? in
            guard let from = d["from"]?.intValue, let to = d["to"]?.intValue,
                  !(d["reason"]?.stringValue ?? "").hasPrefix("[DryRun]") else { return nil }
            return Transition(from: from, to: to)
        }
        await check(!changes.isEmpty && changes == decided, "replica changes \(changes) vs decisions \(decided)")
        let replicaWrites = cluster.server.requestLog.records.filter {
            $0.isWrite && $0.userAgent.hasPrefix("inference-operator") && $0.resource == "deployments" && (200..<300).contains($0.status)
        }.count
        let failedAnswers = cluster.server.requestLog.records.filter { $0.status == 500 || $0.status == 503 || $0.status == 429 }.count

        let exit = await op.process.stop(signal: SIGTERM, timeout: .seconds(20))
        await check(exit == 0, "graceful exit code \(String(describing: exit))")
        recording.cancel()
        operatorLogs.append(op.process.log)
        let seen = try await proxy.seen()
        let seconds = (ContinuousClock.now - started).components.seconds
        print("""
            fault-injection: \(seconds) s; API requests \(cluster.server.requestLog.records.count) (\(failedAnswers) answered 5xx/429, \
            \(injected) injected), watch drops 2, compactions (410) 2, Prometheus queries \(seen.queries) through modes \(heldModes) + slow, \
            lease stolen 1, SIGKILLs \(kills.count) at \(kills.map { String(format: "%.2f", $0) }) s; replica changes \(changes.map { "\($0.from)->\($0.to)" }) = decisions; \
            successful Deployment writes \(replicaWrites); operator starts \(operatorLogs.count)
            """)
        await prometheus.stop()
        await proxy.process.stop()
        await workload.process.stop()
        try await cluster.server.shutdown()
    }

    /// Another identity takes the lease, as a second replica that won a race would.
    func stealLease(_ cluster: Cluster) async throws {
        let stamp = ISO8601DateFormatter.microseconds.string(from: Date())
        _ = try await cluster.client.patch(.leases, name: "inference-operator", namespace: "default", .merge([
            "spec": ["holderIdentity": "intruder", "renewTime": .string(stamp), "acquireTime": .string(stamp), "leaseDurationSeconds": 6],
        ]))
    }
}

struct Transition: Equatable, CustomStringConvertible {
    var from: Int64
    var to: Int64
    var description: String { "\(from)->\(to)" }
}

/// Every value `spec.replicas` of one Deployment took, from an in-process
/// watch on the test API server (re-armed after dropped watches and
/// compactions), consecutive repeats removed.
final class ReplicaRecorder: Sendable {
    let server: TestAPIServer
    let namespace: String
    let name: String
    private let state = Locked<(values: [Int64], resourceVersion: String?, armed: Bool)>(([], nil, false))

    init(server: TestAPIServer, namespace: String, name: String) {
        self.server = server
        self.namespace = namespace
        self.name = name
    }

    var values: [Int64] { state.withLock { $0.values } }
    var transitions: [Transition] {
        let v = values
        return zip(v, v.dropFirst()).map { Transition(from: $0, to: $1) }
    }

    func run() async {
        guard let type = server.cluster.resourceType(group: "apps", version: "v1", plural: "deployments") else { return }
        while !Task.isCancelled {
            if !state.withLock({ $0.armed }) {
                let from = state.withLock { $0.resourceVersion }
                state.withLock { $0.armed = true }
                do {
                    _ = try server.cluster.watch(type, namespace: namespace, resourceVersion: from) { [self] in receive($0) }
                } catch {
                    // Compacted past our resourceVersion: start from the current state.
                    _ = try? server.cluster.watch(type, namespace: namespace, resourceVersion: nil) { [self] in receive($0) }
                }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func receive(_ output: WatchOutput) {
        switch output {
        case .end, .drop:
            state.withLock { $0.armed = false }
        case .event(let line):
            guard let event = try? JSON.parse(line), let object = event["object"],
                  object[path: "metadata", "name"]?.stringValue == name else { return }
            state.withLock { s in
                s.resourceVersion = object[path: "metadata", "resourceVersion"]?.stringValue ?? s.resourceVersion
                if event["type"] != "DELETED", let replicas = object[path: "spec", "replicas"]?.intValue, s.values.last != replicas {
                    s.values.append(replicas)
                }
            }
        }
    }
}

/// Tests/OperatorTests/Fixtures/prometheus_fault_proxy.py in front of a real Prometheus.
final class PrometheusFaultProxy: Sendable {
    let process: ManagedProcess
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    static func start(upstream: String) async throws -> PrometheusFaultProxy {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-port-\(UUID().uuidString)").path
        let process = try ManagedProcess("/usr/bin/python3", [fixtures.appendingPathComponent("prometheus_fault_proxy.py").path, upstream, portFile],
                                         logName: "prometheus-proxy")
        guard let port = await waitForPortFile(portFile, timeout: .seconds(60)) else { throw E2EError("proxy did not start: \(process.log)") }
        return PrometheusFaultProxy(process: process, port: port)
    }

    init(process: ManagedProcess, port: Int) {
        self.process = process
        self.port = port
    }

    func set(mode: String, delayMilliseconds: Int = 15_000) async throws {
        let result = try await Subprocess.run("/usr/bin/curl", ["-sf", "\(url)/control?mode=\(mode)&delay_ms=\(delayMilliseconds)"])
        guard result.status == 0 else { throw E2EError("proxy control failed: \(result.output)") }
    }

    /// Queries answered so far and the distinct Authorization headers they carried.
    func seen() async throws -> (queries: Int, authorization: [String]) {
        let result = try await Subprocess.run("/usr/bin/curl", ["-sf", "\(url)/control/seen"])
        let json = try JSON.parse(result.output)
        return (Int(json["queries"]?.intValue ?? 0), json["authorization"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
}

extension ISO8601DateFormatter {
    static var microseconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
