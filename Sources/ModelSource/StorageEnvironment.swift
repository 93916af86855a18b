/// The environment variables the fetcher reads. The operator sets the
/// `MODEL_STORAGE_*` ones from `spec.model.storage` and the credential ones
/// from the Secret named there (`valueFrom.secretKeyRef`, never literal
/// values); without them the standard AWS / Hugging Face variables apply,
/// so a pod environment configured for the AWS CLI or `huggingface_hub` works.
public enum StorageEnvironment {
    public static let endpoint = "MODEL_STORAGE_ENDPOINT"
    public static let region = "MODEL_STORAGE_REGION"
    public static let pathStyle = "MODEL_STORAGE_PATH_STYLE"

    public static let accessKeyID = "AWS_ACCESS_KEY_ID"
    public static let secretAccessKey = "AWS_SECRET_ACCESS_KEY"
    public static let sessionToken = "AWS_SESSION_TOKEN"
    /// Standard fallbacks, in order (as the AWS CLI reads them).
    public static let awsEndpoints = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
    public static let awsRegions = ["AWS_REGION", "AWS_DEFAULT_REGION"]

    public static let hubToken = "HF_TOKEN"
    public static let hubEndpoint = "HF_ENDPOINT"
    /// https://huggingface.co, as `huggingface_hub`'s default.
    public static let defaultHubEndpoint = "https://huggingface.co"

    static func value(_ names: [String], in environment: [String: String]) -> String? {
        names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
    }

    public static func s3Addressing(_ environment: [String: String]) throws(StorageSettingsError) -> S3Addressing {
        var pathStyle: Bool?
        if let text = value([Self.pathStyle], in: environment) {
            switch text.lowercased() {
            case "true", "1": pathStyle = true
            case "false", "0": pathStyle = false
            default: throw StorageSettingsError("\(Self.pathStyle) must be true or false, not '\(text)'")
            }
        }
        return try S3Addressing(
            endpoint: value([endpoint] + awsEndpoints, in: environment),
            region: value([region] + awsRegions, in: environment), pathStyle: pathStyle)
    }

    /// Nil when no access key is set: requests go unsigned (public buckets).
    public static func s3Credentials(_ environment: [String: String]) throws(StorageSettingsError) -> S3Credentials? {
        let key = value([accessKeyID], in: environment)
        let secret = value([secretAccessKey], in: environment)
        switch (key, secret) {
        case (nil, nil): return nil
        case (let key?, let secret?): return S3Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: value([sessionToken], in: environment))
        case (nil, _): throw StorageSettingsError("\(secretAccessKey) is set but \(accessKeyID) is not")
        case (_, nil): throw StorageSettingsError("\(accessKeyID) is set but \(secretAccessKey) is not")
        }
    }

    public static func hubEndpoint(_ environment: [String: String]) throws(StorageSettingsError) -> EndpointURL {
        let text = value([endpoint, hubEndpoint], in: environment) ?? defaultHubEndpoint
        return try EndpointURL.parse(text)
    }

    public static func hubToken(_ environment: [String: String]) -> String? { value([hubToken], in: environment) }
}

/// Static S3 credentials. The description never shows them.
public struct S3Credentials: Sendable, Hashable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "S3Credentials(redacted\(sessionToken == nil ? "" : ", with session token"))" }
}

/// A model source the fetcher understands, parsed from a URI or a path.
public enum FetchSource: Sendable, Hashable, CustomStringConvertible {
    case localFile(path: String)
    case http(url: String)
    case s3(S3Location)
    case huggingFace(HuggingFaceLocation)

    public static func parse(_ text: String) -> Result<FetchSource, SourceError> {
        guard let separator = text.firstRange(of: "://") else {
            return text.isEmpty ? .failure(SourceError("the model source is empty")) : .success(.localFile(path: text))
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = String(text[separator.upperBound...])
        switch scheme {
        case "file": return .success(.localFile(path: rest))
        case "http", "https": return .success(.http(url: text))
        case "s3": return S3Location.parse(afterScheme: rest).map(FetchSource.s3)
        case "hf": return HuggingFaceLocation.parse(afterScheme: rest).map(FetchSource.huggingFace)
        default: return .failure(SourceError("unsupported model source scheme '\(scheme)'; expected a path, file://, http(s)://, s3:// or hf://"))
        }
    }

    /// For messages: no user info and no query (which may hold a presigned signature).
    public var description: String {
        switch self {
        case .localFile(let path): return path
        case .http(let url): return Redaction.url(url)
        case .s3(let location): return location.description
        case .huggingFace(let location): return location.description
        }
    }
}

public enum Redaction {
    /// `https://user:pass@host/p?X-Amz-Signature=...` -> `https://host/p?...`
    public static func url(_ url: String) -> String {
        var text = url
        if let query = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = String(text[..<query]) + "?..." }
        if let separator = text.firstRange(of: "://") {
            let rest = text[separator.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                text = String(text[..<separator.upperBound]) + String(rest[rest.index(after: at)...])
            }
        }
        return text
    }
}
