import JSONValue

/// Decodes `Decodable` types from YAML, through `JSON`.
public struct YAMLDecoder: Sendable {
    public var limits: YAMLLimits

    public init(limits: YAMLLimits = .default) { self.limits = limits }

    /// Decodes the single document of `text`.
    public func decode<T: Decodable>(_ type: T.Type = T.self, from text: String) throws(YAMLError) -> T {
        try Self.decode(T.self, from: try YAML.parse(text, limits: limits))
    }

    /// Decodes every non-empty document of a stream (empty ones are skipped,
    /// as kubectl skips them).
    public func decodeAll<T: Decodable>(_ type: T.Type = T.self, from text: String) throws(YAMLError) -> [T] {
        var values: [T] = []
        for (index, document) in try YAML.parseAll(text, limits: limits).enumerated() where !document.isNull {
            do {
                values.append(try Self.decode(T.self, from: document))
            } catch {
                throw YAMLError(message: "document \(index + 1): \(error.message)", line: 0, column: 0)
            }
        }
        return values
    }

    private static func decode<T: Decodable>(_ type: T.Type, from value: JSON) throws(YAMLError) -> T {
        do {
            return try value.decode(T.self)
        } catch {
            throw YAMLError(message: error.description, line: 0, column: 0)
        }
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
