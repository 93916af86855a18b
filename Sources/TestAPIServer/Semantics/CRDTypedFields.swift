import JSONValue

/// The fields of `apiextensions.k8s.io/v1` CustomResourceDefinition as the
/// Go types declare them (`k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1`
/// `types.go`, `types_jsonschema.go`), with the release each newer field
/// arrived in. A real server decodes a CRD into those types: a field they
/// lack is an unknown field, dropped, warned about or (under
/// `fieldValidation=Strict`) a 400, as the JSON decoder's strict mode
/// reports it (sigs.k8s.io/json `UnmarshalStrict`, wrapped by the
/// apiserver's `strict decoding error: unknown field "<path>"`).
enum CRDTypedFields {
    /// One Go struct: its JSON field names, what each holds, and from which
    /// release a field exists.
    indirect enum Shape: Sendable {
        case scalar
        /// Any JSON (`default`, `example`, `enum` items, `caBundle`).
        case any
        case object([String: Field])
        case list(Shape)
        case map(Shape)
        /// `JSONSchemaProps`, recursive.
        case schema
        /// `JSONSchemaPropsOrBool` / `JSONSchemaPropsOrArray`: a schema, or a bool / list of schemas.
        case schemaOrOther
    }

    struct Field: Sendable {
        var shape: Shape
        var since: KubernetesVersion?
        init(_ shape: Shape, since: KubernetesVersion? = nil) {
            self.shape = shape
            self.since = since
        }
    }

    static let validationRule: Shape = .object([
        "rule": Field(.scalar), "message": Field(.scalar),
        "messageExpression": Field(.scalar, since: CRDFeature.messageExpression.since),
        "reason": Field(.scalar, since: CRDFeature.reasonAndFieldPath.since),
        "fieldPath": Field(.scalar, since: CRDFeature.reasonAndFieldPath.since),
        // Validation ratcheting (KEP-4008): `optionalOldSelf` arrived with it in 1.30.
        "optionalOldSelf": Field(.scalar, since: KubernetesVersion(1, 30)),
    ])

    static let schemaFields: [String: Field] = {
        var fields: [String: Field] = [:]
        for name in ["id", "$schema", "$ref", "description", "type", "format", "title", "maximum", "exclusiveMaximum",
                     "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
                     "uniqueItems", "multipleOf", "maxProperties", "minProperties", "nullable",
                     "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
                     "x-kubernetes-int-or-string", "x-kubernetes-list-type", "x-kubernetes-map-type"] {
            fields[name] = Field(.scalar)
        }
        fields["default"] = Field(.any)
        fields["example"] = Field(.any)
        fields["enum"] = Field(.list(.any))
        fields["required"] = Field(.list(.scalar))
        fields["x-kubernetes-list-map-keys"] = Field(.list(.scalar))
        fields["items"] = Field(.schemaOrOther)
        fields["additionalProperties"] = Field(.schemaOrOther)
        fields["additionalItems"] = Field(.schemaOrOther)
        fields["not"] = Field(.schema)
        for name in ["allOf", "oneOf", "anyOf"] { fields[name] = Field(.list(.schema)) }
        for name in ["properties", "patternProperties", "definitions"] { fields[name] = Field(.map(.schema)) }
        fields["dependencies"] = Field(.map(.any))
        fields["externalDocs"] = Field(.object(["description": Field(.scalar), "url": Field(.scalar)]))
        fields["x-kubernetes-validations"] = Field(.list(validationRule))
        return fields
    }()

    static let webhookClientConfig: Shape = .object([
        "url": Field(.scalar), "caBundle": Field(.scalar),
        "service": Field(.object(["namespace": Field(.scalar), "name": Field(.scalar), "path": Field(.scalar), "port": Field(.scalar)])),
    ])

