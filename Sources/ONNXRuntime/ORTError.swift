/// Everything that can go wrong between us and ONNX Runtime.
public enum ORTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No candidate library could be opened; `attempts` says where we looked and why each failed.
    case libraryNotFound(attempts: [LibraryAttempt])
    /// The library opened but does not export `OrtGetApiBase`.
    case notAnONNXRuntimeLibrary(path: String)
    /// `GetApi` returned NULL: the library is older than the API version we were written against.
    case unsupportedAPIVersion(requested: UInt32, libraryVersion: String)
    /// ONNX Runtime returned an `OrtStatus`; `code` is its `OrtErrorCode` name.
    case runtime(code: String, message: String)
    /// A caller passed something ONNX Runtime would misread (wrong byte count, bad shape, ...).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .libraryNotFound(let attempts):
            let lines = attempts.map { "  \($0.path): \($0.reason)" }.joined(separator: "\n")
            return "ONNX Runtime library not found; set --ort-library or ORT_LIBRARY, or run `make bootstrap` "
                + "to install the onnxruntime wheel into .venv. Looked in:\n\(lines)"
        case .notAnONNXRuntimeLibrary(let path):
            return "\(path) does not export OrtGetApiBase; it is not an ONNX Runtime library"
        case .unsupportedAPIVersion(let requested, let version):
            return "ONNX Runtime \(version) does not serve C API version \(requested); use 1.\(requested) or newer"
        case .runtime(let code, let message):
            return "ONNX Runtime error \(code): \(message)"
        case .invalidArgument(let message):
            return message
        }
    }
}

/// One place the loader tried, and why it was not used.
public struct LibraryAttempt: Sendable, Equatable {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
