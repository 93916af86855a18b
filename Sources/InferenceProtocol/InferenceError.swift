/// Why an inference request failed, with the HTTP status the v2 protocol gives it.
public enum InferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    case badRequest(String)
    case modelNotFound(String)
    case payloadTooLarge(limit: Int)
    case overloaded(retryAfterSeconds: Int)
    case notReady(String)
    case inferenceFailed(String)

    public var statusCode: Int {
        switch self {
        case .badRequest: return 400
        case .modelNotFound: return 404
        case .payloadTooLarge: return 413
        case .overloaded: return 429
        case .notReady: return 503
        case .inferenceFailed: return 500
        }
    }

    /// Bounded label for metrics.
    public var outcome: String {
        switch self {
        case .badRequest, .modelNotFound, .payloadTooLarge: return "client_error"
        case .overloaded: return "overloaded"
        case .notReady: return "not_ready"
        case .inferenceFailed: return "error"
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let message): return message
        case .modelNotFound(let name): return "model '\(name)' is not served here"
        case .payloadTooLarge(let limit): return "request body is larger than the limit of \(limit) bytes"
        case .overloaded: return "the model's request queue is full; retry later"
        case .notReady(let why): return why
        case .inferenceFailed(let message): return "inference failed: \(message)"
        }
    }
}
