#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JSONValue

/// Decodes `Decodable` types from YAML, through `JSON`. A value that does
/// not fit the type is reported at its line and column in the text.
public struct YAMLDecoder: Sendable {
    public var limits: YAMLLimits

    public init(limits: YAMLLimits = .default) { self.limits = limits }

    /// Decodes the single document of `text` (empty text decodes from `null`).
    public func decode<T: Decodable>(_ type: T.Type = T.self, from text: String) throws(YAMLError) -> T {
        let documents = try YAML.parseWithPositions(text, limits: limits, single: true)
        let document = documents.first ?? (value: .null, positions: SourcePositions())
        return try Self.decode(T.self, from: document.value, positions: document.positions)
    }

    /// Decodes every non-empty document of a stream (empty ones are skipped,
    /// as kubectl skips them).
    public func decodeAll<T: Decodable>(_ type: T.Type = T.self, from text: String) throws(YAMLError) -> [T] {
        var values: [T] = []
        for document in try YAML.parseWithPositions(text, limits: limits, single: false) where !document.value.isNull {
            values.append(try Self.decode(T.self, from: document.value, positions: document.positions))
        }
        return values
    }

    private static func decode<T: Decodable>(
        _ type: T.Type, from value: JSON, positions: SourcePositions
    ) throws(YAMLError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(value.serializedBytes()))
        } catch {
            let mark = codingPath(of: error).flatMap { positions.mark(for: $0) }
            throw YAMLError(
                message: "cannot decode \(T.self): \(JSONCodingError.describe(error))",
                line: mark?.line ?? 0, column: mark?.column ?? 0)
        }
    }

    /// The path of the value a decoding error is about (for a missing key,
    /// the mapping that lacks it).
    private static func codingPath(of error: any Error) -> [PathComponent]? {
        let keys: [any CodingKey]
        switch error {
        case DecodingError.keyNotFound(_, let context): keys = context.codingPath
        case DecodingError.typeMismatch(_, let context): keys = context.codingPath
        case DecodingError.valueNotFound(_, let context): keys = context.codingPath
        case DecodingError.dataCorrupted(let context): keys = context.codingPath
        default: return nil
        }
        return keys.map { key in key.intValue.map(PathComponent.index) ?? .key(key.stringValue) }
    }
}

/// Encodes `Encodable` types as YAML, through `JSON`; keys keep the order
/// the type encodes them in and absent optionals are omitted.
public struct YAMLEncoder: Sendable {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws(YAMLError) -> String {
        YAML.emit(try Self.json(value))
    }

    /// One document per value, separated by `---`.
    public func encodeAll<T: Encodable>(_ values: [T]) throws(YAMLError) -> String {
        var documents: [JSON] = []
        for value in values { documents.append(try Self.json(value)) }
        return YAML.emitAll(documents)
    }

    private static func json<T: Encodable>(_ value: T) throws(YAMLError) -> JSON {
        do {
            return try JSON(encoding: value)
        } catch {
            throw YAMLError(message: error.description, line: 0, column: 0)
        }
    }
}
