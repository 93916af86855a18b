/// The expression text as Unicode code points, which is how cel-go counts
/// columns (its ANTLR input stream and `common.Source` are rune based).
struct SourceText: Sendable {
    let text: String
    let scalars: [Unicode.Scalar]
    /// Code point offset where each line starts; lines end at `\n` only,
    /// as in cel-go's `common.NewTextSource`.
    let lineStarts: [Int]

    init(_ text: String) {
        self.text = text
        scalars = Array(text.unicodeScalars)
        var starts = [0]
        for (i, s) in scalars.enumerated() where s == "\n" { starts.append(i + 1) }
        lineStarts = starts
    }

    var count: Int { scalars.count }

    /// 1-based line and 0-based column of a code point offset.
    func location(of offset: Int) -> (line: Int, column: Int) {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return (low + 1, offset - lineStarts[low])
    }

    /// The text of a 1-based line, without its newline.
    func line(_ number: Int) -> String {
        guard number >= 1, number <= lineStarts.count else { return "" }
        let start = lineStarts[number - 1]
        let end = number < lineStarts.count ? lineStarts[number] - 1 : scalars.count
        return slice(start, end)
    }

    func slice(_ start: Int, _ end: Int) -> String {
        let lower = max(0, min(start, scalars.count))
        let upper = max(lower, min(end, scalars.count))
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[lower..<upper])
        return String(result)
    }
}

/// One compile problem, located like cel-go's `common.Error`.
public struct CELIssue: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line, or -1 when the problem has no location (cel-go's `NoLocation`).
    public let line: Int
    /// 1-based column as displayed (cel-go adds one to its 0-based column).
    public let column: Int
    public let message: String
    /// `ERROR: <input>:L:C: message` followed by the source line and a caret line.
    public let description: String

    init(message: String, offset: Int?, source: SourceText) {
        self.message = message
        guard let offset else {
            line = -1
            column = 0
            description = "ERROR: <input>:-1:0: \(message)"
            return
        }
        if source.count == 0 {
            // cel-go reports the empty expression at column 0 and shows no snippet
            // (apiserver admission CompileValidation test, "empty" case).
            line = 1
            column = 0
            description = "ERROR: <input>:1:0: \(message)"
            return
        }
        let (line, zeroBasedColumn) = source.location(of: offset)
        self.line = line
        column = zeroBasedColumn + 1
        description = "ERROR: <input>:\(line):\(column): \(message)"
            + Self.snippet(source.line(line), column: zeroBasedColumn)
    }

    /// cel-go `common.Error.ToDisplayString`: tabs become spaces, each code point
    /// before the column is a dot (a full-width dot for non-ASCII ones) and the
    /// caret is full width under a non-ASCII code point; snippets over 16384
    /// bytes are left out.
    static func snippet(_ text: String, column: Int) -> String {
        guard text.utf8.count <= 16384 else { return "" }
        var line = String.UnicodeScalarView()
        for s in text.unicodeScalars { line.append(s == "\t" ? " " : s) }
        var marker = ""
        var index = line.startIndex
        var i = 0
        while i < column, index < line.endIndex {
            marker += line[index].value > 0x7F ? "\u{FF0E}" : "."
            index = line.index(after: index)
            i += 1
        }
        marker += index < line.endIndex && line[index].value > 0x7F ? "\u{FF3E}" : "^"
        return "\n | \(String(line))\n | \(marker)"
    }
}

/// Issues in cel-go's display order: by line, then column (a stable sort, as
/// `common.Errors.ToDisplayString`), joined by newlines.
func displayIssues(_ issues: [CELIssue]) -> [CELIssue] {
    issues.enumerated().sorted { a, b in
        if a.element.line != b.element.line { return a.element.line < b.element.line }
        if a.element.column != b.element.column { return a.element.column < b.element.column }
        return a.offset < b.offset
    }.map(\.element)
}
