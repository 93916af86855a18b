#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A file error as a person reads it. FoundationEssentials has no `localizedDescription`: its
/// `CocoaError`s print as `CocoaError(code: ..., userInfo: [...])`; the system's reason
/// (`strerror` of the underlying POSIX error) says the same in a few words.
public enum ErrorText {
    public static func plain(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let cocoa = error as? CocoaError, let underlying = cocoa.underlying as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return "\(error)"
    }
}
