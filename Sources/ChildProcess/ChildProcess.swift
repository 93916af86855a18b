import CChildProcess
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A child process started with `posix_spawn`, for the operator's exec
/// credential plugins and the tests' servers and tools.
///
/// Why not `Foundation.Process`: on Linux its `run()` reads
/// `/proc/self/fd` to find the descriptors to close and copies each entry's
/// whole 256-byte name, reading past the end of glibc's directory buffer; in
/// a process with many descriptors open it dies with SIGSEGV now and then
/// (swift-corelibs-foundation PR #5472, fixed after Swift 6.3.1; it crashed
/// our test process in two CI runs). Here the child closes every descriptor
/// above standard error itself (`closefrom` as a spawn action), the parent
/// reads nothing, and the child starts with an empty signal mask and
/// default handlers whatever thread spawned it.
///
/// The surface is the part of `Process` this project uses: set the fields,
/// `run()`, then `waitUntilExit()`, `terminationHandler`, `terminate()`.
public final class ChildProcess: @unchecked Sendable {
    public var executableURL: URL?
    public var arguments: [String] = []
    /// nil: the parent's environment.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// A `Pipe` (the child gets its write end, or its read end for input),
    /// a `FileHandle`, or nil (the parent's).
    public var standardInput: Any?
    public var standardOutput: Any?
    public var standardError: Any?
    /// Called once, on the waiting thread, when the child has exited.
    public var terminationHandler: (@Sendable (ChildProcess) -> Void)?

    private let condition = NSCondition()
    private var pid: pid_t = 0
    private var exitStatus: Int32?

    public init() {}

    public var processIdentifier: Int32 { condition.withLock { pid } }

    public var isRunning: Bool { condition.withLock { pid != 0 && exitStatus == nil } }

    /// The exit code, or the signal that ended the child (as `Process` reports it).
    public var terminationStatus: Int32 {
        condition.withLock {
            precondition(exitStatus != nil, "terminationStatus read before the child exited")
            return exitStatus ?? -1
        }
    }

    public func run() throws {
        guard let executable = executableURL?.path else { throw ChildProcessError(executable: "", code: ENOENT) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        func check(_ status: Int32) throws {
            if status != 0 { throw ChildProcessError(executable: executable, code: status) }
        }
        try check(cchildprocess_resetsignals(&attributes))
        for (stream, target) in [(standardInput, STDIN_FILENO), (standardOutput, STDOUT_FILENO), (standardError, STDERR_FILENO)] {
            switch stream {
            case let pipe as Pipe:
                let end = target == STDIN_FILENO ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                try check(posix_spawn_file_actions_adddup2(&actions, end.fileDescriptor, target))
            case let handle as FileHandle where handle === FileHandle.nullDevice || handle.fileDescriptor < 0:
                try check(posix_spawn_file_actions_addopen(&actions, target, "/dev/null",
                                                           target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0))
            case let handle as FileHandle:
                try check(posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target))
            default:
                break
            }
        }
        try check(cchildprocess_addclosefrom(&actions, STDERR_FILENO + 1))
        if let directory = currentDirectoryURL?.path { try check(cchildprocess_addchdir(&actions, directory)) }

        let argv = ([executable] + arguments).map { strdup($0) }
        let environmentEntries = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") }
        defer { (argv + environmentEntries).forEach { free($0) } }
        var spawned: pid_t = 0
        let status = (argv + [nil]).withUnsafeBufferPointer { args in
            (environmentEntries + [nil]).withUnsafeBufferPointer { env in
                posix_spawn(&spawned, executable, &actions, &attributes,
                            UnsafeMutablePointer(mutating: args.baseAddress!), UnsafeMutablePointer(mutating: env.baseAddress!))
            }
        }
        try check(status)
        condition.withLock { pid = spawned }
        // The child holds its ends now; the parent's copies would keep readers from ever seeing end of file.
        for (stream, isInput) in [(standardInput, true), (standardOutput, false), (standardError, false)] {
            if let pipe = stream as? Pipe {
                try? (isInput ? pipe.fileHandleForReading : pipe.fileHandleForWriting).close()
            }
        }
        let child = spawned
        let waiter = Thread { [self] in waitForExit(child) }
        waiter.start()
    }

    public func waitUntilExit() {
        condition.lock()
        while exitStatus == nil { condition.wait() }
        condition.unlock()
    }

    /// SIGTERM, if the child still runs.
    public func terminate() { signal(SIGTERM) }

    /// SIGINT, if the child still runs.
    public func interrupt() { signal(SIGINT) }

    private func signal(_ number: Int32) {
        condition.withLock {
            if pid != 0 && exitStatus == nil { _ = kill(pid, number) }
        }
    }

    private func waitForExit(_ child: pid_t) {
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(child, &raw, 0) } while result == -1 && errno == EINTR
        // Exit code in bits 8-15, else the terminating signal in bits 0-6.
        let code: Int32 = result == -1 ? -1 : ((raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f)
        condition.withLock {
            exitStatus = code
            condition.broadcast()
        }
        terminationHandler?(self)
    }
}

/// `posix_spawn` (or one of its set-up steps) failed.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let executable: String
    public let code: Int32

    public var description: String {
        "could not start \(executable.isEmpty ? "a process without an executable" : executable): \(String(cString: strerror(code)))"
    }
}
