import JSONValue

/// The parts of an OpenAPI v3 structural schema node that decide a CEL type
/// and how data is read into CEL values.
final class SchemaNode: Sendable {
    enum Kind: Sendable {
        /// `type: object` with `properties` (possibly empty), or an embedded resource.
        case object(properties: [(name: String, node: SchemaNode)])
        /// `type: object` with an `additionalProperties` schema.
        case map(values: SchemaNode)
        /// `type: object` with neither: only `x-kubernetes-preserve-unknown-fields` makes it valid.
        case emptyObject
        case array(items: SchemaNode?)
        case string
        case integer
        case number
        case boolean
        /// `x-kubernetes-int-or-string`.
        case intOrString
        /// No type: data kept only with `x-kubernetes-preserve-unknown-fields`.
        case untyped
        /// Any JSON, read as it is: `self` of an expression compiled without a schema.
        case anyJSON
    }

    let kind: Kind
    let type: String
    let nullable: Bool
    let preserveUnknownFields: Bool
    /// `x-kubernetes-list-type` and `x-kubernetes-list-map-keys`.
    let listType: String?
    let listMapKeys: [String]

    init(kind: Kind, type: String, nullable: Bool = false, preserveUnknownFields: Bool = false,
         listType: String? = nil, listMapKeys: [String] = [])
    {
        self.kind = kind
        self.type = type
        self.nullable = nullable
        self.preserveUnknownFields = preserveUnknownFields
        self.listType = listType
        self.listMapKeys = listMapKeys
    }

    static let anyJSON = SchemaNode(kind: .anyJSON, type: "")

    /// Reads a schema node. `isResourceRoot` adds `apiVersion`, `kind` and
    /// `metadata.{name,generateName}` as Kubernetes does for the root of a
    /// custom resource and for `x-kubernetes-embedded-resource` objects
    /// (apiserver `pkg/cel/common/schemas.go` WithTypeAndObjectMeta).
    convenience init(_ json: JSON, isResourceRoot: Bool = false) {
        let type = json["type"]?.stringValue ?? ""
        let nullable = json["nullable"]?.boolValue ?? false
        let preserve = json["x-kubernetes-preserve-unknown-fields"]?.boolValue ?? false
        let embedded = json["x-kubernetes-embedded-resource"]?.boolValue ?? false
        let kind: Kind
        if json["x-kubernetes-int-or-string"]?.boolValue == true {
            kind = .intOrString
        } else {
            switch type {
            case "object":
                var properties: [(name: String, node: SchemaNode)] = []
                let declared = json["properties"]?.objectValue
                for (name, child) in declared ?? [:] {
                    let childEmbedded = child["x-kubernetes-embedded-resource"]?.boolValue ?? false
                    properties.append((name, SchemaNode(child, isResourceRoot: childEmbedded)))
                }
                if isResourceRoot || embedded {
                    kind = .object(properties: Self.withTypeAndObjectMeta(properties))
                } else if declared != nil {
                    kind = .object(properties: properties)
                } else if let additional = json["additionalProperties"], additional.objectValue != nil {
                    let valuesEmbedded = additional["x-kubernetes-embedded-resource"]?.boolValue ?? false
                    kind = .map(values: SchemaNode(additional, isResourceRoot: valuesEmbedded))
                } else {
                    kind = .emptyObject
                }
            case "array":
                if let items = json["items"], items.objectValue != nil {
                    let itemsEmbedded = items["x-kubernetes-embedded-resource"]?.boolValue ?? false
                    kind = .array(items: SchemaNode(items, isResourceRoot: itemsEmbedded))
                } else {
                    kind = .array(items: nil)
                }
            // Formats (date-time, duration, byte, ...) are read as plain strings in this subset.
            case "string": kind = .string
            case "integer": kind = .integer
            case "number": kind = .number
            case "boolean": kind = .boolean
            default: kind = .untyped
            }
        }
        self.init(
            kind: kind, type: type, nullable: nullable, preserveUnknownFields: preserve,
            listType: json["x-kubernetes-list-type"]?.stringValue,
            listMapKeys: json["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    private static func withTypeAndObjectMeta(_ properties: [(name: String, node: SchemaNode)]) -> [(name: String, node: SchemaNode)] {
        func node(_ name: String) -> SchemaNode? { properties.first { $0.name == name }?.node }
        func isString(_ n: SchemaNode?) -> Bool { n?.type == "string" }
        if isString(node("kind")), isString(node("apiVersion")), case .object(let meta)? = node("metadata")?.kind,
            meta.contains(where: { $0.name == "name" && $0.node.type == "string" }),
            meta.contains(where: { $0.name == "generateName" && $0.node.type == "string" })
        {
            return properties
        }
        let string = SchemaNode(kind: .string, type: "string")
        let metadata = SchemaNode(
            kind: .object(properties: [("name", string), ("generateName", string)]), type: "object")
        var result = properties.filter { !["kind", "apiVersion", "metadata"].contains($0.name) }
        result.append(("kind", string))
        result.append(("apiVersion", string))
        result.append(("metadata", metadata))
        return result
    }

    func property(_ name: String) -> SchemaNode? {
        guard case .object(let properties) = kind else { return nil }
        return properties.first { $0.name == name }?.node
    }
}
