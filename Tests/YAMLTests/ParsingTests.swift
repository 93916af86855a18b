import JSONValue
import LargeStack
import Testing
import YAML

@Suite struct ParsingTests {
    @Test func mappingKeepsKeyOrder() throws {
        let value = try YAML.parse("zeta: 1\nalpha: 2\nmid: 3\n")
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid"])
    }

    @Test func nestedBlockAndFlowCollections() throws {
        let text = """
            a:
              - 1
              - [x, {k: z}]
            b: {c: [], d: {}}
            """
        let value = try YAML.parse(text)
        #expect(value == ["a": [1, ["x", ["k": "z"]]], "b": ["c": [], "d": [:]]], "\(value.serialized())")
    }

    @Test(arguments: [
        ("", JSON.null), ("# only a comment\n", .null), ("---\n", .null), ("--- ~\n", .null),
        ("42", 42), ("--- text\n...\n", "text"),
    ])
    func singleDocumentParse(text: String, expected: JSON) throws {
        #expect(try YAML.parse(text) == expected)
    }

    @Test func parseRejectsSeveralDocuments() {
        #expect(throws: YAMLError(message: "expected a single YAML document, found a second one", line: 2, column: 1)) {
            try YAML.parse("a: 1\n---\nb: 2\n")
        }
    }

    static let streams: [(String, [JSON])] = [
        ("", []), ("# nothing\n", []), ("a: 1\n", [["a": 1]]),
        ("---\n---\n", [.null, .null]), ("a: 1\n---\n---\nb: 2\n", [["a": 1], .null, ["b": 2]]),
        ("--- 1\n--- 2\n...\n--- 3\n", [1, 2, 3]), ("---\na: 1\n...\n", [["a": 1]]),
    ]

    @Test(arguments: streams)
    func parseAllReturnsEveryDocumentIncludingEmptyOnes(text: String, expected: [JSON]) throws {
        #expect(try YAML.parseAll(text) == expected)
    }

    @Test(arguments: [
        ("a: b\tc", "b\tc"), ("a: b\t# comment", "b"), ("a:\t1", "1"), ("a: |\n  x\n  \ty\n", "x\n\ty\n"),
    ])
    func tabsOutsideIndentationAreFine(text: String, expected: String) throws {
        #expect(try YAML.parse(text)["a"] == (expected == "1" ? 1 : .string(expected)))
    }

    // MARK: Block scalars

    @Test(arguments: [
        ("|\n  a\n  b\n", "a\nb\n"), ("|-\n  a\n  b\n", "a\nb"), ("|+\n  a\n  b\n\n\n", "a\nb\n\n\n"),
        ("|\n  a\n\n  b\n\n", "a\n\nb\n"), ("|2\n   a\n  b\n", " a\nb\n"), ("|\n  # not a comment\n", "# not a comment\n"),
        (">\n  a\n  b\n\n  c\n", "a b\nc\n"), (">-\n  a\n  b\n", "a b"), (">+\n  a\n\n", "a\n\n"),
        (">\n  a\n    indented\n  b\n", "a\n  indented\nb\n"), ("|\n", ""), ("|-\n", ""),
    ])
    func blockScalarsHonourChomping(block: String, expected: String) throws {
        #expect(try YAML.parse("v: \(block)")["v"] == .string(expected))
    }

    @Test(arguments: [
        ("'it''s'", "it's"), ("\"tab\\there\"", "tab\there"), ("\"\\u00e9\\x41\"", "éA"), ("'a\n  b'", "a b"),
        ("\"a\\\n  b\"", "ab"), ("plain\n  continued", "plain continued"),
    ])
    func flowScalarsFoldAndUnescape(text: String, expected: String) throws {
        #expect(try YAML.parse("v: \(text)")["v"] == .string(expected))
    }

    // MARK: Anchors, aliases and merge keys

    @Test func aliasesRepeatAnchoredValues() throws {
        let text = """
            base: &b {x: 1, y: [2, 3]}
            copy: *b
            scalar: &s hello
            again: *s
            list: [&i 7, *i]
            """
        let value = try YAML.parse(text)
        #expect(value["copy"] == value["base"])
        #expect(value["again"] == "hello")
        #expect(value["list"] == [7, 7])
    }

    @Test func redefinedAnchorsRefersToTheLatestDefinition() throws {
        #expect(try YAML.parse("a: &x 1\nb: *x\nc: &x 2\nd: *x\n") == ["a": 1, "b": 1, "c": 2, "d": 2])
    }

    @Test func anchorsDoNotCrossDocuments() {
        #expect(throws: YAMLError(message: "unknown alias *a: no anchor &a is defined before it", line: 3, column: 4)) {
            try YAML.parseAll("a: &a 1\n---\nb: *a\n")
        }
    }

    @Test func mergeKeyWithOneMapping() throws {
        let text = """
            defaults: &d {image: app:1, replicas: 2}
            web:
              <<: *d
              replicas: 5
            """
        #expect(try YAML.parse(text)["web"] == ["image": "app:1", "replicas": 5])
    }

    @Test func explicitKeysWinEvenBeforeTheMergeKey() throws {
        let text = """
            d: &d {a: 1, b: 2}
            m:
              b: 9
              <<: *d
              c: 3
            """
        let merged = try YAML.parse(text)["m"]
        #expect(merged == ["b": 9, "a": 1, "c": 3])  // merged keys sit where `<<` is
    }

    @Test func mergeListEarlierSourcesWin() throws {
        let text = """
            one: &one {a: 1, b: 1}
            two: &two {b: 2, c: 2}
            m:
              <<: [*one, *two, {d: 4}]
              c: 3
            """
        #expect(try YAML.parse(text)["m"] == ["a": 1, "b": 1, "d": 4, "c": 3])
    }

    @Test func quotedMergeKeyIsAnOrdinaryKey() throws {
        #expect(try YAML.parse("\"<<\": {a: 1}\n") == ["<<": ["a": 1]])
    }

    @Test(arguments: [
        ("m:\n  <<: 1\n", "merge key \"<<\" needs a mapping or a list of mappings, found integer", 2, 3),
        ("m:\n  <<: [{a: 1}, 2]\n", "merge key \"<<\" needs mappings, found a list containing integer", 2, 3),
    ])
    func mergeKeyWithNonMappingIsAnError(text: String, message: String, line: Int, column: Int) {
        #expect(throws: YAMLError(message: message, line: line, column: column)) { try YAML.parse(text) }
    }

    // MARK: Keys

    @Test(arguments: [
        ("1: a", "1"), ("0x10: a", "16"), ("yes: a", "true"), ("off: a", "false"), ("~: a", "null"),
        ("1.5: a", "1.5"), ("'1': a", "1"), ("? \n: a", "null"), ("y: a", "true"), ("!!str 1: a", "1"),
    ])
    func scalarKeysBecomeStrings(text: String, key: String) throws {
        #expect(try YAML.parse(text).objectValue?.keys == [key])
    }

    @Test func aliasToScalarWorksAsKey() throws {
        #expect(try YAML.parse("a: &k name\n*k : value\n") == ["a": "name", "name": "value"])
    }

    @Test(arguments: [
        ("? [a, b]\n: 1\n", "mapping keys must be scalars, found a sequence", 1, 3),
        ("? {a: b}\n: 1\n", "mapping keys must be scalars, found a mapping", 1, 3),
        ("{[a]: 1}", "mapping keys must be scalars, found a sequence", 1, 2),
        ("a: &m {x: 1}\n*m : 2\n", "mapping keys must be scalars, but alias *m is object", 2, 1),
    ])
    func complexKeysAreErrors(text: String, message: String, line: Int, column: Int) {
        #expect(throws: YAMLError(message: message, line: line, column: column)) { try YAML.parse(text) }
    }

    /// Decision: duplicate keys are an error (kubectl's go-yaml v2 keeps the
    /// last one silently; the API server's strict validation rejects them).
    @Test(arguments: [
        ("a: 1\na: 2\n", "duplicate mapping key \"a\" (first defined at line 1, column 1)", 2, 1),
        ("1: x\n'1': y\n", "duplicate mapping key \"1\" (first defined at line 1, column 1)", 2, 1),
        ("yes: x\ntrue: y\n", "duplicate mapping key \"true\" (first defined at line 1, column 1)", 2, 1),
        ("m: {a: 1, b: 2, a: 3}", "duplicate mapping key \"a\" (first defined at line 1, column 5)", 1, 17),
    ])
    func duplicateKeysAreErrors(text: String, message: String, line: Int, column: Int) {
        #expect(throws: YAMLError(message: message, line: line, column: column)) { try YAML.parse(text) }
    }

    // MARK: Limits

    @Test func aliasBombIsRefused() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        do {
            _ = try YAML.parse(text)
            Issue.record("an alias bomb parsed")
        } catch {
            #expect(error.message.contains("aliases expand to more than 1000000 nodes"))
            #expect(error.line >= 5 && error.line <= 7)
        }
    }

    @Test func aliasBudgetCountsRepeatedUse() throws {
        let limits = YAMLLimits(maxAliasedNodes: 10)
        let text = "a: &a [1, 2, 3, 4]\nb: [*a, *a]\n"  // 5 + 5 nodes
        #expect(try YAML.parse(text, limits: limits)["b"]?.arrayValue?.count == 2)
        #expect(throws: YAMLError.self) { try YAML.parse(text + "c: *a\n", limits: limits) }
    }

    @Test func nestingDeeperThanTheLimitIsAnError() throws {
        let limits = YAMLLimits(maxDepth: 4)
        #expect(try YAML.parse("[[[[1]]]]", limits: limits) == [[[[1]]]])
        #expect(throws: YAMLError(message: "nesting deeper than 4 levels", line: 1, column: 5)) {
            try YAML.parse("[[[[[1]]]]]", limits: limits)
        }
        #expect(throws: YAMLError(message: "alias *a nests values deeper than 4 levels", line: 2, column: 7)) {
            try YAML.parse("a: &a [[1]]\nb: [[[*a]]]\n", limits: limits)
        }
    }

    /// The composer recurses per level; callers on a small stack (an event loop, a thread made
    /// with 256 KiB) must still get the value or the limit's error, not a crash.
    @Test func nestingAtTheLimitIsSafeOnASmallStack() {
        let deepest = String(repeating: "[", count: 511) + String(repeating: "]", count: 511)
        let tooDeep = String(repeating: "{a: ", count: 100_000)
        let outcomes = LargeStack.run(stackBytes: 256 << 10) { () -> (JSON?, String?) in
            var message: String?
            do throws(YAMLError) { _ = try YAML.parse(tooDeep) } catch { message = error.message }
            return (try? YAML.parse(deepest), message)
        }
        var value: JSON? = outcomes.0
        var depth = 0
        while let items = value?.arrayValue { depth += 1; value = items.first }
        #expect(depth == 511)
        #expect(outcomes.1 == "nesting deeper than 512 levels")
    }

    @Test func deepDefaultNestingFailsCleanly() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: YAMLError(message: "nesting deeper than 512 levels", line: 1, column: 513)) {
            try YAML.parse(text)
        }
    }
}
