import JSONValue

/// Codable round trips through the package's own JSON value.
enum JSONEncoderShim {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        try JSON(encoding: value).serialized()
    }
    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSON.parse(text).decode(T.self)
    }
}
