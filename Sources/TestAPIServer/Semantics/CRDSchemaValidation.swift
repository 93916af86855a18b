import JSONValue

/// What the API server checks of each version's `openAPIV3Schema` when a
/// CustomResourceDefinition is created or updated, in the order it checks:
///
/// 1. the schema itself (apiextensions `validation.ValidateCustomResourceDefinitionOpenAPISchema`
///    and `specStandardValidatorV3.validate`): known types, no `$ref` and friends,
///    `properties` xor `additionalProperties`, list types and map keys, each
///    validation rule's fields, and every rule compiled against the schema
///    (`cel.Compile`) where the node has no schema error;
/// 2. structurality (`schema.ValidateStructural`), reported only when 1 found nothing;
/// 3. every `default` (`defaulting.ValidateDefaults` → `validate`): pruned,
///    valid against its node, and passing the CEL rules of its node and of the
///    nodes below that it holds, evaluated on the raw default with no nested
///    defaults applied.
///
/// Paths are the server's: `spec.validation.openAPIV3Schema...` when every
/// version has the same schema (the internal type keeps one then), else
/// `spec.versions[i].schema.openAPIV3Schema...`; `properties[name]`, `items`,
/// `additionalProperties`, `x-kubernetes-validations[i].rule`.
struct CRDSchemaValidation {
    let compile: CELValidation.Compile
    let messages: StructuralSchema.Messages
    /// Whether `x-kubernetes-validations` are enforced (the feature gate).
    let validationRules: Bool
    /// Whether the server knows `reason`/`fieldPath` (1.28): the rendering of a
    /// rule in compile errors lists the fields its release's Go type has.
    let version: KubernetesVersion

    static let openAPIV3Types = ["array", "boolean", "integer", "number", "object", "string"]
    static let listTypes = ["atomic", "map", "set"]
    static let supportedReasons = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"]

    enum Level { case root, item, field }

    func validate(crd: JSON) -> [FieldError] {
        let versions = crd[path: "spec", "versions"]?.arrayValue ?? []
        let schemas = versions.map { $0[path: "schema", "openAPIV3Schema"] }
        let first = schemas.first ?? nil
        let shared = first.map { first in schemas.allSatisfy { $0?.isEquivalent(to: first) == true } } ?? false
        var errors: [FieldError] = []
        for (i, schema) in schemas.enumerated() {
            let prefix = shared ? "spec.validation.openAPIV3Schema" : "spec.versions[\(i)].schema.openAPIV3Schema"
            guard let schema else {
                errors.append(.required("spec.versions[\(i)].schema.openAPIV3Schema", "schemas are required"))
                continue
            }
            let openAPI = openAPIProblems(schema, prefix, .root)
            var found = openAPI.schema + openAPI.cel
            if found.isEmpty { found = structuralProblems(schema, prefix, .root) }
            if found.isEmpty { found = defaultProblems(schema, prefix) }
            errors += found
            if shared { break }
        }
        return errors
    }

    // MARK: 1. the schema as OpenAPI

