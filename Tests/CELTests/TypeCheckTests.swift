import CEL
import JSONValue
import Testing

/// `self` gets the type Kubernetes derives from the schema node, and
/// operators are checked against cel-go's standard overloads.
@Suite struct TypeCheckTests {
    static let spec: JSON = json("""
        {"type": "object", "properties": {
          "replicas": {"type": "integer"},
          "ratio": {"type": "number"},
          "name": {"type": "string", "format": "date-time"},
          "enabled": {"type": "boolean"},
          "port": {"x-kubernetes-int-or-string": true},
          "labels": {"type": "object", "additionalProperties": {"type": "string"}},
          "tags": {"type": "array", "items": {"type": "string"}},
          "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
          "opaque": {"x-kubernetes-preserve-unknown-fields": true},
          "nested": {"type": "object", "properties": {"inner": {"type": "integer"}}},
          "namespace": {"type": "string"},
          "foo-bar": {"type": "string"},
          "9lives": {"type": "string"}
        }}
        """)

    static func type(_ source: String, root: Bool = false) -> String {
        do {
            return try CELProgram.compile(source, self: .schema(spec, isRoot: root)).resultType.description
        } catch {
            return error.description.split(separator: "\n").first.map(String.init) ?? ""
        }
    }

    @Test(arguments: [
        ("self.replicas", "int"),
        ("self.ratio", "double"),
        ("self.name", "string"),
        ("self.enabled", "bool"),
        ("self.port", "dyn"),
        ("self.labels", "map(string, string)"),
        ("self.labels.app", "string"),
        ("self.labels['app']", "string"),
        ("self.tags", "list(string)"),
        ("self.tags[0]", "string"),
        ("self.nested", "selfType0.nested"),
        ("self.nested.inner", "int"),
        ("self.__namespace__", "string"),
        ("self.foo__dash__bar", "string"),
        ("self.replicas + self.replicas", "int"),
        ("self.ratio * 2.0", "double"),
        ("self.port + 1", "int"),
        ("self.replicas < self.ratio", "bool"),
        ("self.enabled ? self.replicas : self.port", "dyn"),
        ("[]", "list(dyn)"),
        ("{}", "map(dyn, dyn)"),
        ("self.tags + []", "list(string)"),
        ("size(self.labels) + self.tags.size() + size(self.name)", "int"),
        ("self.tags.all(t, t.startsWith('a'))", "bool"),
        ("self.labels.exists(k, k == 'app')", "bool"),
        ("has(self.nested.inner)", "bool"),
        ("'a' in self.tags", "bool"),
        ("'app' in self.labels", "bool"),
        ("self.nested == null", "bool"),
    ])
    func schemaTypesFlowThroughExpressions(source: String, expected: String) {
        #expect(Self.type(source) == expected)
    }

    @Test(arguments: [
        ("self.missing", "ERROR: <input>:1:5: undefined field 'missing'"),
        ("self.nested.other", "ERROR: <input>:1:12: undefined field 'other'"),
        ("has(self.missing)", "ERROR: <input>:1:4: undefined field 'missing'"),
        // Unknown fields of x-kubernetes-preserve-unknown-fields objects are not accessible.
        ("self.extra.anything", "ERROR: <input>:1:11: undefined field 'anything'"),
        // A property without a type is not exposed at all.
        ("self.opaque", "ERROR: <input>:1:5: undefined field 'opaque'"),
        // Reserved words and names with dashes are reachable only escaped; leading digits never.
        ("self.namespace", "ERROR: <input>:1:5: undefined field 'namespace'"),
        ("self.9lives", "ERROR: <input>:1:5: Syntax error: mismatched input '.9' expecting <EOF>"),
        ("self.replicas <= 'x'", "ERROR: <input>:1:15: found no matching overload for '_<=_' applied to '(int, string)'"),
        ("self.replicas == 1.0", "ERROR: <input>:1:15: found no matching overload for '_==_' applied to '(int, double)'"),
        ("self.name == null", "ERROR: <input>:1:11: found no matching overload for '_==_' applied to '(string, null)'"),
        ("self.tags.contains('a')", "ERROR: <input>:1:19: found no matching overload for 'contains' applied to 'list(string).(string)'"),
        ("self.replicas.size()", "ERROR: <input>:1:19: found no matching overload for 'size' applied to 'int.()'"),
        ("-self.name", "ERROR: <input>:1:1: found no matching overload for '-_' applied to '(string)'"),
        ("self.replicas && true", "ERROR: <input>:1:5: expected type 'bool' but found 'int'"),
        ("self.name.foo", "ERROR: <input>:1:10: type 'string' does not support field selection"),
        ("self.replicas.all(x, true)", "ERROR: <input>:1:5: expression of type 'int' cannot be range of a comprehension (must be list, map, or dynamic)"),
        ("self.tags.all(t, t)", "ERROR: <input>:1:18: expected type 'bool' but found 'string'"),
        ("self.tags.exists_one(t, 1)", "ERROR: <input>:1:21: found no matching overload for '_?_:_' applied to '(int, int, int)'"),
        ("[self.port, 1]", "ERROR: <input>:1:13: expected type 'dyn' but found 'int'"),
        ("{'a': 1, 'b': 'x'}", "ERROR: <input>:1:15: expected type 'int' but found 'string'"),
        ("self.nested == self", "ERROR: <input>:1:13: found no matching overload for '_==_' applied to '(selfType0.nested, selfType0)'"),
        ("self.metadata.name", "ERROR: <input>:1:5: undefined field 'metadata'"),
        // Objects are not maps: no size(), no `in`, no indexing; and each object type is its own.
        ("size(self.nested)", "ERROR: <input>:1:5: found no matching overload for 'size' applied to '(selfType0.nested)'"),
        ("'inner' in self.nested", "ERROR: <input>:1:9: found no matching overload for '@in' applied to '(string, selfType0.nested)'"),
    ])
    func typeErrorsNameTheProblemWhereCelGoDoes(source: String, expected: String) {
        #expect(Self.type(source) == expected)
    }

