import CEL
import Foundation
import JSONValue
import TestSupport
import Testing

/// The same expressions through this module and through cel-python
/// (`celpy`, pinned in scripts/requirements.txt), comparing the outcome: the
/// value, or that both fail. Messages are not compared: cel-python words its
/// errors differently from cel-go.
///
/// Left out, because cel-python 0.5.0 differs from cel-go (which this module
/// follows); `exclusions` lists each with its reason and cel-go's outcome:
/// cross-type numeric equality and comparison, a newline in a triple-quoted
/// string, mixed-type literals cel-go's checker rejects, the sign of a
/// negative number divided by zero, and repeated map literal keys.
@Suite(.serialized) struct DifferentialTests {
    struct Case {
        let expr: String
        let selfJSON: JSON
    }

    static let object: JSON = [
        "name": "resnet50", "replicas": ["min": 2, "max": 16], "ratio": 0.5, "tags": ["a", "b", "c"],
        "labels": ["app": "web", "tier": "front"], "empty": [:], "list": [1, 2, 3], "nested": ["deep": ["x": 1]],
        "flag": true, "none": nil,
    ]

    static let cases: [Case] = [
        "1 + 2 * 3", "(1 + 2) * 3", "7 / 2", "-7 / 2", "7 % 3", "-7 % 3", "7.0 / 2.0", "0.1 + 0.2", "1.5 * 2.0",
        "-self.replicas.min", "!self.flag", "!!self.flag", "--1",
        "9223372036854775807 + 1", "-9223372036854775808 - 1", "5 / 0", "5 % 0", "4611686018427387904 * 2",
        "'abc' + 'def'", "'abc' < 'abd'", "'b' > 'a'", "size('héllo')", "'hello'.size()", "size(self.tags)",
        "size(self.labels)", "self.name.startsWith('res')", "self.name.endsWith('50')", "self.name.contains('net')",
        "self.name.matches('^[a-z]+[0-9]+$')", "matches(self.name, 'net')", "'abc'.matches('^b')",
        "'x-1'.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')", "'\\u0663'.matches('\\\\d')", "'é'.matches('^\\\\w$')",
        "'abc\\n'.matches('c$')", "1.0 / 0.0 > 1.0", "-5 / 3", "5 % -3",
        "self.replicas.min <= self.replicas.max", "self.replicas.min > self.replicas.max", "self.ratio < 1.0",
        "self.replicas.min == 2", "self.name == 'resnet50'", "self.name != 'x'", "self.flag == true",
        "self.none == null", "self.tags == ['a', 'b', 'c']", "self.labels == {'tier': 'front', 'app': 'web'}",
        "self.nested.deep.x", "self.nested.deep", "self.labels.app", "self.labels['tier']", "self.tags[1]",
        "self.list[0] + self.list[2]", "self.missing", "self.labels.missing", "self.tags[7]", "self.nested.nope.x",
        "has(self.name)", "has(self.missing)", "has(self.nested.deep)", "has(self.nested.deep.y)", "has(self.none)",
        "'b' in self.tags", "'z' in self.tags", "'app' in self.labels", "'x' in self.labels", "2 in self.list",
        "self.tags.all(t, size(t) == 1)", "self.tags.exists(t, t == 'c')", "self.tags.exists_one(t, t >= 'b')",
        "self.list.all(x, x > 1)", "self.list.exists(x, x > 2)", "self.list.exists_one(x, x == 2)",
        "self.labels.all(k, k.size() > 2)", "self.labels.exists(k, self.labels[k] == 'web')",
        "[1, 2, 3].all(x, [1, 2, 3].exists(y, y == x))", "self.list.all(x, 6 / (x - 2) > 0)",
        "self.list.exists(x, 6 / (x - 2) > 0)", "self.list.exists_one(x, 6 / (x - 2) == 6)",
        "self.missing > 0 && false", "false && self.missing > 0", "self.missing > 0 || true",
        "true || self.missing > 0", "self.missing > 0 && true", "self.missing > 0 || false",
        "self.flag ? self.name : 'x'", "!self.flag ? self.name : 'x'", "self.missing ? 1 : 2",
        "[1, 2] + [3]", "self.tags + ['d']", "[[1], [2]] == [[1], [2]]", "{'a': {'b': 1}}.a.b", "{1: 'one'}[1]",
        "{'a': 1}['b']", "[1, 2, 3][3]", "[][0]", "r'a\\d'", "'a\\tb'", "'\\x41\\u00e9'", "\"it's\"", "null == null",
        "[] == []", "{} == {}", "self.empty == {}", "size(self.empty)", "self.tags.size() == 3 && self.list.size() == 3",
    ].map { Case(expr: $0, selfJSON: object) }

    /// Reads `[{"expr", "self"}]` and prints one outcome per case; values keep
    /// the CEL type apart from the Python one (`{"int": 1}` vs `{"double": 1.0}`).
    static let script = #"""
        import json, math, sys
        import celpy
        from celpy import celtypes

