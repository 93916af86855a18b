import JSONValue
import Testing
import YAML

/// The plain scalar table documented on `ScalarResolver` (kubectl's reading).
@Suite struct ScalarResolutionTests {
    static let plainScalars: [(String, JSON)] = [
        // null
        ("", .null), ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("nULL", "nULL"),
        // booleans, YAML 1.1 style
        ("true", true), ("True", true), ("TRUE", true), ("yes", true), ("Yes", true), ("YES", true),
        ("on", true), ("On", true), ("ON", true), ("y", true), ("Y", true),
        ("false", false), ("False", false), ("FALSE", false), ("no", false), ("No", false), ("NO", false),
        ("off", false), ("Off", false), ("OFF", false), ("n", false), ("N", false),
        ("tRUE", "tRUE"), ("nO", "nO"), ("yEs", "yEs"), ("oN", "oN"), ("t", "t"), ("f", "f"),
        // integers
        ("0", 0), ("12", 12), ("+12", 12), ("-12", -12), ("1_000", 1000), ("-0", 0),
        ("0x1F", 31), ("0X1f", 31), ("-0x10", -16), ("0o17", 15), ("0O17", 15), ("0b101", 5), ("-0b11", -3),
        ("0777", 511), ("-0777", -511), ("00", 0),
        ("9223372036854775807", .int(Int64.max)), ("-9223372036854775808", .int(Int64.min)),
        ("9223372036854775808", .double(9223372036854775808)),
        ("18446744073709551615", .double(Double(UInt64.max))),
        ("99999999999999999999999", .double(1e23)),
        // decimal-looking but not octal: go-yaml falls through to float
        ("08", .double(8)), ("09.5", .double(9.5)),
        // floats
        ("1.5", 1.5), ("-1.5", -1.5), ("1.", 1.0), (".5", 0.5), ("-.5", -0.5), ("+.5", 0.5), ("1e5", 1e5),
        ("1E-3", 1e-3), ("6.02e+23", 6.02e23), ("1_000.5", 1000.5), (".5e1", 5.0), (".5_0", 0.5),
        (".inf", .double(.infinity)), (".Inf", .double(.infinity)), (".INF", .double(.infinity)),
        ("+.inf", .double(.infinity)), ("-.inf", .double(-.infinity)), ("-.INF", .double(-.infinity)),
        // strings
        ("1e999", "1e999"), (".iNf", ".iNf"), ("inf", "inf"), ("nan", "nan"), ("0x", "0x"), ("0xG", "0xG"),
        ("1_", .int(1)), ("_1", "_1"), ("+", "+"), ("-1-", "-1-"), (".", "."), ("._5", "._5"), ("1e", "1e"),
        ("2024-01-02", "2024-01-02"), ("12:30:00", "12:30:00"), ("1.2.3", "1.2.3"), ("0x1p3", "0x1p3"),
        ("v1", "v1"), ("hello world", "hello world"), ("<<", "<<"), ("=", "="), ("500m", "500m"), ("1Gi", "1Gi"),
    ]

    @Test(arguments: plainScalars)
    func plainScalarResolvesLikeKubectl(text: String, expected: JSON) throws {
        #expect(try YAML.parse("v: \(text)\n")["v"] == expected)
    }

    @Test func nanPlainScalarsAreDoubleNaN() throws {
        for text in [".nan", ".NaN", ".NAN"] {
            let value = try YAML.parse("v: \(text)")["v"]?.doubleValue
            #expect(value?.isNaN == true, "\(text)")
        }
    }

    @Test(arguments: ["'yes'", "\"yes\"", "'12'", "\"0x1F\"", "''", "\"~\"", "'null'", "\"1.5\"", "|\n  12\n", ">\n  true\n"])
    func quotedAndBlockScalarsAreAlwaysStrings(text: String) throws {
        let value = try YAML.parse("v: \(text)")["v"]
        #expect(value?.stringValue != nil, "\(text) -> \(String(describing: value))")
    }

    static let tagged: [(String, JSON)] = [
        ("!!str 12", "12"), ("!!str yes", "yes"), ("!!str", ""), ("!!str ~", "~"), ("! 12", "12"),
        ("!!int \"12\"", 12), ("!!int 0x10", 16), ("!!float 1", 1.0), ("!!float '2.5'", 2.5),
        ("!!bool 'yes'", true), ("!!bool false", false), ("!!null ''", .null), ("!!null ~", .null),
        ("!!timestamp 2024-01-02", "2024-01-02"), ("!!binary aGVsbG8=", "aGVsbG8="), ("!Ref name", "name"),
        ("!custom 12", "12"),
    ]

    @Test(arguments: tagged)
    func explicitTagsAreHonoured(text: String, expected: JSON) throws {
        #expect(try YAML.parse("v: \(text)\n")["v"] == expected)
    }

    @Test(arguments: [
        ("!!int abc", "cannot read \"abc\" as !!int: not a 64-bit integer"),
        ("!!int 1.5", "cannot read \"1.5\" as !!int: not a 64-bit integer"),
        ("!!float abc", "cannot read \"abc\" as !!float: not a number"),
        ("!!bool maybe", "cannot read \"maybe\" as !!bool: not a boolean"),
        ("!!null x", "cannot read \"x\" as !!null: not null"),
        ("!!map x", "tag !!map cannot apply to a scalar"),
        ("!!str [1]", "tag !!str cannot apply to a sequence"),
        ("!!seq {a: 1}", "tag !!seq cannot apply to a mapping"),
        ("!!int {a: 1}", "tag !!int cannot apply to a mapping"),
    ])
    func mismatchedTagsAreErrors(text: String, message: String) {
        #expect(throws: YAMLError(message: message, line: 1, column: 4)) { try YAML.parse("v: \(text)") }
    }

    @Test func collectionTagsMatchingTheirKindAreAccepted() throws {
        #expect(try YAML.parse("v: !!seq [1]\nw: !!map {a: 1}\nx: !!set {a}\n") == [
            "v": [1], "w": ["a": 1], "x": ["a": nil],
        ])
    }
}
