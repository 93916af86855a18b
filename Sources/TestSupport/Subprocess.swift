import ChildProcess
import Foundation

/// Runs a program to completion without blocking Swift's cooperative
/// thread pool (the waiting happens on a thread of its own), so tests that shell
/// out do not starve concurrently running async tests.
public enum Subprocess {
    public struct Result: Sendable {
        public let status: Int32
        /// Standard output and standard error, interleaved.
        public let output: String
    }

    public static func run(_ executable: String, _ arguments: [String], currentDirectory: URL? = nil,
                           environment: [String: String]? = nil) async throws -> Result {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // A thread of its own: GCD's global queues share their small thread
        // limit with the concurrency runtime on Linux, so blocking there stalls tasks.
        return await withCheckedContinuation { continuation in
            let waiter = Thread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self)))
            }
            waiter.start()
        }
    }
}
