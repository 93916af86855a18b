import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import TestAPIServer
import TestSupport
import YAML

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
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
        let kubeconfig = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)").path
        try """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters: [{name: test, cluster: {server: "http://127.0.0.1:\(port)"}}]
            users: [{name: test, user: {token: test-token}}]
            contexts: [{name: test, context: {cluster: test, user: test, namespace: default}}]
            """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:\(port)"), transport: try CurlTransport())
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

/// The histogram exporter standing in for inference-server traffic.
final class Workload: @unchecked Sendable {
    let process: ManagedProcess
    let port: Int

    static func start() async throws -> Workload {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("wl-port-\(UUID().uuidString)").path
        let process = try ManagedProcess("/usr/bin/python3", [fixtures.appendingPathComponent("histogram_exporter.py").path, portFile],
                                         logName: "workload")
        guard let port = await waitForPortFile(portFile) else { throw E2EError("workload did not start: \(process.log)") }
        return Workload(process: process, port: port)
    }

    init(process: ManagedProcess, port: Int) {
        self.process = process
        self.port = port
    }

    func set(rps: Double, latencyMs: Double) async throws {
        let result = try await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/control?rps=\(rps)&latency_ms=\(latencyMs)"])
        guard result.status == 0 else { throw E2EError("workload control failed: \(result.output)") }
    }
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
