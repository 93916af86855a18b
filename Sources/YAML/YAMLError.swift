/// What went wrong reading YAML, and where.
///
/// `line` and `column` are 1-based and count Unicode scalars, like an
/// editor's cursor. Errors that belong to no place in the text (a decoded
/// value that does not fit a Swift type) carry line 0 and column 0.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let line: Int
    public let column: Int

    public init(message: String, line: Int, column: Int) {
        self.message = message
        self.line = line
        self.column = column
    }

    init(_ message: String, at mark: YAMLMark) {
        self.init(message: message, line: mark.line, column: mark.column)
    }

    public var description: String {
        guard line > 0 else { return "YAML error: \(message)" }
        return "YAML error at line \(line), column \(column): \(message)"
    }
}

/// A 1-based position in the YAML text.
struct YAMLMark: Sendable, Equatable, CustomStringConvertible {
    var line: Int
    var column: Int

    static let start = YAMLMark(line: 1, column: 1)

    var description: String { "line \(line), column \(column)" }
}
