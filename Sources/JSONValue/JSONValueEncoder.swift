#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encodes `Encodable` values straight into `JSON`, keeping object keys in
/// the order the type encodes them (Foundation's `JSONEncoder` does not: its
/// key order changes from one process to the next).
///
/// Output matches `JSONEncoder`'s defaults: absent optionals are omitted,
/// `Date`, `Data`, `URL` and `Decimal` use `JSONEncoder`'s own spelling, and
/// non-finite floating-point numbers are an error.
enum JSONValueEncoder {
    static func encode<T: Encodable>(_ value: T) throws -> JSON {
        let root = EncodingNode()
        try root.encode(value, codingPath: [])
        return root.json
    }
}

/// One value under construction. Containers hand out child nodes, so
/// nested containers may be filled in any order and still land in place.
private final class EncodingNode {
    private enum Content {
        case unset
        case scalar(JSON)
        case object(keys: [String], children: [String: EncodingNode])
        case array([EncodingNode])
    }

    private var content = Content.unset

    var json: JSON {
        switch content {
        case .unset: return .object(JSONObject())
        case .scalar(let value): return value
        case .object(let keys, let children):
            var object = JSONObject()
            for key in keys { object[key] = children[key]?.json }
            return .object(object)
        case .array(let items): return .array(items.map(\.json))
        }
    }

    func set(_ value: JSON) { content = .scalar(value) }

    func makeObject() {
        if case .object = content { return }
        content = .object(keys: [], children: [:])
    }

    func makeArray() {
        if case .array = content { return }
        content = .array([])
    }

    func child(forKey key: String) -> EncodingNode {
        makeObject()
        guard case .object(var keys, var children) = content else { return EncodingNode() }
        if let existing = children[key] { return existing }
        let node = EncodingNode()
        keys.append(key)
        children[key] = node
        content = .object(keys: keys, children: children)
        return node
    }

    func appendChild() -> EncodingNode {
        makeArray()
        guard case .array(var items) = content else { return EncodingNode() }
        let node = EncodingNode()
        items.append(node)
        content = .array(items)
        return node
    }

    var count: Int {
        if case .array(let items) = content { return items.count }
        return 0
    }

    func encode<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        switch value {
        case is Date, is Data, is URL, is Decimal:
            // Foundation types whose JSON spelling belongs to JSONEncoder.
            let data = try JSONEncoder().encode(value)
            do {
                set(try JSON.parse(data))
            } catch {
                throw EncodingError.invalidValue(
                    value, .init(codingPath: codingPath, debugDescription: "JSONEncoder wrote unreadable JSON"))
            }
        default:
            try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
        }
    }

    func encode(double: Double, codingPath: [any CodingKey]) throws {
        guard double.isFinite else {
            throw EncodingError.invalidValue(
                double, .init(codingPath: codingPath, debugDescription: "\(double) has no JSON spelling"))
        }
        set(.double(double))
    }

    func encode<I: BinaryInteger>(integer: I) {
        if let exact = Int64(exactly: integer) { set(.int(exact)) } else { set(.double(Double(integer))) }
    }
}

private struct NodeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func child(_ key: Key) -> EncodingNode { node.child(forKey: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { child(key).set(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { child(key).set(.bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { child(key).set(.string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        try child(key).encode(double: value, codingPath: codingPath + [key])
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        try child(key).encode(double: Double("\(value)") ?? Double(value), codingPath: codingPath + [key])
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { child(key).encode(integer: value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try child(key).encode(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = child(key)
        nested.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = child(key)
        nested.makeArray()
        return UnkeyedNodeContainer(node: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.child(forKey: "super"), codingPath: codingPath + [JSONKey("super")])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: child(key), codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int { node.count }

    private func next() -> (EncodingNode, [any CodingKey]) {
        let path = codingPath + [JSONKey(index: node.count)]
        return (node.appendChild(), path)
    }

    mutating func encodeNil() throws { next().0.set(.null) }
    mutating func encode(_ value: Bool) throws { next().0.set(.bool(value)) }
    mutating func encode(_ value: String) throws { next().0.set(.string(value)) }
    mutating func encode(_ value: Double) throws {
        let (child, path) = next()
        try child.encode(double: value, codingPath: path)
    }
    mutating func encode(_ value: Float) throws {
        let (child, path) = next()
        try child.encode(double: Double("\(value)") ?? Double(value), codingPath: path)
    }
    mutating func encode(_ value: Int) throws { next().0.encode(integer: value) }
    mutating func encode(_ value: Int8) throws { next().0.encode(integer: value) }
    mutating func encode(_ value: Int16) throws { next().0.encode(integer: value) }
    mutating func encode(_ value: Int32) throws { next().0.encode(integer: value) }
    mutating func encode(_ value: Int64) throws { next().0.encode(integer: value) }
    mutating func encode(_ value: UInt) throws { next().0.encode(integer: value) }
    mutating func encode(_ value: UInt8) throws { next().0.encode(integer: value) }
    mutating func encode(_ value: UInt16) throws { next().0.encode(integer: value) }
    mutating func encode(_ value: UInt32) throws { next().0.encode(integer: value) }
    mutating func encode(_ value: UInt64) throws { next().0.encode(integer: value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let (child, path) = next()
        try child.encode(value, codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let (child, path) = next()
        child.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (child, path) = next()
        child.makeArray()
        return UnkeyedNodeContainer(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let (child, path) = next()
        return NodeEncoder(node: child, codingPath: path)
    }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.set(.null) }
    mutating func encode(_ value: Bool) throws { node.set(.bool(value)) }
    mutating func encode(_ value: String) throws { node.set(.string(value)) }
    mutating func encode(_ value: Double) throws { try node.encode(double: value, codingPath: codingPath) }
    mutating func encode(_ value: Float) throws {
        try node.encode(double: Double("\(value)") ?? Double(value), codingPath: codingPath)
    }
    mutating func encode(_ value: Int) throws { node.encode(integer: value) }
    mutating func encode(_ value: Int8) throws { node.encode(integer: value) }
    mutating func encode(_ value: Int16) throws { node.encode(integer: value) }
    mutating func encode(_ value: Int32) throws { node.encode(integer: value) }
    mutating func encode(_ value: Int64) throws { node.encode(integer: value) }
    mutating func encode(_ value: UInt) throws { node.encode(integer: value) }
    mutating func encode(_ value: UInt8) throws { node.encode(integer: value) }
    mutating func encode(_ value: UInt16) throws { node.encode(integer: value) }
    mutating func encode(_ value: UInt32) throws { node.encode(integer: value) }
    mutating func encode(_ value: UInt64) throws { node.encode(integer: value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.encode(value, codingPath: codingPath) }
}

private struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init(index: Int) { stringValue = "\(index)"; intValue = index }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.init(index: intValue) }
}
