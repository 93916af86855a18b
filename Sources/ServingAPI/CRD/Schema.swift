import JSONValue

/// Builders for structural OpenAPI v3 schema nodes, as CRDs require them:
/// every node has a `type`, objects list their `properties`, maps use
/// `additionalProperties`. Keys are written in one fixed order so the
/// generated CRD is byte-for-byte stable.
enum Schema {
    static func object(
        _ description: String, _ properties: [(String, JSON)], required: [String] = [], defaultEmpty: Bool = false,
        rules: [ValidationRule] = [], preserveUnknownFields: Bool = false
    ) -> JSON {
        var node = JSONObject()
        node["description"] = .string(description)
        node["type"] = "object"
        if defaultEmpty { node["default"] = .object([:]) }
        if !properties.isEmpty { node["properties"] = .object(JSONObject(properties)) }
        if !required.isEmpty { node["required"] = .array(required.map(JSON.string)) }
        if preserveUnknownFields { node["x-kubernetes-preserve-unknown-fields"] = true }
        if !rules.isEmpty { node["x-kubernetes-validations"] = .array(rules.map(\.json)) }
        return .object(node)
    }

    /// A string-to-string map, such as a node selector.
    static func stringMap(_ description: String, maxProperties: Int? = nil) -> JSON {
        var node = JSONObject()
        node["description"] = .string(description)
        node["type"] = "object"
        if let maxProperties { node["maxProperties"] = .int(Int64(maxProperties)) }
        node["additionalProperties"] = ["type": "string"]
        return .object(node)
    }

    static func string(
        _ description: String, default value: String? = nil, enum cases: [String]? = nil, pattern: String? = nil,
        minLength: Int? = nil, maxLength: Int? = nil, format: String? = nil
    ) -> JSON {
        var node = JSONObject()
        node["description"] = .string(description)
        node["type"] = "string"
        if let format { node["format"] = .string(format) }
        if let cases { node["enum"] = .array(cases.map(JSON.string)) }
        if let value { node["default"] = .string(value) }
        if let minLength { node["minLength"] = .int(Int64(minLength)) }
        if let maxLength { node["maxLength"] = .int(Int64(maxLength)) }
        if let pattern { node["pattern"] = .string(pattern) }
        return .object(node)
    }

    static func integer(_ description: String, default value: Int? = nil, range: ClosedRange<Int>? = nil, format: String = "int32") -> JSON {
        var node = JSONObject()
        node["description"] = .string(description)
        node["type"] = "integer"
        node["format"] = .string(format)
        if let value { node["default"] = .int(Int64(value)) }
        if let range {
            node["minimum"] = .int(Int64(range.lowerBound))
            node["maximum"] = .int(Int64(range.upperBound))
        }
        return .object(node)
    }

    static func number(_ description: String, default value: Double? = nil, range: ClosedRange<Double>? = nil) -> JSON {
        var node = JSONObject()
        node["description"] = .string(description)
        node["type"] = "number"
        if let value { node["default"] = numberJSON(value) }
        if let range {
            node["minimum"] = numberJSON(range.lowerBound)
            node["maximum"] = numberJSON(range.upperBound)
        }
        return .object(node)
    }

    static func boolean(_ description: String, default value: Bool? = nil) -> JSON {
        var node = JSONObject()
        node["description"] = .string(description)
        node["type"] = "boolean"
        if let value { node["default"] = .bool(value) }
        return .object(node)
    }

    static func array(_ description: String, items: JSON, minItems: Int? = nil, maxItems: Int? = nil, mapKeys: [String]? = nil,
                      default value: [JSON]? = nil, rules: [ValidationRule] = []) -> JSON {
        var node = JSONObject()
        node["description"] = .string(description)
        node["type"] = "array"
        if let value { node["default"] = .array(value) }
        if let minItems { node["minItems"] = .int(Int64(minItems)) }
        if let maxItems { node["maxItems"] = .int(Int64(maxItems)) }
        node["items"] = items
        if let mapKeys {
            node["x-kubernetes-list-type"] = "map"
            node["x-kubernetes-list-map-keys"] = .array(mapKeys.map(JSON.string))
        } else {
            node["x-kubernetes-list-type"] = "atomic"
        }
        if !rules.isEmpty { node["x-kubernetes-validations"] = .array(rules.map(\.json)) }
        return .object(node)
    }

    /// Whole numbers print as integers so the YAML reads `85`, not `85.0`.
    static func numberJSON(_ value: Double) -> JSON {
        if value.rounded() == value, abs(value) < 1e15 { return .int(Int64(value)) }
        return .double(value)
    }
}

/// One `x-kubernetes-validations` entry: a CEL rule, its message, and the
/// field it blames (relative to the schema node carrying it).
///
/// The API server evaluates a node's rules on that node's raw `default` when
/// the CRD is created (apiextensions-apiserver `defaulting.validate`), with no
/// nested defaults applied: `default: {}` meets a rule that reads `self.min`
/// with `no such key: min` and the CRD is rejected. So a rule never reads a
/// field it does not first test with `has()`: `init(_:reads:...)` writes the
/// guards from the list of fields the condition reads. Objects that reach the
/// rule for real arrive defaulted, where every defaulted field is present and
/// the guards are all false, so they keep the condition's meaning.
struct ValidationRule: Sendable {
    let rule: String
    let message: String
    let fieldPath: String?
    let reason: String?

    /// A rule that reads no field of `self` below what it tests with `has()` itself.
    init(_ rule: String, message: String, fieldPath: String? = nil, reason: String? = nil) {
        self.rule = rule
        self.message = message
        self.fieldPath = fieldPath
        self.reason = reason
    }

    /// `condition` holds whenever one of the fields it `reads` (paths below
    /// `self`, such as `rules.idle.afterSeconds`) is absent; each path's
    /// prefixes are tested first, so no `has()` itself selects an absent field.
    init(_ condition: String, reads: [String], message: String, fieldPath: String? = nil, reason: String? = nil) {
        self.init(Self.guarded(condition, reads: reads), message: message, fieldPath: fieldPath, reason: reason)
    }

    static func guarded(_ condition: String, reads: [String]) -> String {
        var guards: [String] = []
        for path in reads {
            let parts = path.split(separator: ".")
            for end in parts.indices {
                let test = "!has(self.\(parts[...end].joined(separator: ".")))"
                if !guards.contains(test) { guards.append(test) }
            }
        }
        guard !guards.isEmpty else { return condition }
        return (guards + ["(\(condition))"]).joined(separator: " || ")
    }

    var json: JSON {
        var node = JSONObject()
        node["rule"] = .string(rule)
        node["message"] = .string(message)
        if let fieldPath { node["fieldPath"] = .string(fieldPath) }
        if let reason { node["reason"] = .string(reason) }
        return .object(node)
    }
}