        def encode(v):
            if v is None or isinstance(v, celtypes.NullType):
                return {"null": True}
            if isinstance(v, celtypes.BoolType) or isinstance(v, bool):
                return {"bool": bool(v)}
            if isinstance(v, (celtypes.IntType, celtypes.UintType)) or isinstance(v, int):
                return {"int": int(v)}
            if isinstance(v, (celtypes.DoubleType, float)):
                f = float(v)
                return {"double": f if math.isfinite(f) else repr(f)}
            if isinstance(v, str):
                return {"string": str(v)}
            if isinstance(v, (list, celtypes.ListType)):
                return {"list": [encode(x) for x in v]}
            if isinstance(v, (dict, celtypes.MapType)):
                return {"map": [[encode(k), encode(x)] for k, x in v.items()]}
            return {"other": repr(v)}

        env = celpy.Environment()
        out = []
        for case in json.load(open(sys.argv[1])):
            try:
                program = env.program(env.compile(case["expr"]))
                result = program.evaluate({"self": celpy.json_to_cel(case["self"])})
                out.append({"error": str(result)} if isinstance(result, celpy.CELEvalError) else {"value": encode(result)})
            except Exception as e:
                out.append({"error": type(e).__name__})
        print(json.dumps(out))
        """#

    /// Our outcome in the script's encoding: the value, or "error".
    static func encode(_ value: CELValue) -> JSON {
        switch value {
        case .null: return ["null": true]
        case .bool(let b): return ["bool": .bool(b)]
        case .int(let i): return ["int": .int(i)]
        case .double(let d): return ["double": d.isFinite ? .double(d) : .string("\(d)")]
        case .string(let s): return ["string": .string(s)]
        case .list(let items): return ["list": .array(items.map { Self.encode($0) })]
        case .map(let entries): return ["map": .array(entries.map { [Self.encode($0.key), Self.encode($0.value)] })]
        case .opaque(let json): return ["other": json]
        }
    }

    /// Compares two encoded values; maps compare without order.
    static func same(_ a: JSON, _ b: JSON) -> Bool {
        if let x = a["map"]?.arrayValue, let y = b["map"]?.arrayValue {
            guard x.count == y.count else { return false }
            return x.allSatisfy { entry in y.contains { Self.same($0[0] ?? .null, entry[0] ?? .null) && Self.same($0[1] ?? .null, entry[1] ?? .null) } }
        }
        if let x = a["list"]?.arrayValue, let y = b["list"]?.arrayValue {
            return x.count == y.count && zip(x, y).allSatisfy { Self.same($0, $1) }
        }
        if let x = a["double"]?.doubleValue, let y = b["double"]?.doubleValue { return x == y }
        return a == b
    }

    /// The cases left out of the comparison, each with why, and what cel-go
    /// (and so this module) gives.
    static let exclusions: [(expr: String, reason: String, cel: Outcome)] = [
        ("self.replicas.min == 2.0", "heterogeneous equality; cel-python: no such overload", .value(.bool(true))),
        ("self.ratio < 1", "cross-type numeric comparison; cel-python: no such overload", .value(.bool(true))),
        ("'''a\nb''' == 'a\\nb'", "cel-python 0.5.0 drops the newline of a triple-quoted string", .value(.bool(true))),
        ("size([1, 'a']) == 2", "cel-go's checker rejects the mixed list; cel-python evaluates it",
         .compileError("""
            ERROR: <input>:1:10: expected type 'int' but found 'string'
             | size([1, 'a']) == 2
             | .........^
            """)),
        ("-1.0 / 0.0 < 0.0", "cel-python 0.5.0 gives +Inf for -1.0 / 0.0", .value(.bool(true))),
        ("{'a': 1, 'a': 2}['a'] == 2", "cel-go lets a repeated map literal key replace the earlier one; cel-python fails",
         .value(.bool(true))),
    ]

    @Test func excludedCasesKeepCelGoBehaviour() {
        for exclusion in Self.exclusions {
            #expect(outcome(exclusion.expr, self: Self.object) == exclusion.cel, "\(exclusion.expr): \(exclusion.reason)")
        }
    }

    @Test(.disabled(if: venvMissing, venvMissingMessage))
    func outcomesAgreeWithCelPython() async throws {
        #expect(Self.cases.count >= 60)
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("cel-differential-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: input) }
        let payload = JSON.array(Self.cases.map { ["expr": .string($0.expr), "self": $0.selfJSON] })
        try Data(payload.serialized().utf8).write(to: input)
        let result = try await Subprocess.run(venvPython, ["-c", Self.script, input.path])
        try #require(result.status == 0, "cel-python failed: \(result.output)")
        let lastLine = result.output.split(separator: "\n").last.map(String.init) ?? ""
        let theirs = try #require(try JSON.parse(Array(lastLine.utf8)).arrayValue)
        try #require(theirs.count == Self.cases.count)
        for (c, their) in zip(Self.cases, theirs) {
            let ours: JSON
            switch outcome(c.expr, self: c.selfJSON) {
            case .value(let v): ours = ["value": Self.encode(v)]
            case .evalError, .compileError: ours = ["error": true]
            }
            if ours["error"] != nil || their["error"] != nil {
                #expect(ours["error"] != nil && their["error"] != nil,
                    "\(c.expr): ours \(ours.serialized()), cel-python \(their.serialized())")
            } else {
                #expect(Self.same(ours["value"] ?? .null, their["value"] ?? .null),
                    "\(c.expr): ours \(ours.serialized()), cel-python \(their.serialized())")
            }
        }
    }
}
