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

    /// Which release's words the errors use: kube-openapi's results were
    /// mapped to field errors differently before 1.27 (a type error was
    /// `FieldValueInvalid`, a too-long string `should be at most N chars
    /// long`), as the captured 1.23 answers show.
    enum Messages: Sendable { case legacy, current }

    /// Schema validation (the API server's `ValidateCustomResource`: kube-openapi's
    /// validator, its results turned into field errors by `kubeOpenAPIResultToFieldErrors`).
    static func validate(_ value: JSON, schema: JSON, path: String = "", isRoot: Bool = true,
                         messages: Messages = .current) -> [FieldError] {
        var errors: [FieldError] = []
        check(value, schema, path, isRoot, messages, &errors)
        return errors
    }

    private static func check(_ value: JSON, _ schema: JSON, _ path: String, _ isRoot: Bool, _ messages: Messages,
                              _ errors: inout [FieldError]) {
        let field = path.isEmpty ? "<nil>" : path
        func invalid(_ detail: String) {
            errors.append(.invalid(field, value, "\(path) in body \(detail)"))
        }
        func wrongType(_ expected: String, _ actual: String) {
            let kind: FieldError.Kind = messages == .legacy ? .invalid : .typeInvalid
            errors.append(FieldError(kind, field, .json(.string(actual)), "\(path) in body must be of type \(expected): \"\(actual)\""))
        }
        if value.isNull {
            if schema["nullable"]?.boolValue != true && !isRoot { wrongType(schema["type"]?.stringValue ?? "object", "null") }
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
                wrongType(type, value.typeName)
                return
            }
        } else if schema["x-kubernetes-int-or-string"]?.boolValue == true {
            switch value { case .int, .string: break; default: wrongType("integer,string", value.typeName); return }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { $0.isEquivalent(to: value) }) {
            errors.append(.notSupported(field, value, options.map { $0.stringValue ?? $0.serialized() }))
        }
        if let number = value.doubleValue {
            if let minimum = schema["minimum"]?.doubleValue {
                let exclusive = schema["exclusiveMinimum"]?.boolValue == true
                if exclusive ? number <= minimum : number < minimum {
                    invalid("should be greater than \(exclusive ? "" : "or equal to ")\(GoFormat.display(schema["minimum"] ?? .null))")
                }
            }
            if let maximum = schema["maximum"]?.doubleValue {
                let exclusive = schema["exclusiveMaximum"]?.boolValue == true
                if exclusive ? number >= maximum : number > maximum {
                    invalid("should be less than \(exclusive ? "" : "or equal to ")\(GoFormat.display(schema["maximum"] ?? .null))")
                }
            }
        }
        if case .string(let s) = value {
            if let min = schema["minLength"]?.intValue, s.count < min { invalid("should be at least \(min) chars long") }
            if let max = schema["maxLength"]?.intValue, s.count > max {
                if messages == .legacy {
                    invalid("should be at most \(max) chars long")
                } else {
                    errors.append(FieldError(.tooLong, field, .json(value), "may not be more than \(max) bytes"))
                }
            }
            if let pattern = schema["pattern"]?.stringValue, let regex = try? Regex(pattern), s.firstMatch(of: regex) == nil {
                invalid("should match '\(pattern)'")
            }
        }
        switch value {
        case .object(let object):
            for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[key] == nil {
                errors.append(.required(path.isEmpty ? key : "\(path).\(key)"))
            }
            if let max = schema["maxProperties"]?.intValue, object.count > max {
                errors.append(FieldError(.tooMany, field, .json(.int(Int64(object.count))), "must have at most \(max) items"))
            }
            let properties = schema["properties"]?.objectValue
            for (key, child) in object {
                if isRoot && rootSkipped.contains(key) { continue }
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let p = properties?[key] { check(child, p, childPath, false, messages, &errors) }
                else if case .object = schema["additionalProperties"], let a = schema["additionalProperties"] {
                    check(child, a, childPath, false, messages, &errors)
                }
            }
        case .array(let items):
            if let min = schema["minItems"]?.intValue, items.count < min { invalid("should have at least \(min) items") }
            if let max = schema["maxItems"]?.intValue, items.count > max {
                errors.append(FieldError(.tooMany, field, .json(.int(Int64(items.count))), "must have at most \(max) items"))
            }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { check(item, itemSchema, "\(path)[\(i)]", false, messages, &errors) }
            }
        default: break
        }
    }
}
