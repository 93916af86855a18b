import ChildProcess
import Foundation

/// Foundation's pipes and file handles as a child's standard streams, for tests that read a
/// child's output through them (the product's code uses `ChildPipe`, which needs no Foundation).
extension Pipe: ChildProcessStream {
    public func childDescriptor(input: Bool) -> Int32? {
        (input ? fileHandleForReading : fileHandleForWriting).fileDescriptor
    }

    public func childStarted(input: Bool) {
        try? (input ? fileHandleForReading : fileHandleForWriting).close()
    }
}

extension FileHandle: ChildProcessStream {
    /// nil (/dev/null) for `FileHandle.nullDevice`, whose descriptor is not a real one.
    public func childDescriptor(input: Bool) -> Int32? {
        self === FileHandle.nullDevice || fileDescriptor < 0 ? nil : fileDescriptor
    }

    public func childStarted(input: Bool) {}
}
