import JSONValue

// Placeholder API surface; the libyaml implementation replaces this file.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let line: Int
    public let column: Int
    public init(message: String, line: Int, column: Int) {
        self.message = message
        self.line = line
        self.column = column
    }
    public var description: String { "YAML error at line \(line), column \(column): \(message)" }
}

public enum YAML {
    public static func parse(_ text: String) throws(YAMLError) -> JSON {
        throw YAMLError(message: "not implemented", line: 0, column: 0)
    }
    public static func parseAll(_ text: String) throws(YAMLError) -> [JSON] {
        throw YAMLError(message: "not implemented", line: 0, column: 0)
    }
    public static func emit(_ value: JSON) -> String { "" }
    public static func emitAll(_ values: [JSON]) -> String { "" }
}
