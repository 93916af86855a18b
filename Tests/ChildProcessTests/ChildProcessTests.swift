import ChildProcess
import Foundation
import Testing

@Suite struct ChildProcessTests {
    /// Runs `/bin/sh -c script` and returns its exit status and output.
    static func shell(_ script: String, environment: [String: String]? = nil, directory: URL? = nil) throws -> (Int32, String) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.environment = environment
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func exitCodesArgumentsEnvironmentAndDirectoryReachTheChild() throws {
        #expect(try Self.shell("exit 3").0 == 3)
        let (status, output) = try Self.shell("printf '%s %s' \"$GREETING\" \"$(pwd)\"", environment: ["GREETING": "hello"],
                                              directory: URL(fileURLWithPath: "/tmp"))
        #expect(status == 0)
        #expect(output == "hello /tmp")
    }

    /// Only standard input, output and error cross over: a pipe the parent
    /// holds open is not inherited (so readers of other children see EOF).
    @Test func theChildInheritsNoOtherDescriptor() throws {
        let held = Pipe()
        defer { try? held.fileHandleForWriting.close() }
        let (status, output) = try Self.shell("ls /proc/self/fd")
        #expect(status == 0)
        // 0-2, plus the directory ls itself has open.
        #expect(output.split(separator: "\n").count <= 4, "\(output)")
        _ = held
    }

    @Test func terminateEndsTheChildAndTheHandlerSeesIt() async throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["60"]
        process.standardInput = FileHandle.nullDevice
        let ended: Void = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
                #expect(process.isRunning && process.processIdentifier > 0)
                process.terminate()
            } catch {
                continuation.resume(throwing: error)
            }
        }
        _ = ended
        #expect(!process.isRunning)
        #expect(process.terminationStatus == SIGTERM)
    }

    @Test func aMissingExecutableIsAnErrorNamingIt() {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/nonexistent/tool")
        #expect(throws: ChildProcessError.self) { try process.run() }
        do { try process.run() } catch {
            #expect("\(error)".contains("/nonexistent/tool"))
        }
    }
}
