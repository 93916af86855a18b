import CEL
import JSONValue
import Testing

/// Evaluation follows cel-go: values, runtime error texts, and which
/// errors `&&`, `||`, `?:` and the macros absorb or pass on.
@Suite struct EvaluationTests {
    static let schema: JSON = json("""
        {"type": "object", "properties": {
          "min": {"type": "integer"}, "max": {"type": "integer"},
          "ratio": {"type": "number"},
          "name": {"type": "string"},
          "port": {"x-kubernetes-int-or-string": true},
          "labels": {"type": "object", "additionalProperties": {"type": "string"}},
          "tags": {"type": "array", "items": {"type": "string"}},
          "set": {"type": "array", "items": {"type": "integer"}, "x-kubernetes-list-type": "set"},
          "set2": {"type": "array", "items": {"type": "integer"}, "x-kubernetes-list-type": "set"},
          "env": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                  "items": {"type": "object", "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}},
          "env2": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                  "items": {"type": "object", "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}},
          "nested": {"type": "object", "nullable": true, "properties": {"inner": {"type": "integer"}, "deep": {"type": "object", "properties": {"x": {"type": "integer"}}}}},
          "namespace": {"type": "string"},
          "foo-bar": {"type": "integer"},
          "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"known": {"type": "integer"}}}
        }}
        """)

    static let value: JSON = json("""
        {"min": 2, "max": 5, "ratio": 3, "name": "résumé", "port": "http",
         "labels": {"app": "web", "tier": "front"}, "tags": ["a", "b", "c"],
         "set": [1, 2, 3], "set2": [3, 2, 1],
         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
         "env2": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
         "nested": {"inner": 7, "deep": null},
         "namespace": "default", "foo-bar": 9,
         "extra": {"known": 1, "unknown": {"x": [1, 2]}}}
        """)

    static func run(_ source: String, _ value: JSON = value) -> Outcome {
        outcome(source, self: value, .schema(schema, isRoot: false))
    }

    @Test(arguments: [
        // numbers: a JSON integer in a `number` field is a double
        ("self.ratio", CELValue.double(3)),
        ("self.ratio == 3.0", .bool(true)),
        ("self.min < self.ratio && self.ratio <= self.max", .bool(true)),
        ("self.max / self.min", .int(2)),
        ("-7 / 2", .int(-3)),
        ("-7 % 2", .int(-1)),
        ("7.0 / 2.0", .double(3.5)),
        ("-9223372036854775808", .int(.min)),
        ("0x7fffffffffffffff", .int(.max)),
        ("1e3", .double(1000)),
        // strings
        ("size(self.name)", .int(6)),
        ("self.name.size()", .int(6)),
        ("self.name.startsWith('ré') && self.name.endsWith('mé') && self.name.contains('sum')", .bool(true)),
        ("'a' < 'b' && 'B' < 'a' && 'é' > 'z'", .bool(true)),
        ("'abc' + 'def'", .string("abcdef")),
        ("'\\x41\\101\\u0041\\U00000041'", .string("AAAA")),
        ("r'\\d+'", .string("\\d+")),
        ("'''a\nb'''", .string("a\nb")),
        ("\"it's\" == 'it\\'s'", .bool(true)),
        ("'a\\tb'.size()", .int(3)),
        // maps and lists
        ("self.labels.app", .string("web")),
        ("self.labels['tier']", .string("front")),
        ("'app' in self.labels", .bool(true)),
        ("'b' in self.tags", .bool(true)),
        ("self.tags[1]", .string("b")),
        ("size(self.tags) + size(self.labels)", .int(5)),
        ("self.tags + ['d']", .list([.string("a"), .string("b"), .string("c"), .string("d")])),
        ("[1, 2] == [1, 2] && [1, 2] != [2, 1]", .bool(true)),
        ("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}", .bool(true)),
        ("[[1]] == [[1]]", .bool(true)),
        ("{1: 'a'}[1]", .string("a")),
        ("{'a': 1, 'a': 2}['a']", .int(2)),
        // x-kubernetes-list-type set and map compare without order
        ("self.set == self.set2", .bool(true)),
        ("self.tags == ['c', 'b', 'a']", .bool(false)),
        ("size(self.env + self.env) == 2 && size(self.tags + self.tags) == 6", .bool(true)),
        ("size(self.set + self.set2)", .int(3)),
        // escaped property names; null counts as absent
        ("self.__namespace__", .string("default")),
        ("self.foo__dash__bar", .int(9)),
        ("has(self.nested.deep)", .bool(false)),
        ("has(self.nested.inner)", .bool(true)),
        ("self.extra.known", .int(1)),
        ("self.extra == self.extra", .bool(true)),
        // int-or-string is dyn
        ("self.port == 'http'", .bool(true)),
        ("self.port == 80", .bool(false)),
        // macros
        ("self.tags.all(t, size(t) == 1)", .bool(true)),
        ("self.tags.exists(t, t == 'b')", .bool(true)),
        ("self.tags.exists_one(t, t > 'a')", .bool(false)),
        ("self.labels.all(k, self.labels[k] != '')", .bool(true)),
        ("self.env.exists(e, e.name == 'B' && e.value == '2')", .bool(true)),
        ("[1, 2, 3].all(x, [4, 5].exists(y, y > x))", .bool(true)),
        ("self.tags.all(self, self != 'z')", .bool(true)),
        ("[].exists(x, x)", .bool(false)),
        // conditionals and null
        ("self.min > 1 ? 'big' : 'small'", .string("big")),
        ("self.nested != null", .bool(true)),
        ("null == null", .bool(true)),
        ("self.name.matches('^r.sum.$')", .bool(true)),
        ("matches(self.name, 'sum')", .bool(true)),
        ("'A1'.matches('^\\\\w\\\\d$') && !'é'.matches('^\\\\w$')", .bool(true)),
    ])
    func evaluatesToValue(source: String, expected: CELValue) {
        #expect(Self.run(source) == .value(expected), "\(source)")
    }

