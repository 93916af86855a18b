import CChildProcess
import Locking
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
/// default handlers whatever thread spawned it. And `Process` is Foundation's,
/// which the operator does not link (only FoundationEssentials: no ICU data).
///
/// The surface is the part of `Process` this project uses: set the fields,
/// `run()`, then `waitUntilExit()`, `terminationHandler`, `terminate()`;
/// `collectOutput()` runs a short-lived child and returns what it printed.
public final class ChildProcess: @unchecked Sendable {
    public var executableURL: URL?
    public var arguments: [String] = []
    /// nil: the parent's environment.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// A `ChildPipe` (the child gets its write end, or its read end for input),
    /// `NullDevice()`, another `ChildProcessStream`, or nil (the parent's).
    public var standardInput: (any ChildProcessStream)?
    public var standardOutput: (any ChildProcessStream)?
    public var standardError: (any ChildProcessStream)?
    /// Called once, on the waiting thread, when the child has exited.
    public var terminationHandler: (@Sendable (ChildProcess) -> Void)?

    private let state = ExitState()

    public init() {}

    public var processIdentifier: Int32 { state.pid }

    public var isRunning: Bool { state.isRunning }

    /// The exit code, or the signal that ended the child (as `Process` reports it).
    public var terminationStatus: Int32 {
        guard let status = state.exitStatus else { preconditionFailure("terminationStatus read before the child exited") }
        return status
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
        let streams: [((any ChildProcessStream)?, Int32)] = [
            (standardInput, STDIN_FILENO), (standardOutput, STDOUT_FILENO), (standardError, STDERR_FILENO),
        ]
        for case let (stream?, target) in streams {
            if let descriptor = stream.childDescriptor(input: target == STDIN_FILENO) {
                try check(posix_spawn_file_actions_adddup2(&actions, descriptor, target))
            } else {
                try check(posix_spawn_file_actions_addopen(&actions, target, "/dev/null",
                                                           target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0))
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
        state.started(spawned)
        // The child holds its ends now; the parent's copies would keep readers from ever seeing end of file.
        for case let (stream?, target) in streams {
            stream.childStarted(input: target == STDIN_FILENO)
        }
        let child = spawned
        guard BlockingThread.start({ [self] in waitForExit(child) }) else {
            // No thread for the wait: reap here rather than leave a zombie nobody waits for.
            waitForExit(child)
            return
        }
    }

    public func waitUntilExit() { state.waitForExit() }

    /// SIGTERM, if the child still runs.
    public func terminate() { signal(SIGTERM) }

    /// SIGINT, if the child still runs.
    public func interrupt() { signal(SIGINT) }

    private func signal(_ number: Int32) {
        state.ifRunning { pid in _ = kill(pid, number) }
    }

    private func waitForExit(_ child: pid_t) {
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(child, &raw, 0) } while result == -1 && errno == EINTR
        // Exit code in bits 8-15, else the terminating signal in bits 0-6.
        let code: Int32 = result == -1 ? -1 : ((raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f)
        state.exited(code)
        terminationHandler?(self)
    }

    /// Runs the child with standard output and error on pipes (input: /dev/null) and returns
    /// both, read to their end, and its exit status. The pipes are read on threads of their
    /// own: pipe reads block, and neither the cooperative pool nor GCD's global queues (which
    /// share its thread limit on Linux) may be blocked.
    public func collectOutput() async throws -> (output: [UInt8], errors: [UInt8], status: Int32) {
        let output = try ChildPipe()
        let errors = try ChildPipe()
        standardOutput = output
        standardError = errors
        standardInput = NullDevice()
        try run()
        return await withCheckedContinuation { continuation in
            let collected = CollectedOutput()
            let readErrors: @Sendable () -> Void = {
                collected.errors.withLock { $0 = errors.readToEnd() }
                collected.errorsRead.exited(0)
            }
            let readOutput: @Sendable () -> Void = { [self] in
                let bytes = output.readToEnd()
                collected.errorsRead.waitForExit()
                waitUntilExit()
                continuation.resume(returning: (bytes, collected.errors.withLock { $0 }, terminationStatus))
            }
            if !BlockingThread.start(readErrors) { readErrors() }
            if !BlockingThread.start(readOutput) { readOutput() }
        }
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

/// What a child's standard input, output or error is connected to.
public protocol ChildProcessStream {
    /// The descriptor the child gets as its standard input (`input`) or output/error; nil: /dev/null.
    func childDescriptor(input: Bool) -> Int32?
    /// The child has started: close the parent's copy of the child's end, if any.
    func childStarted(input: Bool)
}

/// /dev/null.
public struct NullDevice: ChildProcessStream {
    public init() {}
    public func childDescriptor(input: Bool) -> Int32? { nil }
    public func childStarted(input: Bool) {}
}

/// A pipe between parent and child. Both descriptors are close-on-exec, so no other child
/// inherits them; the child gets its end through `dup2`.
public final class ChildPipe: ChildProcessStream, @unchecked Sendable {
    private let ends: Locked<(read: Int32, write: Int32)>

    public init() throws {
        var descriptors: [Int32] = [-1, -1]
        guard cchildprocess_pipe(&descriptors) == 0 else { throw ChildProcessError(executable: "pipe", code: errno) }
        ends = Locked((descriptors[0], descriptors[1]))
    }

    deinit {
        ends.withLock { ends in
            if ends.read >= 0 { close(ends.read) }
            if ends.write >= 0 { close(ends.write) }
        }
    }

    public func childDescriptor(input: Bool) -> Int32? {
        ends.withLock { input ? $0.read : $0.write }
    }

    public func childStarted(input: Bool) {
        ends.withLock { ends in
            if input {
                if ends.read >= 0 { close(ends.read) }
                ends.read = -1
            } else {
                if ends.write >= 0 { close(ends.write) }
                ends.write = -1
            }
        }
    }

    /// The parent's read end, for callers that read it themselves (-1 once closed).
    public var readDescriptor: Int32 { ends.withLock { $0.read } }

    /// Reads until end of file (every writer closed), blocking the calling thread.
    public func readToEnd() -> [UInt8] {
        let descriptor = readDescriptor
        guard descriptor >= 0 else { return [] }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                result += chunk[0..<count]
            } else if count == 0 || errno != EINTR {
                return result
            }
        }
    }

    /// Writes all of `bytes` to the write end (for a child's standard input), then closes it.
    public func writeAndClose(_ bytes: [UInt8]) {
        ends.withLock { ends in
            guard ends.write >= 0 else { return }
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { write(ends.write, $0.baseAddress! + offset, bytes.count - offset) }
                if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { break }
            }
            close(ends.write)
            ends.write = -1
        }
    }
}

/// The child's pid and exit status, behind a pthread mutex and condition (visible to
/// ThreadSanitizer, as `Locked` is).
final class ExitState: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var pidValue: pid_t = 0
    private var status: Int32?

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    var pid: pid_t { locked { pidValue } }
    var exitStatus: Int32? { locked { status } }
    var isRunning: Bool { locked { pidValue != 0 && status == nil } }

    func started(_ pid: pid_t) { locked { pidValue = pid } }

    func exited(_ code: Int32) {
        locked {
            status = code
            pthread_cond_broadcast(condition)
        }
    }

    func waitForExit() {
        pthread_mutex_lock(mutex)
        while status == nil { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` with the pid while the child runs (under the lock, so the pid cannot be reaped and reused meanwhile).
    func ifRunning(_ body: (pid_t) -> Void) {
        locked {
            if pidValue != 0 && status == nil { body(pidValue) }
        }
    }
}

/// Standard error read by one thread, handed to the other once `errorsRead` is signalled.
private final class CollectedOutput: Sendable {
    let errors = Locked<[UInt8]>([])
    let errorsRead = ExitState()
}

/// A detached pthread for work that blocks (waitpid, pipe reads).
enum BlockingThread {
    private final class Work {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread; false if no thread could be created.
    static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        let context = Unmanaged.passRetained(Work(body)).toOpaque()
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let created = pthread_create(&thread, &attributes, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<Work>.fromOpaque(context).release()
            return false
        }
        return true
    }
}
