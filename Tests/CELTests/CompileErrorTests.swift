import CEL
import JSONValue
import Testing

/// Compile errors read exactly as the API server prints them (cel-go's
/// `Issues.String()`). The expected texts come from the brief and from
/// cel-go's own tests (`parser/parser_test.go`, `cel/env_test.go`) and the
/// apiserver's admission compiler tests.
@Suite struct CompileErrorTests {
    static let schemaWithA = object(["a": "integer"])

    @Test func unexpectedEndOfInputListsWhatCouldStartAnOperand() throws {
        #expect(throws: CELCompileError.self) {
            try CELRule.compile("self.a >", selfSchema: Self.schemaWithA, isRoot: false)
        }
        let error = compileError("self.a >", .schema(Self.schemaWithA, isRoot: false))
        #expect(error == """
            ERROR: <input>:1:9: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
             | self.a >
             | ........^
            """)
    }

    @Test func selectingAPropertyTheSchemaLacksIsAnUndefinedFieldAtTheDot() {
        #expect(compileError("self.b > 0", .schema(Self.schemaWithA, isRoot: false)) == """
            ERROR: <input>:1:5: undefined field 'b'
             | self.b > 0
             | ....^
            """)
    }

    @Test func theAPIServerPrefixesIssuesWithCompilationFailed() {
        do {
            _ = try CELRule.compile("self.b > 0", selfSchema: Self.schemaWithA, isRoot: false)
            Issue.record("compiled")
        } catch {
            #expect(error.apiServerDetail.hasPrefix("compilation failed: ERROR: <input>:1:5: undefined field 'b'"))
            #expect(error.issues.map(\.line) == [1])
            #expect(error.issues.map(\.column) == [5])
        }
    }

    @Test func aRuleThatIsNotABoolIsRejectedWithTheAPIServersMessage() {
        do {
            _ = try CELRule.compile("self.a + 1", selfSchema: Self.schemaWithA, isRoot: false)
            Issue.record("compiled")
        } catch {
            #expect(error.reason == .notBool(.int))
            #expect(error.description == "cel expression must evaluate to a bool")
            #expect(error.apiServerDetail == "cel expression must evaluate to a bool")
        }
    }

    @Test func aRuleOnASchemaWithoutACELTypeIsRejected() {
        do {
            _ = try CELRule.compile("true", selfSchema: ["x-kubernetes-preserve-unknown-fields": true], isRoot: false)
            Issue.record("compiled")
        } catch {
            #expect(error.description
                == "rule declared on schema that does not support validation rules type: '' x-kubernetes-preserve-unknown-fields: 'true'")
        }
    }

    /// cel-go parser_test.go / env_test.go cases whose whole output is reproduced.
    @Test(arguments: [
        ("-", """
            ERROR: <input>:1:2: Syntax error: no viable alternative at input '-'
             | -
             | .^
            ERROR: <input>:1:2: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
             | -
             | .^
            """),
        ("--", """
            ERROR: <input>:1:3: Syntax error: no viable alternative at input '-'
             | --
             | ..^
            ERROR: <input>:1:3: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
             | --
             | ..^
            """),
        ("{", """
            ERROR: <input>:1:2: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '}', '(', '.', ',', '-', '!', '?', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
             | {
             | .^
            """),
        ("1 + $", """
            ERROR: <input>:1:5: Syntax error: token recognition error at: '$'
             | 1 + $
             | ....^
            ERROR: <input>:1:6: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
             | 1 + $
             | .....^
            """),
        ("a | b", """
            ERROR: <input>:1:3: Syntax error: token recognition error at: '| '
             | a | b
             | ..^
            ERROR: <input>:1:5: Syntax error: extraneous input 'b' expecting <EOF>
             | a | b
             | ....^
            """),
        ("1 + 2\n3 +", """
            ERROR: <input>:2:1: Syntax error: mismatched input '3' expecting <EOF>
             | 3 +
             | ^
            """),
        ("TestAllTypes(){}", """
            ERROR: <input>:1:15: Syntax error: mismatched input '{' expecting <EOF>
             | TestAllTypes(){}
             | ..............^
            """),
        ("{\"a\": 1}.\"a\"", """
            ERROR: <input>:1:10: Syntax error: no viable alternative at input '."a"'
             | {"a": 1}."a"
             | .........^
            """),
        ("\"\\xFh\"", """
            ERROR: <input>:1:1: Syntax error: token recognition error at: '"\\xFh'
             | "\\xFh"
             | ^
            ERROR: <input>:1:6: Syntax error: token recognition error at: '"'
             | "\\xFh"
             | .....^
            ERROR: <input>:1:7: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
             | "\\xFh"
             | ......^
            """),
        ("{a}", """
            ERROR: <input>:1:3: Syntax error: mismatched input '}' expecting ':'
             | {a}
             | ..^
            """),
        ("ind[a{b}]", """
            ERROR: <input>:1:8: Syntax error: mismatched input '}' expecting ':'
             | ind[a{b}]
             | .......^
            """),
        ("0xFFFFFFFFFFFFFFFFF", """
            ERROR: <input>:1:1: invalid int literal
             | 0xFFFFFFFFFFFFFFFFF
             | ^
            """),
        ("1.99e90000009", """
            ERROR: <input>:1:1: invalid double literal
             | 1.99e90000009
             | ^
            """),
        ("has(m)", """
            ERROR: <input>:1:5: invalid argument to has() macro
             | has(m)
             | ....^
            """),
        ("1.all(2, 3)", """
            ERROR: <input>:1:7: argument must be a simple name
             | 1.all(2, 3)
             | ......^
            """),
        ("while", """
            ERROR: <input>:1:1: reserved identifier: while
             | while
             | ^
            """),
        ("foo()", """
            ERROR: <input>:1:4: undeclared reference to 'foo' (in container '')
             | foo()
             | ...^
            """),
        ("", """
            ERROR: <input>:1:0: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
            """),
    ])
    func matchesCelGoWordAndPlaceFor(source: String, expected: String) {
        #expect(compileError(source) == expected)
    }

    /// ANTLR's single-token recovery: what it deletes, inserts, or cannot fix.
    @Test(arguments: [
        ("a b", "ERROR: <input>:1:3: Syntax error: extraneous input 'b' expecting <EOF>"),
        ("a b c", "ERROR: <input>:1:3: Syntax error: mismatched input 'b' expecting <EOF>"),
        ("(a", "ERROR: <input>:1:3: Syntax error: missing ')' at '<EOF>'"),
        ("size(self", "ERROR: <input>:1:10: Syntax error: missing ')' at '<EOF>'"),
        ("((a)", "ERROR: <input>:1:5: Syntax error: missing ')' at '<EOF>'"),
        ("a ? b", "ERROR: <input>:1:6: Syntax error: mismatched input '<EOF>' expecting ':'"),
        ("a ? b c", "ERROR: <input>:1:7: Syntax error: missing ':' at 'c'"),
        ("f(a b)", "ERROR: <input>:1:5: Syntax error: extraneous input 'b' expecting ')'"),
        ("1 + * 2", "ERROR: <input>:1:5: Syntax error: extraneous input '*' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"),
        ("self.", "ERROR: <input>:1:6: Syntax error: no viable alternative at input '.'"),
        ("a.true", "ERROR: <input>:1:3: Syntax error: mismatched input 'true' expecting IDENTIFIER"),
        ("[1 2]", "ERROR: <input>:1:4: Syntax error: extraneous input '2' expecting {']', ','}"),
        ("f(", "ERROR: <input>:1:3: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', ')', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"),
        ("a =b", "ERROR: <input>:1:3: Syntax error: token recognition error at: '=b'"),
        ("'abc", "ERROR: <input>:1:1: Syntax error: token recognition error at: ''abc'"),
    ])
    func firstSyntaxErrorFollowsANTLRRecoveryFor(source: String, expectedFirstLine: String) {
        let error = compileError(source) ?? ""
        #expect(error.split(separator: "\n").first.map(String.init) == expectedFirstLine)
    }

    @Test func theCaretCountsCodePointsAndUsesFullWidthMarksForNonASCII() {
        #expect(compileError("'é😀' + x") == """
            ERROR: <input>:1:8: undeclared reference to 'x' (in container '')
             | 'é😀' + x
             | .．．....^
            """)
        #expect(compileError("x\t+ 1") == """
            ERROR: <input>:1:1: undeclared reference to 'x' (in container '')
             | x + 1
             | ^
            """)
        #expect(compileError("1 + é") == """
            ERROR: <input>:1:5: Syntax error: token recognition error at: 'é'
             | 1 + é
             | ....＾
            ERROR: <input>:1:6: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
             | 1 + é
             | ....．^
            """)
    }

    @Test func severalCheckErrorsAreAllReportedInSourceOrder() {
        #expect(compileError("y + self.b + x", .schema(Self.schemaWithA, isRoot: false)) == """
            ERROR: <input>:1:1: undeclared reference to 'y' (in container '')
             | y + self.b + x
             | ^
            ERROR: <input>:1:9: undefined field 'b'
             | y + self.b + x
             | ........^
            ERROR: <input>:1:14: undeclared reference to 'x' (in container '')
             | y + self.b + x
             | .............^
            """)
    }

    @Test func errorsOnLaterLinesShowThatLine() {
        #expect(compileError("self.a > 0 &&\n  self.c", .schema(Self.schemaWithA, isRoot: false)) == """
            ERROR: <input>:2:7: undefined field 'c'
             |   self.c
             | ......^
            """)
    }
}
