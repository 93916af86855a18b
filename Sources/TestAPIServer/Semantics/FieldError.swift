import JSONValue

/// A field-level validation error, as k8s.io/apimachinery's `field.Error`:
/// a type, the field's path, the offending value and a detail. `body` is
/// `ErrorBody()` (what a `details.causes[].message` carries) and
/// `description` is `Error()` (`<field>: <body>`, what the Status message
/// joins).
struct FieldError: Sendable, Equatable, CustomStringConvertible {
    /// `field.ErrorType`: the cause's `reason` and the words the body starts with.
    enum Kind: String, Sendable {
        case notFound = "FieldValueNotFound"
        case required = "FieldValueRequired"
        case duplicate = "FieldValueDuplicate"
        case invalid = "FieldValueInvalid"
        case notSupported = "FieldValueNotSupported"
        case forbidden = "FieldValueForbidden"
        case tooLong = "FieldValueTooLong"
        case tooMany = "FieldValueTooMany"
        case `internal` = "InternalError"
        case typeInvalid = "FieldValueTypeInvalid"

        var words: String {
            switch self {
            case .notFound: return "Not found"
            case .required: return "Required value"
            case .duplicate: return "Duplicate value"
            case .invalid, .typeInvalid: return "Invalid value"
            case .notSupported: return "Unsupported value"
            case .forbidden: return "Forbidden"
            case .tooLong: return "Too long"
            case .tooMany: return "Too many"
            case .internal: return "Internal error"
            }
        }
    }

    /// The value an error shows, as Go would print what the real server holds.
    enum BadValue: Sendable, Equatable {
        /// Nothing is printed (`field.OmitValueType`, and the kinds that never print one).
        case omitted
        /// A decoded JSON value (`map[string]interface {}`, `int64`, ...).
        case json(JSON)
        /// Text the server prints as it is (a Go struct's `%#v`, say).
        case verbatim(String)
    }

    var kind: Kind
    /// `field.Path.String()`: `spec.r`, `metadata.name`, `<nil>` for the root.
    var field: String
    var value: BadValue
    var detail: String

    init(_ kind: Kind, _ field: String, _ value: BadValue = .omitted, _ detail: String = "") {
        self.kind = kind
        self.field = field.isEmpty ? "<nil>" : field
        self.value = value
        self.detail = detail
    }

    static func invalid(_ field: String, _ value: JSON, _ detail: String) -> FieldError {
        FieldError(.invalid, field, .json(value), detail)
    }

    static func required(_ field: String, _ detail: String = "") -> FieldError {
        FieldError(.required, field, .omitted, detail)
    }

    static func forbidden(_ field: String, _ detail: String) -> FieldError {
        FieldError(.forbidden, field, .omitted, detail)
    }

    /// `field.NotSupported`: the detail lists the allowed values, quoted.
    static func notSupported(_ field: String, _ value: JSON, _ allowed: [String]) -> FieldError {
        let detail = allowed.isEmpty ? "" : "supported values: " + allowed.map(GoFormat.quoted).joined(separator: ", ")
        return FieldError(.notSupported, field, .json(value), detail)
    }

    /// `ErrorBody()`: the kind's words, the value where the kind shows one, the detail.
    var body: String {
        var text = kind.words
        switch (kind, value) {
        case (.required, _), (.forbidden, _), (.tooLong, _), (.internal, _), (_, .omitted): break
        case (_, .json(let v)): text += ": " + GoFormat.display(v)
        case (_, .verbatim(let s)): text += ": " + s
        }
        if !detail.isEmpty { text += ": " + detail }
        return text
    }

    var description: String { "\(field): \(body)" }

    var cause: APIError.Cause { APIError.Cause(reason: kind.rawValue, field: field, message: body) }

    /// A path below `self` in `field.Path` notation (`Child`).
    static func child(_ path: String, _ name: String) -> String {
        path.isEmpty || path == "<nil>" ? name : "\(path).\(name)"
    }
}

extension APIError {
    /// 422 Invalid from field errors, the message joined as `errors.NewInvalid`
    /// does (`ErrorList.ToAggregate`: duplicates dropped, several in brackets).
    static func invalid(kind: String, group: String, name: String, errors: [FieldError]) -> APIError {
        var seen: Set<String> = []
        let unique = errors.filter { seen.insert($0.description).inserted }
        let joined = unique.map(\.description).joined(separator: ", ")
        let text = unique.count == 1 ? joined : "[\(joined)]"
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        return APIError(code: 422, reason: "Invalid", message: "\(qualifiedKind) \"\(name)\" is invalid: \(text)",
                        details: details(name: name, group: group, kind: kind, causes: unique.map(\.cause.json)))
    }
}
