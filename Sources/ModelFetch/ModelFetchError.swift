/// Why a model could not be fetched. Every case names the source as written
/// in the spec (an http(s) URL without user info or query); none carries
/// credentials: messages come from status codes and the store's error code
/// and message, never from request headers.
public enum ModelFetchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The source or the storage settings do not parse.
    case invalidSource(String)
    /// 404, or a prefix with no objects.
    case notFound(source: String, detail: String)
    /// 401 or 403: missing or wrong credentials, or no permission.
    case accessDenied(source: String, detail: String)
    /// Any other unexpected answer.
    case server(source: String, status: Int, detail: String)
    /// The connection failed or broke off; a partial file is kept for resuming.
    case transport(source: String, detail: String)
    /// The bytes do not match the expected size or digest; nothing was kept.
    case verification(source: String, detail: String)
    /// A prefix whose objects do not say which one is the model.
    case layout(source: String, detail: String)
    /// Local files could not be written.
    case storage(String)

    public var description: String {
        switch self {
        case .invalidSource(let message): return "invalid model source: \(message)"
        case .notFound(let source, let detail): return "could not fetch \(source): not found (\(detail))"
        case .accessDenied(let source, let detail):
            return "could not fetch \(source): access denied (\(detail)); check the credentials Secret or the AWS_*/HF_TOKEN variables"
        case .server(let source, let status, let detail): return "could not fetch \(source): HTTP \(status)\(detail.isEmpty ? "" : " (\(detail))")"
        case .transport(let source, let detail): return "could not fetch \(source): \(detail)"
        case .verification(let source, let detail): return "could not fetch \(source): download rejected: \(detail)"
        case .layout(let source, let detail): return "could not fetch \(source): \(detail)"
        case .storage(let message): return "could not store the model: \(message)"
        }
    }
}