    @Test(arguments: [
        ("self.min <= self.max", "{}", "no such key: min"),
        ("self.labels.missing == ''", #"{"labels": {}}"#, "no such key: missing"),
        ("self.labels['missing'] == ''", #"{"labels": {}}"#, "no such key: missing"),
        ("self.nested.deep.x == 1", #"{"nested": {"deep": null}}"#, "no such key: deep"),
        ("has(self.nested.deep.x)", #"{"nested": {}}"#, "no such key: deep"),
        ("self.tags[3] == ''", #"{"tags": ["a"]}"#, "index out of bounds: 3"),
        ("[1, 2][-1] == 0", "{}", "index out of bounds: -1"),
        ("self.max / (self.min - 2) > 0", #"{"max": 1, "min": 2}"#, "division by zero"),
        ("self.max % (self.min - 2) > 0", #"{"max": 1, "min": 2}"#, "modulus by zero"),
        ("self.max + 9223372036854775807 > 0", #"{"max": 1}"#, "integer overflow"),
        ("self.max * 9223372036854775807 > 0", #"{"max": 2}"#, "integer overflow"),
        ("-9223372036854775808 / -1 > 0", "{}", "integer overflow"),
        ("-(self.max - 9223372036854775807 - 2) > 0", #"{"max": 1}"#, "integer overflow"),
        ("self.port + 1 > 0", #"{"port": "x"}"#, "no such overload"),
        ("self.port < 'a'", #"{"port": 1}"#, "no such overload"),
        ("0.0 / 0.0 < 1.0", "{}", "NaN values cannot be ordered"),
        ("self.name.matches(self.labels.re)", #"{"name": "x", "labels": {"re": "a("}}"#,
         "error parsing regexp: missing closing ): `a(`"),
        ("self.min > 0", #"{"min": 1.5}"#, "invalid data, expected int, got float64"),
        ("self.name == ''", #"{"name": 1}"#, "invalid data, expected string, got int64"),
        ("self.min > 0", #"{"min": null}"#, "no such key: min"),
    ])
    func failsWithCelGosMessage(source: String, selfJSON: String, message: String) {
        #expect(Self.run(source, json(selfJSON)) == .evalError(message), "\(source)")
    }

    /// `&&` and `||` are commutative with respect to errors; `?:` is not.
    @Test(arguments: [
        ("self.min > 0 && false", false),
        ("false && self.min > 0", false),
        ("self.min > 0 || true", true),
        ("true || self.min > 0", true),
        ("!has(self.min) || self.min > 0", true),
        ("has(self.min) && self.min > 0", false),
        ("[0, 1].exists(x, 1 / x == 1)", true),
        ("[0, 1].all(x, 1 / x == 2)", false),
    ])
    func logicalOperatorsAbsorbErrorsTheOtherSideDecides(source: String, expected: Bool) {
        #expect(Self.run(source, [:]) == .value(.bool(expected)), "\(source)")
    }

    @Test(arguments: [
        ("self.min > 0 && true", "no such key: min"),
        ("true && self.min > 0", "no such key: min"),
        ("self.min > 0 || false", "no such key: min"),
        ("self.min > 0 || self.max > 0", "no such key: min"),
        ("self.max > 0 || self.min > 0", "no such key: max"),
        ("self.min > 0 ? true : true", "no such key: min"),
        ("[0, 1].all(x, 1 / x == 1)", "division by zero"),
        ("[0, 1].exists(x, 1 / x == 2)", "division by zero"),
        ("[0, 1].exists_one(x, 1 / x == 1)", "division by zero"),
    ])
    func otherwiseErrorsPropagate(source: String, message: String) {
        #expect(Self.run(source, [:]) == .evalError(message), "\(source)")
    }

    @Test func hasIsFalseForAnAbsentOrNullLastFieldAndTrueForAPresentOne() {
        #expect(Self.run("has(self.min)", [:]) == .value(.bool(false)))
        #expect(Self.run("has(self.min)", ["min": nil]) == .value(.bool(false)))
        #expect(Self.run("has(self.min)", ["min": 0]) == .value(.bool(true)))
        #expect(Self.run("has(self.labels.x)", ["labels": ["x": ""]]) == .value(.bool(true)))
    }

    /// apiserver `pkg/cel/escaping.go`: how property names become identifiers.
    @Test(arguments: [
        ("a.b/c", "self.a__dot__b__slash__c"),
        ("x__y", "self.x__underscores__y"),
        ("x___y", "self.x__underscores___y"),
        ("if", "self.__if__"),
        ("dash-ed", "self.dash__dash__ed"),
        ("_under", "self._under"),
    ])
    func propertyNamesAreReachableEscaped(name: String, access: String) {
        let schema: JSON = ["type": "object", "properties": .object([name: ["type": "integer"]])]
        #expect(outcome("\(access) == 1 && has(\(access))", self: .object([name: 1]), .schema(schema, isRoot: false))
            == .value(.bool(true)), "\(name)")
    }

    @Test func propertyNamesThatCannotBeEscapedAreNotExposed() {
        let schema: JSON = ["type": "object", "properties": ["a b": ["type": "integer"], "1st": ["type": "integer"]]]
        #expect(compileError("self == self", .schema(schema, isRoot: false)) == nil)
        #expect(compileError("has(self.a__b)", .schema(schema, isRoot: false))?.contains("undefined field 'a__b'") == true)
    }

    @Test func rulesReturnTheirBool() throws {
        let program = try CELRule.compile("self.min <= self.max", selfSchema: Self.schema, isRoot: false)
        #expect(program.validate(self: ["min": 1, "max": 2]) == .success(true))
        #expect(program.validate(self: ["min": 3, "max": 2]) == .success(false))
        #expect(program.validate(self: [:]) == .failure(CELEvalError("no such key: min")))
    }

    @Test func anExpressionWithoutASchemaReadsJSONAsItIs() {
        #expect(outcome("self.a.b + 1", self: ["a": ["b": 1]]) == .value(.int(2)))
        #expect(outcome("self.x * 2.0", self: ["x": 1.5]) == .value(.double(3)))
        #expect(outcome("self.a[1] == 'x' && self.a[2] == null && size(self.a) == 3", self: ["a": [1, "x", nil]])
            == .value(.bool(true)))
        #expect(outcome("self.list[1]", self: ["list": [true, false]]) == .value(.bool(false)))
    }
}
