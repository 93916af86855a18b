import JSONValue

/// A CRD version's structural `openAPIV3Schema` applied the way the API
/// server does for custom resources: prune unknown fields, apply defaults,
/// then validate types, enums, bounds, lengths, `pattern` (Swift regex
/// syntax; a pattern it cannot compile is not checked), item counts and
/// `required`.
/// `metadata`, `apiVersion` and `kind` at the root are left to the server.
enum StructuralSchema {
    static let rootSkipped: Set<String> = ["metadata", "apiVersion", "kind"]

    /// Removes fields the schema does not know; returns the removed paths.
    static func prune(_ value: inout JSON, schema: JSON, path: String = "", isRoot: Bool = true) -> [String] {
        if schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true && schema["properties"] == nil { return [] }
        var removed: [String] = []
        switch value {
        case .object(var object):
            let properties = schema["properties"]?.objectValue
            let additional = schema["additionalProperties"]
            let preserve = schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
            for key in object.keys {
                if isRoot && rootSkipped.contains(key) { continue }
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard var child = object[key] else { continue }
                let childSchema: JSON?
                if let p = properties?[key] { childSchema = p }
                else if case .object = additional { childSchema = additional }
                else if additional?.boolValue == true || preserve { continue }
                else { childSchema = nil }
                guard let childSchema else {
                    object[key] = nil
                    removed.append(childPath)
                    continue
                }
                if child.isNull && childSchema["nullable"]?.boolValue != true {
                    object[key] = nil
                    continue
                }
                removed += prune(&child, schema: childSchema, path: childPath, isRoot: false)
                object[key] = child
            }
            value = .object(object)
        case .array(var items):
            guard let itemSchema = schema["items"] else { return [] }
            for i in items.indices {
                removed += prune(&items[i], schema: itemSchema, path: "\(path)[\(i)]", isRoot: false)
            }
            value = .array(items)
        default: break
        }
        return removed
    }

    /// Fills absent properties that declare a `default`, recursively.
    static func applyDefaults(_ value: inout JSON, schema: JSON) {
        switch value {
        case .object(var object):
            if let properties = schema["properties"]?.objectValue {
                for (key, propertySchema) in properties {
                    if object[key] == nil, let d = propertySchema["default"] { object[key] = d }
                    if var child = object[key] {
                        applyDefaults(&child, schema: propertySchema)
                        object[key] = child
                    }
                }
            } else if case .object = schema["additionalProperties"], let additional = schema["additionalProperties"] {
                for key in object.keys {
                    if var child = object[key] { applyDefaults(&child, schema: additional); object[key] = child }
                }
            }
            value = .object(object)
        case .array(var items):
            guard let itemSchema = schema["items"] else { return }
            for i in items.indices { applyDefaults(&items[i], schema: itemSchema) }
            value = .array(items)
        default: break
        }
    }

    static func validate(_ value: JSON, schema: JSON, path: String = "", isRoot: Bool = true) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        check(value, schema, path, isRoot, &causes)
        return causes
    }

    private static func render(_ value: JSON) -> String {
        if case .string(let s) = value { return "\"\(s)\"" }
        return value.serialized()
    }

    private static func check(_ value: JSON, _ schema: JSON, _ path: String, _ isRoot: Bool, _ causes: inout [APIError.Cause]) {
        func invalid(_ detail: String) {
            causes.append(.init(reason: "FieldValueInvalid", field: path,
                                message: "\(path): Invalid value: \(render(value)): \(path) in body \(detail)"))
        }
        if value.isNull {
            if schema["nullable"]?.boolValue != true && !isRoot { invalid("must be of type \(schema["type"]?.stringValue ?? "object"): \"null\"") }
            return
        }
        if let type = schema["type"]?.stringValue, !isRoot {
            let intOrString = schema["x-kubernetes-int-or-string"]?.boolValue == true
            let ok: Bool
            switch (type, value) {
            case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("integer", .int),
                 ("number", .int), ("number", .double): ok = true
            default: ok = intOrString && ({ if case .string = value { return true }; if case .int = value { return true }; return false }())
            }
            if !ok {
                invalid("must be of type \(type): \"\(value.typeName)\"")
                return
            }
        } else if schema["x-kubernetes-int-or-string"]?.boolValue == true {
            switch value { case .int, .string: break; default: invalid("must be of type integer or string: \"\(value.typeName)\""); return }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { $0.isEquivalent(to: value) }) {
            let supported = options.map(render).joined(separator: ", ")
            causes.append(.init(reason: "FieldValueNotSupported", field: path,
                                message: "\(path): Unsupported value: \(render(value)): supported values: \(supported)"))
        }
        if let number = value.doubleValue {
            if let minimum = schema["minimum"]?.doubleValue {
                let exclusive = schema["exclusiveMinimum"]?.boolValue == true
                if exclusive ? number <= minimum : number < minimum {
                    invalid("should be greater than \(exclusive ? "" : "or equal to ")\(render(schema["minimum"] ?? .null))")
                }
            }
            if let maximum = schema["maximum"]?.doubleValue {
                let exclusive = schema["exclusiveMaximum"]?.boolValue == true
                if exclusive ? number >= maximum : number > maximum {
                    invalid("should be less than \(exclusive ? "" : "or equal to ")\(render(schema["maximum"] ?? .null))")
                }
            }
        }
        if case .string(let s) = value {
            if let min = schema["minLength"]?.intValue, s.count < min { invalid("should be at least \(min) chars long") }
            if let pattern = schema["pattern"]?.stringValue, let regex = try? Regex(pattern), s.firstMatch(of: regex) == nil {
                invalid("should match '\(pattern)'")
            }
            if let max = schema["maxLength"]?.intValue, s.count > max {
                causes.append(.init(reason: "FieldValueTooLong", field: path, message: "\(path): Too long: may not be more than \(max) bytes"))
            }
        }
        switch value {
        case .object(let object):
            for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[key] == nil {
                let field = path.isEmpty ? key : "\(path).\(key)"
                causes.append(.init(reason: "FieldValueRequired", field: field, message: "\(field): Required value"))
            }
            let properties = schema["properties"]?.objectValue
            for (key, child) in object {
                if isRoot && rootSkipped.contains(key) { continue }
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let p = properties?[key] { check(child, p, childPath, false, &causes) }
                else if case .object = schema["additionalProperties"], let a = schema["additionalProperties"] {
                    check(child, a, childPath, false, &causes)
                }
            }
        case .array(let items):
            if let min = schema["minItems"]?.intValue, items.count < min { invalid("should have at least \(min) items") }
            if let max = schema["maxItems"]?.intValue, items.count > max {
                causes.append(.init(reason: "FieldValueTooMany", field: path, message: "\(path): Too many: \(items.count): must have at most \(max) items"))
            }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { check(item, itemSchema, "\(path)[\(i)]", false, &causes) }
            }
        default: break
        }
    }
}
