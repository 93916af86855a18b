import ChildProcess
import TestSupport
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

/// The Foundation-free streams the product uses (`ChildPipe`, `NullDevice`, `collectOutput`).
@Suite struct ChildPipeTests {
    static func shell(_ script: String) -> ChildProcess {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        return process
    }

    @Test func collectOutputReadsBothStreamsAndTheStatus() async throws {
        let (output, errors, status) = try await Self.shell("printf out; printf err >&2; exit 5").collectOutput()
        #expect(String(decoding: output, as: UTF8.self) == "out")
        #expect(String(decoding: errors, as: UTF8.self) == "err")
        #expect(status == 5)
    }

    /// Both streams well past a pipe's 64 KiB buffer, interleaved: a reader that drained one
    /// stream before the other would leave the child blocked on the full one for ever.
    @Test func largeInterleavedOutputOnBothStreamsDoesNotDeadlock() async throws {
        let script = "i=0; while [ $i -lt 2000 ]; do echo 0123456789012345678901234567890123456789012345678901234567890123456789; "
            + "echo abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij >&2; i=$((i+1)); done"
        let (output, errors, status) = try await Self.shell(script).collectOutput()
        #expect(status == 0)
        #expect(output.count == 2000 * 71 && errors.count == 2000 * 71)
    }

    @Test func standardInputIsTheNullDeviceAndAPipeFeedsIt() async throws {
        let (empty, _, _) = try await Self.shell("wc -c").collectOutput()
        #expect(String(decoding: empty, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "0")

        let process = Self.shell("tr a-z A-Z")
        let input = try ChildPipe()
        let output = try ChildPipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.writeAndClose(Array("hello".utf8))
        let read = output.readToEnd()
        process.waitUntilExit()
        #expect(String(decoding: read, as: UTF8.self) == "HELLO" && process.terminationStatus == 0)
    }

    @Test func aMissingExecutableIsAClearError() async throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/nonexistent/tool")
        await #expect {
            _ = try await process.collectOutput()
        } throws: { error in
            "\(error)".contains("could not start /nonexistent/tool") && "\(error)".contains("No such file")
        }
    }
}
