#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSON].self) {
            self = .array(a)
        } else if let o = try? container.decode([String: JSON].self) {
            // Foundation's decoders do not expose key order; sort for determinism.
            self = .object(JSONObject(o.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .int(let i):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case .double(let d):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let object):
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            for (key, value) in object { try c.encode(value, forKey: AnyCodingKey(key)) }
        }
    }
}

struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// Errors converting between `JSON` values and `Codable` types.
public struct JSONCodingError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension JSON {
    /// Converts an `Encodable` value to a `JSON` value, keeping the order in
    /// which the type encodes its keys. Absent optionals are omitted.
    public init<T: Encodable>(encoding value: T) throws(JSONCodingError) {
        do {
            self = try JSONValueEncoder.encode(value)
        } catch {
            throw JSONCodingError("cannot encode \(T.self): \(JSONCodingError.describe(error))")
        }
    }

    /// Decodes a `Decodable` type from this value; the error names the path
    /// of the field that did not fit.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws(JSONCodingError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(serializedBytes()))
        } catch {
            throw JSONCodingError("cannot decode \(T.self): \(JSONCodingError.describe(error))")
        }
    }
}

extension JSONCodingError {
    /// A one-line description of a `DecodingError` that names the field path.
    public static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let p = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "(root)" : String(p.drop { $0 == "." })
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing field \(path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(let type, let context):
            return "field \(path(context.codingPath)): expected \(type)"
        case DecodingError.valueNotFound(let type, let context):
            return "field \(path(context.codingPath)): expected \(type), found null"
        case DecodingError.dataCorrupted(let context):
            return "field \(path(context.codingPath)): \(context.debugDescription)"
        default:
            return String(describing: error)
        }
    }
}