    static let definition: Shape = .object([
        "apiVersion": Field(.scalar), "kind": Field(.scalar), "metadata": Field(.any), "status": Field(.any),
        "spec": Field(.object([
            "group": Field(.scalar), "scope": Field(.scalar), "preserveUnknownFields": Field(.scalar),
            "names": Field(.object([
                "plural": Field(.scalar), "singular": Field(.scalar), "kind": Field(.scalar), "listKind": Field(.scalar),
                "shortNames": Field(.list(.scalar)), "categories": Field(.list(.scalar)),
            ])),
            "conversion": Field(.object([
                "strategy": Field(.scalar),
                "webhook": Field(.object(["clientConfig": Field(webhookClientConfig), "conversionReviewVersions": Field(.list(.scalar))])),
            ])),
            "versions": Field(.list(.object([
                "name": Field(.scalar), "served": Field(.scalar), "storage": Field(.scalar), "deprecated": Field(.scalar),
                "deprecationWarning": Field(.scalar),
                "schema": Field(.object(["openAPIV3Schema": Field(.schema)])),
                "subresources": Field(.object([
                    "status": Field(.any),
                    "scale": Field(.object(["specReplicasPath": Field(.scalar), "statusReplicasPath": Field(.scalar),
                                            "labelSelectorPath": Field(.scalar)])),
                ])),
                "additionalPrinterColumns": Field(.list(.object([
                    "name": Field(.scalar), "type": Field(.scalar), "format": Field(.scalar), "description": Field(.scalar),
                    "priority": Field(.scalar), "jsonPath": Field(.scalar),
                ]))),
                // CRD field selectors: alpha 1.30 (gate off), beta and on by default in 1.31.
                "selectableFields": Field(.list(.object(["jsonPath": Field(.scalar)])), since: KubernetesVersion(1, 31)),
            ]))),
        ])),
    ])

    /// Paths of the fields a server of `version` does not know, in the
    /// notation of the decoder's errors (`spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].reason`).
    static func unknownFields(in crd: JSON, version: KubernetesVersion) -> [String] {
        var found: [String] = []
        walk(crd, definition, "", version, &found)
        return found
    }

    /// The CRD with those fields removed: what a server that ignores or
    /// warns about unknown fields stores.
    static func dropUnknownFields(in crd: JSON, version: KubernetesVersion) -> JSON {
        prune(crd, definition, version)
    }

    private static func walk(_ value: JSON, _ shape: Shape, _ path: String, _ version: KubernetesVersion, _ found: inout [String]) {
        switch (shape, value) {
        case (.object(let fields), .object(let object)):
            for (key, child) in object {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard let field = fields[key], field.since.map({ version >= $0 }) ?? true else {
                    found.append(childPath)
                    continue
                }
                walk(child, field.shape, childPath, version, &found)
            }
        case (.schema, .object):
            walk(value, .object(schemaFields), path, version, &found)
        case (.schemaOrOther, .object):
            walk(value, .schema, path, version, &found)
        case (.schemaOrOther, .array(let items)), (.list(.schema), .array(let items)):
            for (i, item) in items.enumerated() { walk(item, .schema, "\(path)[\(i)]", version, &found) }
        case (.list(let itemShape), .array(let items)):
            for (i, item) in items.enumerated() { walk(item, itemShape, "\(path)[\(i)]", version, &found) }
        case (.map(let valueShape), .object(let object)):
            for (key, child) in object { walk(child, valueShape, "\(path)[\(key)]", version, &found) }
        default:
            break
        }
    }

    private static func prune(_ value: JSON, _ shape: Shape, _ version: KubernetesVersion) -> JSON {
        switch (shape, value) {
        case (.object(let fields), .object(var object)):
            for key in object.keys {
                guard let field = fields[key], field.since.map({ version >= $0 }) ?? true else {
                    object[key] = nil
                    continue
                }
                if let child = object[key] { object[key] = prune(child, field.shape, version) }
            }
            return .object(object)
        case (.schema, .object), (.schemaOrOther, .object):
            return prune(value, .object(schemaFields), version)
        case (.schemaOrOther, .array(let items)):
            return .array(items.map { prune($0, .schema, version) })
        case (.list(let itemShape), .array(let items)):
            return .array(items.map { prune($0, itemShape, version) })
        case (.map(let valueShape), .object(var object)):
            for key in object.keys { if let child = object[key] { object[key] = prune(child, valueShape, version) } }
            return .object(object)
        default:
            return value
        }
    }
}
