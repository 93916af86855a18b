import Testing
import YAML

/// Bad YAML fails with libyaml's problem and context, at 1-based positions.
@Suite struct ErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var message: String
        var line: Int
        var column: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "unclosed double quote", text: "a: \"unclosed\nb: 2\n",
            message: "found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)",
            line: 3, column: 1),
        Case(
            name: "unclosed single quote", text: "a: 'unclosed\n",
            message: "found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)",
            line: 2, column: 1),
        Case(
            name: "bad indentation", text: "a:\n  b: 1\n c: 2\n",
            message: "did not find expected key (while parsing a block mapping at line 1, column 1)",
            line: 3, column: 2),
        Case(
            name: "tab indentation", text: "a:\n\tb: 1\n",
            message: "found character that cannot start any token (while scanning for the next token at line 2, column 1); tabs cannot indent YAML, use spaces",
            line: 2, column: 1),
        Case(
            name: "undefined alias", text: "a: 1\nb: *nope\n",
            message: "unknown alias *nope: no anchor &nope is defined before it", line: 2, column: 4),
        Case(
            name: "recursive alias", text: "&a [1, *a]\n",
            message: "unknown alias *a: no anchor &a is defined before it", line: 1, column: 8),
        Case(
            name: "mapping value in plain scalar", text: "key: value: other\n",
            message: "mapping values are not allowed in this context", line: 1, column: 11),
        Case(
            name: "sequence then mapping", text: "- a\nb: c\n",
            message: "did not find expected '-' indicator (while parsing a block collection at line 1, column 1)",
            line: 2, column: 1),
        Case(
            name: "unclosed flow sequence", text: "a: [1, 2\n",
            message: "did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)",
            line: 2, column: 1),
        Case(
            name: "unclosed flow mapping", text: "a: {b: 1\n",
            message: "did not find expected ',' or '}' (while parsing a flow mapping at line 1, column 4)",
            line: 2, column: 1),
        Case(
            name: "reserved indicator", text: "a: 1\n@b: 2\n",
            message: "found character that cannot start any token (while scanning for the next token at line 2, column 1)",
            line: 2, column: 1),
        Case(
            name: "control character", text: "a: 1\nb: \u{1}\n",
            message: "control characters are not allowed (character 0x1)", line: 2, column: 4),
        Case(
            name: "column counts characters, not bytes", text: "é: [ü, \u{7}]\n",
            message: "control characters are not allowed (character 0x7)", line: 1, column: 8),
        Case(
            name: "block scalar dedent", text: "a: |\n  x\n y\n",
            message: "did not find expected key (while parsing a block mapping at line 1, column 1)",
            line: 3, column: 2),
        Case(
            name: "duplicate directive", text: "%YAML 1.1\n%YAML 1.1\n---\na\n",
            message: "found duplicate %YAML directive", line: 2, column: 1),
        Case(
            name: "undefined tag handle", text: "a: !e!x 1\n",
            message: "found undefined tag handle (while parsing a node at line 1, column 4)", line: 1, column: 4),
    ]

    @Test(arguments: cases)
    func badYAMLReportsProblemAndPosition(_ c: Case) {
        #expect(throws: YAMLError(message: c.message, line: c.line, column: c.column)) { try YAML.parseAll(c.text) }
    }

    @Test func descriptionNamesThePosition() {
        let error = YAMLError(message: "boom", line: 3, column: 7)
        #expect(error.description == "YAML error at line 3, column 7: boom")
        #expect(YAMLError(message: "boom", line: 0, column: 0).description == "YAML error: boom")
    }

    /// Truncations of a valid document at every byte: each either parses or
    /// fails with a position inside the text, never crashes.
    @Test func everyPrefixOfAManifestParsesOrFailsWithAPosition() {
        let text = KubernetesManifestTests.deployment
        let bytes = Array(text.utf8)
        for end in 0...bytes.count {
            let prefix = String(decoding: bytes[..<end], as: UTF8.self)
            do {
                _ = try YAML.parseAll(prefix)
            } catch {
                let lines = prefix.split(separator: "\n", omittingEmptySubsequences: false).count
                #expect(error.line >= 1 && error.line <= lines + 1, "\(error)")
                #expect(error.column >= 1)
            }
        }
    }
}
