import Foundation

/// Starts processes one at a time. A fresh-clone run crashed once inside
/// swift-corelibs-foundation's `Process.run()` (a memcpy on a bad pointer)
/// while many suites launched processes in parallel; launching is cheap, so
/// the test helpers serialise it rather than rely on `Process.run` being safe
/// to call from several threads at once.
enum ProcessLaunch {
    private static let lock = NSLock()

    static func run(_ process: Process) throws {
        lock.lock()
        defer { lock.unlock() }
        try process.run()
    }
}
