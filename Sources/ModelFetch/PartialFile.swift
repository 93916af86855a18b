#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A download in progress beside its target: `.<name>.partial` in the same
/// directory (so the final rename is atomic) and `.<name>.partial.validator`
/// holding the ETag the partial bytes belong to, so that a restarted init
/// container can resume them with a Range request. The target only ever
/// appears complete: written, verified, fsync'ed, then renamed.
struct PartialFile {
    let target: String

    var directory: String {
        guard let slash = target.lastIndex(of: "/") else { return "." }
        return slash == target.startIndex ? "/" : String(target[..<slash])
    }
    var fileName: String { target.lastIndex(of: "/").map { String(target[target.index(after: $0)...]) } ?? target }
    var partialPath: String { directory + "/." + fileName + ".partial" }
    var validatorPath: String { partialPath + ".validator" }

    /// Bytes already in the partial file, and the validator recorded with them.
    func resumable() -> (bytes: Int64, validator: String)? {
        guard let size = PosixFile.size(of: partialPath), size > 0,
              let data = FileManager.default.contents(atPath: validatorPath),
              let validator = String(data: data, encoding: .utf8), !validator.isEmpty
        else { return nil }
        return (size, validator)
    }

    /// Opens the partial file: appending to what is there, or empty.
    func open(append: Bool, validator: String?) throws -> PosixFile {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !append {
            try? FileManager.default.removeItem(atPath: validatorPath)
            if let validator {
                try Data(validator.utf8).write(to: URL(fileURLWithPath: validatorPath))
            }
        }
        return try PosixFile(partialPath, mode: append ? .append : .write)
    }

    /// Flushes the file to disk, renames it over the target and flushes the directory entry.
    func commit(_ handle: PosixFile) throws {
        try handle.synchronize()
        handle.close()
        guard rename(partialPath, target) == 0 else {
            throw ModelFetchError.storage("cannot rename \(partialPath) to \(target): \(String(cString: strerror(errno)))")
        }
        try? FileManager.default.removeItem(atPath: validatorPath)
        let directoryDescriptor = Glibc.open(directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            _ = close(directoryDescriptor)
        }
    }

    func discard() {
        try? FileManager.default.removeItem(atPath: partialPath)
        try? FileManager.default.removeItem(atPath: validatorPath)
    }
}
