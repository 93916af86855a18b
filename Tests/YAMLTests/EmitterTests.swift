import JSONValue
import Testing
import YAML

@Suite struct EmitterTests {
    @Test func blockStyleTwoSpaceIndentKeysInStoredOrder() {
        let value: JSON = [
            "zeta": "z",
            "list": [1, ["name": "a", "ports": [80, 443]], []],
            "map": ["inner": ["deep": true], "empty": [:]],
            "alpha": nil,
        ]
        let expected = """
            zeta: z
            list:
            - 1
            - name: a
              ports:
              - 80
              - 443
            - []
            map:
              inner:
                deep: true
              empty: {}
            alpha: null

            """
        #expect(YAML.emit(value) == expected)
    }

    /// (string, how it is written as a mapping value)
    static let quoting: [(String, String)] = [
        ("plain", "plain"), ("hello world", "hello world"), ("app:1.2", "app:1.2"), ("-x", "-x"),
        ("yes", "\"yes\""), ("no", "\"no\""), ("on", "\"on\""), ("off", "\"off\""), ("y", "\"y\""), ("n", "\"n\""),
        ("Yes", "\"Yes\""), ("TRUE", "\"TRUE\""), ("false", "\"false\""), ("null", "\"null\""), ("~", "\"~\""),
        ("", "\"\""), ("12", "\"12\""), ("-1", "\"-1\""), ("1.5", "\"1.5\""), ("0777", "\"0777\""),
        ("0x1F", "\"0x1F\""), ("1e5", "\"1e5\""), ("1_000", "\"1_000\""), (".inf", "\".inf\""), (".nan", "\".nan\""),
        ("08", "\"08\""), ("1e999", "\"1e999\""), ("nan", "\"nan\""), ("inf", "\"inf\""), ("1:30", "\"1:30\""),
        ("2024-01-02", "\"2024-01-02\""), ("<<", "\"<<\""), ("=", "\"=\""),
        (" lead", "' lead'"), ("trail ", "'trail '"), ("a: b", "'a: b'"), ("a #b", "'a #b'"), ("x:", "'x:'"),
        ("- x", "'- x'"), ("#c", "'#c'"), ("&a", "'&a'"), ("*a", "'*a'"), ("!t", "'!t'"), ("|", "'|'"),
        (">", "'>'"), ("%", "'%'"), ("@", "'@'"), ("`", "'`'"), ("{a}", "'{a}'"), ("[a]", "'[a]'"),
        (",", "','"), ("?", "'?'"), ("'", "''''"), ("\"", "'\"'"), ("tab\there", "\"tab\\there\""),
        ("\u{0}", "\"\\0\""), ("bell\u{7}", "\"bell\\a\""), ("é ü 日本", "é ü 日本"), ("cr\rlf", "\"cr\\rlf\""),
        ("nel\u{85}", "\"nel\\N\""),
    ]

    @Test(arguments: quoting)
    func stringsThatWouldReadAsSomethingElseAreQuoted(string: String, written: String) throws {
        let text = YAML.emit(["v": .string(string)])
        #expect(text == "v: \(written)\n")
        #expect(try YAML.parse(text)["v"] == .string(string))
    }

    @Test func keysAreQuotedLikeValues() throws {
        let value: JSON = ["yes": 1, "1": 2, "<<": 3, "": 4, "a: b": 5]
        let text = YAML.emit(value)
        #expect(text == "\"yes\": 1\n\"1\": 2\n\"<<\": 3\n\"\": 4\n'a: b': 5\n")
        #expect(try YAML.parse(text) == value)
    }

    static let scalars: [(JSON, String)] = [
        (nil, "null"), (true, "true"), (false, "false"), (0, "0"), (-42, "-42"),
        (.int(Int64.max), "9223372036854775807"), (.int(Int64.min), "-9223372036854775808"),
        (1.0, "1.0"), (-0.5, "-0.5"), (0.1, "0.1"), (1e-5, "1e-05"), (1e20, "1e+20"), (123456.789, "123456.789"),
        (.double(.infinity), ".inf"), (.double(-.infinity), "-.inf"), (.double(.nan), ".nan"),
        (.double(.leastNonzeroMagnitude), "5e-324"), (.double(.greatestFiniteMagnitude), "1.7976931348623157e+308"),
    ]

    @Test(arguments: scalars)
    func scalarsAreWrittenSoTheyReadBackAsTheSameType(value: JSON, written: String) throws {
        let text = YAML.emit(["v": value])
        #expect(text == "v: \(written)\n")
        let back = try YAML.parse(text)["v"]
        if case .double(let d) = value, d.isNaN {
            #expect(back?.doubleValue?.isNaN == true)
        } else {
            #expect(back == value)
        }
    }

    @Test(arguments: [
        ("a\nb\n", "v: |\n  a\n  b\n"), ("a\nb", "v: |-\n  a\n  b\n"), ("a\n\n", "v: |+\n  a\n\n...\n"),
        ("  lead\nb", "v: |2-\n    lead\n  b\n"), ("#!/bin/sh\necho hi\n", "v: |\n  #!/bin/sh\n  echo hi\n"),
        ("trailing \nspace", "v: \"trailing \\nspace\""), ("a\r\nb", "v: \"a\\r\\nb\""),
    ])
    func multiLineStringsUseLiteralBlocksWhereSafe(string: String, written: String) throws {
        let text = YAML.emit(["v": .string(string)])
        #expect(text == written + (written.hasSuffix("\n") ? "" : "\n"))
        #expect(try YAML.parse(text)["v"] == .string(string))
    }

    @Test(arguments: [
        (JSON.object([:]), "{}\n"), (JSON.array([]), "[]\n"), ("text", "text\n"), (nil, "null\n"), (7, "7\n"),
    ])
    func rootValues(value: JSON, written: String) throws {
        #expect(YAML.emit(value) == written)
        #expect(try YAML.parse(written) == value)
    }

    @Test func emitAllSeparatesDocuments() throws {
        let documents: [JSON] = [["kind": "A"], ["kind": "B"], nil]
        let text = YAML.emitAll(documents)
        #expect(text == "kind: A\n---\nkind: B\n--- null\n")
        #expect(try YAML.parseAll(text) == documents)
        #expect(YAML.emitAll([]) == "")
        #expect(try YAML.parseAll(YAML.emitAll([])) == [])
    }

    @Test func longAndMultiLineKeysRoundTrip() throws {
        let long = String(repeating: "k", count: 300)
        let value: JSON = [long: 1, "two\nlines": 2, "é": 3]
        #expect(try YAML.parse(YAML.emit(value)) == value)
    }

    @Test func emittingIsDeterministic() {
        let value: JSON = ["b": [1, 2.5, "x"], "a": ["c": nil]]
        #expect(YAML.emit(value) == YAML.emit(value))
    }
}
