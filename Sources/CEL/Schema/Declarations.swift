/// The CEL types Kubernetes declares for a structural schema
/// (apiserver `pkg/cel/common/schemas.go` SchemaDeclType, with type names
/// assigned as `DeclType.MaybeAssignTypeName` does).
struct Declarations {
    /// Field types of each object type, by escaped property name.
    private(set) var objects: [String: [String: CELType]] = [:]

    /// The root object's type name. The API server uses `selfType<nanoseconds>`,
    /// different on every CRD write, so no rule can depend on it.
    static let rootName = "selfType0"

    /// The type of `node`, or nil when the schema is not exposed to CEL
    /// (no type, or an array or map of such).
    mutating func declare(_ node: SchemaNode, name: String) -> CELType? {
        switch node.kind {
        case .intOrString, .anyJSON:
            return .dyn
        case .object(let properties):
            var fields: [String: CELType] = [:]
            for (property, child) in properties {
                guard let escaped = PropertyName.escape(property),
                    let t = declare(child, name: "\(name).\(escaped)")
                else { continue }
                fields[escaped] = t
            }
            objects[name] = fields
            return .object(name)
        case .emptyObject:
            objects[name] = [:]
            return .object(name)
        case .map(let values):
            return declare(values, name: "\(name).@elem").map { .map(.string, $0) }
        case .array(let items):
            guard let items else { return nil }
            return declare(items, name: "\(name).@idx").map { .list($0) }
        case .string: return .string
        case .integer: return .int
        case .number: return .double
        case .boolean: return .bool
        case .untyped: return nil
        }
    }
}
