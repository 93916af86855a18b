#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming
import HTTP
import JSONValue
import KubeAPI

/// Every failure of the Kubernetes client, with cases a caller acts on.
/// API errors carry the server's `Status` (its message, reason and details).
public enum KubeAPIError: Error, Sendable, CustomStringConvertible {
    case notFound(Status)
    /// Stale `resourceVersion` on write, or a field-manager conflict on apply.
    case conflict(Status)
    case alreadyExists(Status)
    /// The requested resourceVersion is compacted (HTTP 410 or a watch
    /// `ERROR` event with code 410): relist.
    case gone(Status)
    case unauthorized(Status)
    case forbidden(Status)
    /// 422 with the offending fields in `causes`.
    case invalid(Status, causes: [Status.Cause])
    case badRequest(Status)
    /// 429; `retryAfter` from the `Retry-After` header or `details.retryAfterSeconds`.
    case tooManyRequests(Status, retryAfter: Duration?)
    /// 5xx; `retryAfter` when the server sent one (503/504 may).
    case server(Status, retryAfter: Duration?)
    /// Any other non-2xx status.
    case unexpected(Status)
    /// Nothing usable came back from the server.
    case transport(HTTPError)
    /// A response body did not decode; the message names the field.
    case decoding(String)
    /// The client configuration (kubeconfig, in-cluster files, credentials) is unusable.
    case configuration(String)

    public var status: Status? {
        switch self {
        case .notFound(let s), .conflict(let s), .alreadyExists(let s), .gone(let s), .unauthorized(let s),
            .forbidden(let s), .badRequest(let s), .unexpected(let s):
            return s
        case .invalid(let s, _), .tooManyRequests(let s, _), .server(let s, _):
            return s
        case .transport, .decoding, .configuration:
            return nil
        }
    }

    public var code: Int? { status?.code }

    /// The object (or its namespace) does not exist: HTTP 404.
    public var isNotFound: Bool {
        if case .notFound = self { return true }
        return false
    }

    /// Whether retrying the same request later may succeed.
    public var isRetryable: Bool {
        switch self {
        case .tooManyRequests, .server, .transport: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .transport(let error): return "transport: \(error)"
        case .decoding(let message): return "decoding: \(message)"
        case .configuration(let message): return "configuration: \(message)"
        case .invalid(let status, let causes):
            let fields = causes.compactMap { cause in cause.field.map { "\($0): \(cause.message ?? cause.reason ?? "")" } }
            let suffix = fields.isEmpty ? "" : " [" + fields.joined(separator: "; ") + "]"
            return "invalid (422): \(status.message ?? "")\(suffix)"
        default:
            let status = self.status
            return "\(status?.reason ?? "Error") (\(status?.code ?? 0)): \(status?.message ?? "")"
        }
    }

    /// Maps a non-2xx response to an error, decoding its `kind: Status` body
    /// when there is one.
    public static func from(response: HTTPResponse) -> KubeAPIError {
        from(status: response.status, headers: response.headers, body: response.body)
    }

    public static func from(status code: Int, headers: HTTPHeaders, body: [UInt8]) -> KubeAPIError {
        var status: Status
        if let value = try? JSON.parse(body), value["kind"]?.stringValue == "Status",
            let decoded = try? value.decode(Status.self)
        {
            status = decoded
            if status.code == nil { status.code = code }
        } else {
            let text = String(decoding: body.prefix(512), as: UTF8.self)
            status = Status(code: code, reason: defaultReason(code), message: text.isEmpty ? "HTTP \(code)" : text)
        }
        return from(status: status, retryAfterHeader: headers["Retry-After"])
    }

    /// Maps a decoded `Status` (from a response or a watch `ERROR` event).
    public static func from(status: Status, retryAfterHeader: String? = nil) -> KubeAPIError {
        let code = status.code ?? 500
        let retryAfter: Duration? = {
            if let header = retryAfterHeader, let seconds = Int(header.trimmingWhitespace()), seconds >= 0 {
                return .seconds(seconds)
            }
            return status.details?.retryAfterSeconds.map { .seconds($0) }
        }()
        switch code {
        case 400: return .badRequest(status)
        case 401: return .unauthorized(status)
        case 403: return .forbidden(status)
        case 404: return .notFound(status)
        case 409: return status.reason == "AlreadyExists" ? .alreadyExists(status) : .conflict(status)
        case 410: return .gone(status)
        case 422: return .invalid(status, causes: status.details?.causes ?? [])
        case 429: return .tooManyRequests(status, retryAfter: retryAfter)
        case 500...599: return .server(status, retryAfter: retryAfter)
        default: return .unexpected(status)
        }
    }

    private static func defaultReason(_ code: Int) -> String {
        switch code {
        case 400: return "BadRequest"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 405: return "MethodNotAllowed"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 415: return "UnsupportedMediaType"
        case 422: return "Invalid"
        case 429: return "TooManyRequests"
        case 503: return "ServiceUnavailable"
        case 504: return "Timeout"
        default: return code >= 500 ? "InternalError" : "Unknown"
        }
    }
}
