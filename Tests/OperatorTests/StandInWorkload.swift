import Foundation
import TestSupport

/// Scripts and certificates the operator tests start beside the operator.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// A latency histogram the test sets (Fixtures/histogram_exporter.py), for the
/// suites whose subject is not the server: fault injection and secret
/// handling need a p95 they control exactly, while the lifecycle and modes
/// suites run the real inference-server.
final class Workload: @unchecked Sendable {
    let process: ManagedProcess
    let port: Int

    /// - Parameter version: labels every series `version` (a canary's candidate: `canary`).
    static func start(version: String? = nil) async throws -> Workload {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("wl-port-\(UUID().uuidString)").path
        let process = try ManagedProcess("/usr/bin/python3",
                                         [fixtures.appendingPathComponent("histogram_exporter.py").path, portFile] + (version.map { [$0] } ?? []),
                                         logName: "workload")
        guard let port = await waitForPortFile(portFile) else { throw E2EError("workload did not start: \(process.log)") }
        return Workload(process: process, port: port)
    }

    init(process: ManagedProcess, port: Int) {
        self.process = process
        self.port = port
    }

    /// - Parameter version: a new `version` label for every series, counted from zero (as a new candidate's pods).
    func set(rps: Double, latencyMs: Double, errorRatio: Double = 0, version: String? = nil) async throws {
        let query = "rps=\(rps)&latency_ms=\(latencyMs)&error_ratio=\(errorRatio)" + (version.map { "&version=\($0)" } ?? "")
        let result = try await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/control?\(query)"])
        guard result.status == 0 else { throw E2EError("workload control failed: \(result.output)") }
    }
}
