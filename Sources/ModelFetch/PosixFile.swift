#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An open file descriptor for the fetcher's reads and writes (Foundation's `FileHandle` is not
/// in FoundationEssentials, the only Foundation the operator links). Close-on-exec, so no child
/// inherits it; errors name the path and the system's reason.
final class PosixFile {
    let path: String
    private var descriptor: Int32

    enum Mode { case read, write, append }

    init(_ path: String, mode: Mode) throws(ModelFetchError) {
        self.path = path
        let flags: Int32
        switch mode {
        case .read: flags = O_RDONLY
        case .write: flags = O_WRONLY | O_CREAT | O_TRUNC
        case .append: flags = O_WRONLY | O_CREAT | O_APPEND
        }
        descriptor = Glibc.open(path, flags | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure("cannot open", path) }
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Up to `count` bytes; empty at end of file.
    func read(upToCount count: Int) throws(ModelFetchError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, count) }
            if got >= 0 { return Array(buffer[0..<got]) }
            if errno != EINTR { throw Self.failure("cannot read", path) }
        }
    }

    func write(_ bytes: some Collection<UInt8>) throws(ModelFetchError) {
        let result: Int32 = bytes.withContiguousStorageIfAvailable { writeAll($0) } ?? Array(bytes).withUnsafeBufferPointer { writeAll($0) }
        if result != 0 { throw Self.failure("cannot write", path, code: result) }
    }

    /// 0, or the errno that stopped the write.
    private func writeAll(_ buffer: UnsafeBufferPointer<UInt8>) -> Int32 {
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return written < 0 ? errno : EIO }
        }
        return 0
    }

    func synchronize() throws(ModelFetchError) {
        if fsync(descriptor) != 0 { throw Self.failure("cannot flush", path) }
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// The size of the file at `path`, or nil when there is none.
    static func size(of path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    private static func failure(_ what: String, _ path: String, code: Int32 = errno) -> ModelFetchError {
        .storage("\(what) \(path): \(String(cString: strerror(code)))")
    }
}