    @Test func theResourceRootExposesOnlyNameAndGenerateNameOfMetadata() {
        #expect(Self.type("self.metadata.name", root: true) == "string")
        #expect(Self.type("self.metadata.generateName", root: true) == "string")
        #expect(Self.type("self.apiVersion + self.kind", root: true) == "string")
        #expect(Self.type("self.metadata.namespace", root: true) == "ERROR: <input>:1:14: undefined field 'namespace'")
        #expect(Self.type("self.metadata.labels", root: true) == "ERROR: <input>:1:14: undefined field 'labels'")
    }

    @Test func embeddedResourcesGetTypeAndObjectMetaToo() {
        let schema: JSON = ["type": "object", "properties": [
            "template": ["type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true],
        ]]
        #expect(throws: Never.self) {
            _ = try CELRule.compile("self.template.metadata.name != '' && self.template.kind == 'Pod'", selfSchema: schema, isRoot: false)
        }
    }

    /// Everything outside the subset is a compile error naming what it is,
    /// so no rule is accepted here that would behave differently.
    @Test(arguments: [
        ("oldSelf == self", "variable 'oldSelf' (transition rules)"),
        ("self.tags.map(t, t + 'x') == []", "macro 'map'"),
        ("self.tags.filter(t, t == 'x') == []", "macro 'filter'"),
        ("self.tags.all(i, t, t == 'x')", "macro 'all' with two iteration variables"),
        ("self.tags.existsOne(t, t == 'x')", "macro 'existsOne' (use exists_one)"),
        ("type(self.port) == int", "function 'type'"),
        ("int(self.ratio) > 1", "function 'int'"),
        ("self.name.lowerAscii() == 'a'", "function 'lowerAscii'"),
        ("timestamp(self.name) > timestamp('2024-01-01T00:00:00Z')", "function 'timestamp'"),
        ("sets.contains(self.tags, ['a'])", "function 'sets.contains'"),
        ("optional.of(1).hasValue()", "function 'optional.of'"),
        ("self.?nested.hasValue()", "optional field selection '.?'"),
        ("self.tags[?0] == 'a'", "optional index '[?'"),
        ("self.replicas == 1u", "uint literal 1u"),
        ("size(b'abc') == 3", "bytes literal"),
    ])
    func constructsOutsideTheSubsetAreNamed(source: String, construct: String) {
        let error = compileError(source, .schema(Self.spec, isRoot: false)) ?? ""
        #expect(error.contains("unsupported in this test API server's CEL subset: \(construct)"), "\(error)")
    }

    @Test func misspeltFunctionsAndVariablesAreUndeclaredReferences() {
        #expect(Self.type("self.tags.contians('a')") == "ERROR: <input>:1:19: undeclared reference to 'contians' (in container '')")
        #expect(Self.type("sefl.replicas > 1") == "ERROR: <input>:1:1: undeclared reference to 'sefl' (in container '')")
        #expect(Self.type("Foo{a: 1}") == "ERROR: <input>:1:4: undeclared reference to 'Foo' (in container '')")
    }

    @Test func regexLiteralsAreValidatedAtCompileTime() {
        #expect(Self.type("self.name.matches('a(')") == "ERROR: <input>:1:19: invalid matches argument")
        #expect(Self.type("self.name.matches('^[a-z]+$')") == "bool")
        #expect(Self.type("self.name.matches('(?m)^a')")
            == "ERROR: <input>:1:19: unsupported in this test API server's CEL subset: regular expression feature '(?m' flag")
    }
}
