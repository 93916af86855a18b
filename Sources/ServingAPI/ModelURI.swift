import ModelSource

/// Where a model comes from, parsed from `spec.model.uri`.
public enum ModelURI: Sendable, Hashable {
    /// `pvc://claim/path/to/model.onnx`: a file on a PersistentVolumeClaim in the object's namespace.
    case pvc(claim: String, path: String)
    /// `http://...` or `https://...`: downloaded by the init container.
    case http(url: String)
    /// `file:///path`: a model baked into the server image.
    case file(path: String)
    /// `s3://bucket/key` (one object) or `s3://bucket/prefix/` (every object
    /// under the prefix): AWS S3 or an S3-compatible store (`spec.model.storage`).
    case s3(S3Location)
    /// `hf://org/repo[/path][@revision]`: a file from the Hugging Face Hub or a mirror of it.
    case huggingFace(HuggingFaceLocation)

    public static let supportedSchemes = ["pvc", "http", "https", "file", "s3", "hf"]

    /// Whether the fetch reads `spec.model.storage` (endpoint, region, credentials).
    public var usesStorageSettings: Bool {
        switch self {
        case .s3, .huggingFace: return true
        case .pvc, .http, .file: return false
        }
    }

    /// Parses a model URI, or explains what is wrong with it.
    public static func parse(_ text: String) -> Result<ModelURI, ModelURIError> {
        guard let separator = text.firstRange(of: "://") else {
            return .failure(.init("'\(text)' is not a URI; expected one of \(schemeList)"))
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = String(text[separator.upperBound...])
        if rest.contains(where: { $0.isWhitespace }) {
            return .failure(.init("'\(text)' contains whitespace"))
        }
        switch scheme {
        case "pvc":
            guard let slash = rest.firstIndex(of: "/") else {
                return .failure(.init("'\(text)' names no file; expected pvc://<claim>/<path>"))
            }
            let claim = String(rest[..<slash])
            let path = String(rest[rest.index(after: slash)...])
            guard KubernetesName.isDNSSubdomain(claim) else {
                return .failure(.init("claim '\(claim)' in '\(text)' is not a valid PersistentVolumeClaim name"))
            }
            guard !path.isEmpty, !path.hasSuffix("/") else {
                return .failure(.init("'\(text)' names no file; expected pvc://<claim>/<path>"))
            }
            guard !path.split(separator: "/").contains("..") else {
                return .failure(.init("'\(text)' may not contain '..'"))
            }
            return .success(.pvc(claim: claim, path: path))
        case "http", "https":
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            guard !host.isEmpty else { return .failure(.init("'\(text)' has no host")) }
            return .success(.http(url: text))
        case "file":
            guard rest.hasPrefix("/"), rest.count > 1, !rest.hasSuffix("/") else {
                return .failure(.init("'\(text)' must name an absolute file path, as in file:///models/model.onnx"))
            }
            guard !rest.split(separator: "/").contains("..") else {
                return .failure(.init("'\(text)' may not contain '..'"))
            }
            return .success(.file(path: rest))
        case "s3":
            return S3Location.parse(afterScheme: rest).map(ModelURI.s3).mapError { ModelURIError($0.description) }
        case "hf":
            return HuggingFaceLocation.parse(afterScheme: rest).map(ModelURI.huggingFace).mapError { ModelURIError($0.description) }
        default:
            return .failure(.init("unsupported scheme '\(scheme)' in '\(text)'; expected one of \(schemeList)", unsupportedScheme: true))
        }
    }

    private static var schemeList: String { supportedSchemes.map { "\($0)://" }.joined(separator: ", ") }
}

public struct ModelURIError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    /// True when the URI is well formed but uses a scheme we cannot fetch.
    public let unsupportedScheme: Bool
    init(_ description: String, unsupportedScheme: Bool = false) {
        self.description = description
        self.unsupportedScheme = unsupportedScheme
    }
}
