import JSONValue

/// A Kubernetes API error, answered as a `kind: Status` body with the real
/// HTTP code and `reason` (see k8s.io/apimachinery `StatusReason`).
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var reason: String
    public var message: String
    public var details: JSON?
    /// Seconds for the `Retry-After` header (429 answers).
    public var retryAfter: Int?

    public init(code: Int, reason: String, message: String, details: JSON? = nil, retryAfter: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The `Status` object sent as the response body.
    public var status: JSON {
        var object: JSONObject = [
            "kind": "Status", "apiVersion": "v1", "metadata": .object([:]),
            "status": "Failure", "message": .string(message), "reason": .string(reason),
        ]
        if let details { object["details"] = details }
        object["code"] = .int(Int64(code))
        return .object(object)
    }

    static func details(name: String?, group: String, kind: String, causes: [JSON] = []) -> JSON {
        var d = JSONObject()
        if let name { d["name"] = .string(name) }
        if !group.isEmpty { d["group"] = .string(group) }
        d["kind"] = .string(kind)
        if !causes.isEmpty { d["causes"] = .array(causes) }
        return .object(d)
    }

    /// `deployments.apps` style qualified resource used in messages.
    static func qualified(_ resource: String, _ group: String) -> String {
        group.isEmpty ? resource : "\(resource).\(group)"
    }

    public static func notFound(_ resource: String, group: String, name: String) -> APIError {
        APIError(code: 404, reason: "NotFound",
                 message: "\(qualified(resource, group)) \"\(name)\" not found",
                 details: details(name: name, group: group, kind: resource))
    }

    public static func notFoundPath(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource",
                 details: .object(["causes": [["reason": "UnexpectedServerResponse", "message": .string("404 page not found: \(path)")]]]))
    }

    public static func alreadyExists(_ resource: String, group: String, name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists",
                 message: "\(qualified(resource, group)) \"\(name)\" already exists",
                 details: details(name: name, group: group, kind: resource))
    }

    public static func conflict(_ resource: String, group: String, name: String, message: String? = nil) -> APIError {
        let text = message ?? "the object has been modified; please apply your changes to the latest version and try again"
        return APIError(code: 409, reason: "Conflict",
                        message: "Operation cannot be fulfilled on \(qualified(resource, group)) \"\(name)\": \(text)",
                        details: details(name: name, group: group, kind: resource))
    }

    /// A field-level validation failure (422 Invalid).
    public struct Cause: Sendable, Equatable {
        public var reason: String   // FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueForbidden
        public var field: String
        /// The error's body without its field (`Invalid value: 3: ...`), as the server's causes carry it.
        public var message: String
        public init(reason: String, field: String, message: String) {
            self.reason = reason
            self.field = field
            self.message = message
        }
        var json: JSON { ["reason": .string(reason), "message": .string(message), "field": .string(field)] }
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    public static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    public static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got \(contentType))")
    }

    public static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    public static func forbidden(user: String, verb: String, resource: String, group: String, namespace: String?) -> APIError {
        let scope = namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        return APIError(code: 403, reason: "Forbidden",
                        message: "\(resource)\(group.isEmpty ? "" : ".\(group)") is forbidden: User \"\(user)\" cannot \(verb) resource \"\(resource)\" in API group \"\(group)\" \(scope)",
                        details: .object(["group": .string(group), "kind": .string(resource)]))
    }

    public static func tooManyRequests(retryAfter: Int) -> APIError {
        APIError(code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
                 details: .object(["retryAfterSeconds": .int(Int64(retryAfter))]), retryAfter: retryAfter)
    }

    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }
}
