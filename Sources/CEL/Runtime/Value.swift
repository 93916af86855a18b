import JSONValue

/// A runtime error with cel-go's message (`no such key: x`, `division by zero`, ...).
public struct CELEvalError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(_ message: String) {
        self.message = message
    }

    static let noSuchOverload = CELEvalError("no such overload")
    static let integerOverflow = CELEvalError("integer overflow")
}

typealias Outcome = Result<Value, CELEvalError>

/// A runtime value. Data from the object under validation stays JSON until
/// it is read, the way the API server wraps unstructured data
/// (apiserver `pkg/cel/common/values.go`): conversion errors surface only for
/// the parts a rule touches.
indirect enum Value: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case list(ListValue)
    case map(MapValue)
    /// Data kept by `x-kubernetes-preserve-unknown-fields` without a schema
    /// type: not accessible in CEL, only compared (`unknownPreserved`).
    case opaque(JSON)

    /// cel-go's type names, as runtime messages print them.
    var typeName: String {
        switch self {
        case .null: return "null_type"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "double"
        case .string: return "string"
        case .list: return "list"
        case .map: return "map"
        case .opaque: return "unknown"
        }
    }
}

struct ListValue: Sendable {
    enum Storage: Sendable {
        case values([Value])
        case data([JSON], items: SchemaNode, listType: String?, mapKeys: [String])
    }

    let storage: Storage

    var count: Int {
        switch storage {
        case .values(let v): return v.count
        case .data(let d, _, _, _): return d.count
        }
    }

    func element(_ i: Int) -> Outcome {
        switch storage {
        case .values(let v): return .success(v[i])
        case .data(let d, let items, _, _): return DataReader.value(d[i], items)
        }
    }
}

struct MapValue: Sendable {
    enum Storage: Sendable {
        /// A map literal, in insertion order.
        case entries([(key: Value, value: Value)])
        /// An object with properties: keys are escaped property names, null
        /// values count as absent (apiserver `unstructuredMap.Find`).
        case object(JSONObject, SchemaNode)
        /// An object with `additionalProperties`.
        case data(JSONObject, values: SchemaNode)
    }

    let storage: Storage

    var count: Int {
        switch storage {
        case .entries(let e): return e.count
        case .object(let o, _), .data(let o, _): return o.count
        }
    }

    /// The value for `key`: nil when absent, an error for a key of the wrong
    /// type or data that does not fit its schema.
    func find(_ key: Value) -> Outcome? {
        switch storage {
        case .entries(let entries):
            for entry in entries where Equality.keysEqual(entry.key, key) { return .success(entry.value) }
            return nil
        case .object(let object, let schema):
            guard case .string(let escaped) = key else { return .failure(.noSuchOverload) }
            guard let name = PropertyName.unescape(escaped), let json = DataReader.lookup(object, name),
                json != .null, let property = schema.property(name)
            else { return nil }
            return DataReader.value(json, property)
        case .data(let object, let values):
            guard case .string(let name) = key else { return .failure(.noSuchOverload) }
            guard let json = DataReader.lookup(object, name) else { return nil }
            return DataReader.value(json, values)
        }
    }

    /// The keys a comprehension iterates: for objects, the escaped names of
    /// the properties the schema declares.
    var keys: [Value] {
        switch storage {
        case .entries(let entries): return entries.map(\.key)
        case .object(let object, let schema):
            return object.keys.compactMap { name in
                guard schema.property(name) != nil else { return nil }
                return .string(PropertyName.escape(name) ?? name)
            }
        case .data(let object, _): return object.keys.map { .string($0) }
        }
    }
}

/// Reading JSON data with its schema (apiserver `UnstructuredToVal`).
enum DataReader {
    /// A property by name, comparing code points as Go compares map keys
    /// (Swift's `==` on strings would also match canonically equivalent ones).
    static func lookup(_ object: JSONObject, _ name: String) -> JSON? {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return object[name] }
        for (key, value) in object where key.utf8.elementsEqual(name.utf8) { return value }
        return nil
    }

    /// Go's `%T` of the decoded JSON value, for messages.
    static func goType(_ json: JSON) -> String {
        switch json {
        case .null: return "<nil>"
        case .bool: return "bool"
        case .int: return "int64"
        case .double: return "float64"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .object: return "map[string]interface {}"
        }
    }

    static func value(_ json: JSON, _ schema: SchemaNode) -> Outcome {
        if json == .null {
            if schema.nullable { return .success(.null) }
            if case .anyJSON = schema.kind { return .success(.null) }
            return .failure(CELEvalError("invalid data, got null for schema with nullable=false"))
        }
        switch schema.kind {
        case .anyJSON:
            switch json {
            case .null: return .success(.null)
            case .bool(let b): return .success(.bool(b))
            case .int(let i): return .success(.int(i))
            case .double(let d): return .success(.double(d))
            case .string(let s): return .success(.string(s))
            case .array(let items):
                return .success(.list(ListValue(storage: .data(items, items: schema, listType: nil, mapKeys: []))))
            case .object(let object):
                return .success(.map(MapValue(storage: .data(object, values: schema))))
            }
        case .intOrString:
            switch json {
            case .string(let s): return .success(.string(s))
            case .int(let i): return .success(.int(i))
            default:
                return .failure(CELEvalError("invalid data, expected XIntOrString value to be either a string or integer"))
            }
        case .object, .map, .emptyObject:
            guard case .object(let object) = json else {
                return .failure(CELEvalError("invalid data, expected a map for the provided schema with type=object"))
            }
            switch schema.kind {
            case .map(let values): return .success(.map(MapValue(storage: .data(object, values: values))))
            case .emptyObject where !schema.preserveUnknownFields:
                return .failure(CELEvalError(
                    "invalid object type, expected either Properties or AdditionalProperties with Allows=true and non-empty Schema"))
            default: return .success(.map(MapValue(storage: .object(object, schema))))
            }
        case .array(let items):
            guard case .array(let elements) = json else {
                return .failure(CELEvalError("invalid data, expected an array for the provided schema with type=array"))
            }
            guard let items else {
                return .failure(CELEvalError("invalid array type, expected Items with a non-empty Schema"))
            }
            if let listType = schema.listType, !["map", "set", "atomic"].contains(listType) {
                return .failure(CELEvalError(
                    "invalid x-kubernetes-list-type, expected 'map', 'set' or 'atomic' but got \(listType)"))
            }
            return .success(.list(ListValue(
                storage: .data(elements, items: items, listType: schema.listType, mapKeys: schema.listMapKeys))))
        case .string:
            guard case .string(let s) = json else {
                return .failure(CELEvalError("invalid data, expected string, got \(goType(json))"))
            }
            return .success(.string(s))
        case .number:
            switch json {
            case .int(let i): return .success(.double(Double(i)))
            case .double(let d): return .success(.double(d))
            default: return .failure(CELEvalError("invalid data, expected float, got \(goType(json))"))
            }
        case .integer:
            guard case .int(let i) = json else {
                return .failure(CELEvalError("invalid data, expected int, got \(goType(json))"))
            }
            return .success(.int(i))
        case .boolean:
            guard case .bool(let b) = json else {
                return .failure(CELEvalError("invalid data, expected bool, got \(goType(json))"))
            }
            return .success(.bool(b))
        case .untyped:
            if schema.preserveUnknownFields { return .success(.opaque(json)) }
            return .failure(CELEvalError(
                "invalid type, expected object, array, number, integer, boolean or string, or no type with x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields is true, got \(schema.type)"))
        }
    }
}
