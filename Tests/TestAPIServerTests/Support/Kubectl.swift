import ChildProcess
import TestSupport
import Foundation
import TestAPIServer

/// Runs the real `kubectl` against a test server through a temporary kubeconfig.
struct Kubectl {
    static let path = "/usr/bin/kubectl"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    let directory: URL
    let kubeconfig: URL

    init(port: Int, token: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        kubeconfig = directory.appendingPathComponent("config")
        try TestAPIServer.writeKubeconfig(port: port, token: token, to: kubeconfig.path)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let file = directory.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    func process(_ arguments: [String]) -> (ChildProcess, Pipe, Pipe) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: Self.path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig.path
        environment["HOME"] = directory.path
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        return (process, out, err)
    }

    /// Runs to completion (kubectl's own `--request-timeout` bounds it).
    func run(_ arguments: String...) async throws -> Result { try await run(arguments) }

    func run(_ arguments: [String]) async throws -> Result {
        let (process, out, err) = process(arguments + ["--request-timeout=20s"])
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return Result(status: process.terminationStatus,
                      output: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                      error: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// Starts a long-running command (`get -w`); stop it with `terminate()`.
    func start(_ arguments: String...) throws -> Running {
        let (process, out, _) = process(arguments)
        try process.run()
        return Running(process: process, output: out.fileHandleForReading)
    }

    final class Running: @unchecked Sendable {
        let process: ChildProcess
        let output: FileHandle
        private let lock = NSLock()
        private var text = ""

        init(process: ChildProcess, output: FileHandle) {
            self.process = process
            self.output = output
            output.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                self.lock.withLock { self.text += String(decoding: data, as: UTF8.self) }
            }
        }

        var received: String { lock.withLock { text } }

        /// Waits (polling, bounded) until the output contains `needle`.
        func waitFor(_ needle: String, seconds: Double = 10) async throws -> Bool {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while ContinuousClock.now < deadline {
                if received.contains(needle) { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return received.contains(needle)
        }

        func terminate() {
            output.readabilityHandler = nil
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }
}