    /// Problems of `node` and below, schema errors apart from rule compilation
    /// errors (upstream's `SchemaErrors` and `CELErrors`): a node's rules are
    /// compiled only when it and its subtree have no schema error.
    func openAPIProblems(_ node: JSON, _ path: String, _ level: Level) -> (schema: [FieldError], cel: [FieldError]) {
        guard case .object(let object) = node else { return ([.invalid(path, node, "must be a schema object")], []) }
        var errors: [FieldError] = []
        var celErrors: [FieldError] = []
        func add(_ found: (schema: [FieldError], cel: [FieldError])) {
            errors += found.schema
            celErrors += found.cel
        }
        if let type = object["type"]?.stringValue, !Self.openAPIV3Types.contains(type) {
            if type == "null" {
                errors.append(.forbidden("\(path).type", "type cannot be set to null, use nullable as an alternative"))
            } else {
                errors.append(.notSupported("\(path).type", .string(type), Self.openAPIV3Types))
            }
        }
        let unsupported: [(String, String)] = [("id", "id is not supported"), ("additionalItems", "additionalItems is not supported"),
                                               ("patternProperties", "patternProperties is not supported"),
                                               ("definitions", "definitions is not supported"),
                                               ("dependencies", "dependencies is not supported"), ("$ref", "$ref is not supported")]
        for (key, message) in unsupported where object[key] != nil {
            errors.append(.forbidden("\(path).\(key)", message))
        }
        if object["uniqueItems"]?.boolValue == true {
            errors.append(.forbidden("\(path).uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
        }
        if case .array = object["items"] {
            errors.append(.forbidden("\(path).items", "items must be a schema object and not an array"))
        }
        if object["properties"] != nil, let additional = object["additionalProperties"], additional != .bool(false) {
            errors.append(.forbidden("\(path).additionalProperties", "additionalProperties and properties are mutual exclusive"))
        }
        errors += listTypeProblems(object, path)
        // Children first: a rule is compiled only when nothing at or below its node is wrong.
        for (key, child) in object["properties"]?.objectValue ?? [:] {
            add(openAPIProblems(child, "\(path).properties[\(key)]", .field))
        }
        if let items = object["items"], case .object = items {
            add(openAPIProblems(items, "\(path).items", .item))
        }
        if let additional = object["additionalProperties"], case .object = additional {
            add(openAPIProblems(additional, "\(path).additionalProperties", .field))
        }
        add(ruleProblems(node, path, level, schemaErrorsBelow: !errors.isEmpty))
        return (errors, celErrors)
    }

    private func listTypeProblems(_ object: JSONObject, _ path: String) -> [FieldError] {
        var errors: [FieldError] = []
        let listType = object["x-kubernetes-list-type"]?.stringValue
        let keys = object["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let listType, !Self.listTypes.contains(listType) {
            errors.append(.notSupported("\(path).x-kubernetes-list-type", .string(listType), Self.listTypes))
        }
        if listType != nil, object["type"]?.stringValue != "array" {
            errors.append(.invalid("\(path).type", object["type"] ?? .string(""), "must be array if x-kubernetes-list-type is specified"))
        }
        if !keys.isEmpty && listType != "map" {
            errors.append(.forbidden("\(path).x-kubernetes-list-map-keys", "must be empty if x-kubernetes-list-type is not map"))
        }
        guard listType == "map" else { return errors }
        if keys.isEmpty {
            errors.append(.required("\(path).x-kubernetes-list-map-keys", "must not be empty if x-kubernetes-list-type is map"))
        }
        let items = object["items"]
        if let itemType = items?["type"]?.stringValue, itemType != "object" {
            errors.append(.invalid("\(path).items.type", .string(itemType), "must be object if parent array's x-kubernetes-list-type is map"))
        }
        let required = Set(items?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for key in keys {
            guard let property = items?[path: "properties", key] else {
                errors.append(.invalid("\(path).x-kubernetes-list-map-keys", .array(keys.map(JSON.string)), "entries must all be names of item properties"))
                continue
            }
            if !required.contains(key) && property["default"] == nil {
                errors.append(.required("\(path).items.properties[\(key)].default",
                                        "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"))
            }
        }
        return errors
    }

    /// A rule's own fields (`validateOpenAPISchema`'s XValidations loop), then its compilation.
    private func ruleProblems(_ node: JSON, _ path: String, _ level: Level,
                              schemaErrorsBelow: Bool) -> (schema: [FieldError], cel: [FieldError]) {
        let rules = node["x-kubernetes-validations"]?.arrayValue ?? []
        guard !rules.isEmpty else { return ([], []) }
        var errors: [FieldError] = []
        for (i, rule) in rules.enumerated() {
            let at = "\(path).x-kubernetes-validations[\(i)]"
            let text = rule["rule"]?.stringValue ?? ""
            let trimmedRule = text.trimmed
            let message = rule["message"]?.stringValue ?? ""
            if trimmedRule.isEmpty {
                errors.append(.required("\(at).rule", "rule is not specified"))
            } else if !message.isEmpty && message.trimmed.isEmpty {
                errors.append(.invalid("\(at).message", .string(message), "message must be non-empty if specified"))
            } else if message.contains(where: \.isNewline) {
                errors.append(.invalid("\(at).message", .string(message), "message must not contain line breaks"))
            } else if trimmedRule.contains(where: \.isNewline) && message.trimmed.isEmpty {
                errors.append(.required("\(at).message", "message must be specified if rule contains line breaks"))
            }
            if let expression = rule["messageExpression"]?.stringValue, !expression.isEmpty, expression.trimmed.isEmpty {
                errors.append(.required("\(at).messageExpression", "messageExpression must be non-empty if specified"))
            }
            if let reason = rule["reason"]?.stringValue, !Self.supportedReasons.contains(reason) {
                errors.append(.notSupported("\(at).reason", .string(reason), Self.supportedReasons))
            }
            if let fieldPath = rule["fieldPath"]?.stringValue {
                if !fieldPath.isEmpty && fieldPath.trimmed.isEmpty {
                    errors.append(.invalid("\(at).fieldPath", .string(fieldPath), "fieldPath must be non-empty if specified"))
                } else if fieldPath.contains(where: \.isNewline) {
                    errors.append(.invalid("\(at).fieldPath", .string(fieldPath), "fieldPath must not contain line breaks"))
                } else if !fieldPath.isEmpty && !Self.fieldPathIsValid(fieldPath, in: node) {
                    errors.append(.invalid("\(at).fieldPath", .string(fieldPath), "fieldPath must be a valid path"))
                }
            }
        }
        guard errors.isEmpty, !schemaErrorsBelow, validationRules else { return (errors, []) }
        var celErrors: [FieldError] = []
        for (i, rule) in rules.enumerated() {
            guard let text = rule["rule"]?.stringValue, !text.trimmed.isEmpty else { continue }
            if case .failure(let failure) = compile(text, node, level == .root) {
                celErrors.append(FieldError(.invalid, "\(path).x-kubernetes-validations[\(i)].rule",
                                            .verbatim(goSyntax(ofRule: rule)), failure.apiServerDetail))
            }
        }
        return ([], celErrors)
    }

    /// `cel.ValidFieldPath` for the paths our rules name: `.a.b` or `['a'].b`
    /// through properties and map values; list indices are not allowed.
    static func fieldPathIsValid(_ fieldPath: String, in node: JSON) -> Bool {
        var schema = node
        var rest = Substring(fieldPath)
        while !rest.isEmpty {
            let name: String
            if rest.hasPrefix(".") {
                rest.removeFirst()
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                name = String(rest[..<end])
                rest = rest[end...]
            } else if rest.hasPrefix("['") {
                rest.removeFirst(2)
                guard let close = rest.range(of: "']") else { return false }
                name = String(rest[..<close.lowerBound])
                rest = rest[close.upperBound...]
            } else {
                return false
            }
            if name.isEmpty { return false }
            if let property = schema[path: "properties", name] {
                schema = property
            } else if case .object = schema["additionalProperties"], schema["properties"] == nil {
                schema = schema["additionalProperties"] ?? .null
            } else {
                return false
            }
        }
        return true
    }

    /// How `%#v` prints the internal `apiextensions.ValidationRule` in a compile
    /// error: its Go struct, with the fields the server's release has.
    func goSyntax(ofRule rule: JSON) -> String {
        var fields = ["Rule:" + GoFormat.quoted(rule["rule"]?.stringValue ?? ""),
                      "Message:" + GoFormat.quoted(rule["message"]?.stringValue ?? "")]
        if version.supports(.messageExpression) {
            fields.append("MessageExpression:" + GoFormat.quoted(rule["messageExpression"]?.stringValue ?? ""))
        }
        if version.supports(.reasonAndFieldPath) {
            // A set *string prints as its address; any address stands for it.
            fields.append("Reason:(*apiextensions.FieldValueErrorReason)(" + (rule["reason"] == nil ? "nil" : "0xc000a1b2c0") + ")")
            fields.append("FieldPath:" + GoFormat.quoted(rule["fieldPath"]?.stringValue ?? ""))
        }
        if version >= KubernetesVersion(1, 30) {
            fields.append("OptionalOldSelf:(*bool)(" + (rule["optionalOldSelf"] == nil ? "nil" : "0xc000a1b2c8") + ")")
        }
        return "apiextensions.ValidationRule{" + fields.joined(separator: ", ") + "}"
    }

    // MARK: 2. structurality

    /// `validateStructuralInvariants` for the shapes a CRD schema takes.
    func structuralProblems(_ node: JSON, _ path: String, _ level: Level) -> [FieldError] {
        var errors: [FieldError] = []
        let type = node["type"]?.stringValue ?? ""
        let intOrString = node["x-kubernetes-int-or-string"]?.boolValue == true
        let preserve = node["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
        let embedded = node["x-kubernetes-embedded-resource"]?.boolValue == true
        if type == "array" && node["items"] == nil {
            errors.append(.required("\(path).items", "must be specified"))
        }
        if let items = node["items"], case .object = items { errors += structuralProblems(items, "\(path).items", .item) }
        for (key, child) in node["properties"]?.objectValue ?? [:] {
            errors += structuralProblems(child, "\(path).properties[\(key)]", .field)
        }
        if let additional = node["additionalProperties"], additional != .bool(false) {
            if level == .root { errors.append(.forbidden("\(path).additionalProperties", "must not be used at the root")) }
            if case .object = additional { errors += structuralProblems(additional, "\(path).additionalProperties", .field) }
        }
        if intOrString && preserve {
            errors.append(.invalid("\(path).x-kubernetes-preserve-unknown-fields", true, "must be false if x-kubernetes-int-or-string is true"))
        }
        if embedded && type != "object" {
            if type.isEmpty {
                errors.append(.required("\(path).type", "must be object if x-kubernetes-embedded-resource is true"))
            } else {
                errors.append(.invalid("\(path).type", .string(type), "must be object if x-kubernetes-embedded-resource is true"))
            }
        } else if type.isEmpty && !intOrString && !preserve {
            switch level {
            case .root: errors.append(.required("\(path).type", "must not be empty at the root"))
            case .item: errors.append(.required("\(path).type", "must not be empty for specified array items"))
            case .field: errors.append(.required("\(path).type", "must not be empty for specified object fields"))
            }
        }
        if level == .root && !type.isEmpty && type != "object" {
            errors.append(.invalid("\(path).type", .string(type), "must be object at the root"))
        }
        if level == .root, let metadata = node[path: "properties", "metadata"] {
            if metadata["type"]?.stringValue != "object" {
                errors.append(.invalid("\(path).properties[metadata].type", metadata["type"] ?? .string(""), "must be object"))
            }
            var rest = metadata.objectValue ?? [:]
            for key in ["type", "description", "default"] { rest[key] = nil }
            if var properties = rest["properties"]?.objectValue {
                properties["name"] = nil
                properties["generateName"] = nil
                rest["properties"] = properties.isEmpty ? nil : .object(properties)
            }
            if !rest.isEmpty {
                errors.append(.forbidden("\(path).properties[metadata]",
                                         "must not specify anything other than name and generateName, but metadata is implicitly specified"))
            }
        }
        return errors
    }

    // MARK: 3. defaults

    /// `defaulting.validate`: every default is pruned, valid against its node,
    /// and passes the rules its raw value reaches. Defaults are not followed
    /// into additionalProperties (the server forbids them there) nor into
    /// the root's metadata.
    func defaultProblems(_ node: JSON, _ path: String, isRoot: Bool = true) -> [FieldError] {
        var errors: [FieldError] = []
        if let value = node["default"], !value.isNull {
            let at = "\(path).default"
            var pruned = value
            _ = StructuralSchema.prune(&pruned, schema: node, isRoot: false)
            if pruned != value {
                errors.append(.invalid(at, value, "must not have unknown fields"))
            } else {
                let schemaErrors = StructuralSchema.validate(value, schema: node, path: at, isRoot: false, messages: messages)
                if !schemaErrors.isEmpty {
                    errors += schemaErrors
                } else if validationRules {
                    let cel = CELValidation(compile: compile, messages: messages)
                    errors += cel.validate(value, schema: node, path: at, isRoot: isRoot)
                }
            }
        }
        if let items = node["items"], case .object = items { errors += defaultProblems(items, "\(path).items", isRoot: false) }
        for (key, child) in node["properties"]?.objectValue ?? [:] where !(isRoot && key == "metadata") {
            errors += defaultProblems(child, "\(path).properties[\(key)]", isRoot: false)
        }
        return errors
    }
}

private extension String {
    var trimmed: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
