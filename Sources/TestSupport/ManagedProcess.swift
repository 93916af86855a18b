import ChildProcess
import Foundation

/// A background process a test starts and must stop: killed on `stop()` or
/// when released. Output goes to a log file the test can print on failure.
public final class ManagedProcess: @unchecked Sendable {
    public let process: ChildProcess
    public let logPath: String
    private let lock = NSLock()
    private var stopped = false

    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                currentDirectory: URL? = nil, logName: String) throws {
        process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(logName)-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.processIdentifier }

    /// Sends a signal (default SIGTERM) and waits up to `timeout` for exit, then SIGKILL.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) async -> Int32? {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first || process.isRunning else { return process.isRunning ? nil : process.terminationStatus }
        if process.isRunning { kill(process.processIdentifier, signal) }
        let start = ContinuousClock.now
        while process.isRunning, ContinuousClock.now - start < timeout {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            return nil
        }
        return process.terminationStatus
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
public func eventually(timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(100),
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < timeout {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// Reads a port a child process wrote to a file, waiting for it to appear.
public func waitForPortFile(_ path: String, timeout: Duration = .seconds(30)) async -> Int? {
    var port: Int?
    _ = await eventually(timeout: timeout) {
        port = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return port != nil
    }
    return port
}
