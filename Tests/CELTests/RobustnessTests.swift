import CEL
import JSONValue
import LargeStack
import Testing

/// Hostile input ends in an error, never in a crash or a hang.
@Suite struct RobustnessTests {
    @Test func deepParenthesesHitCelGosRecursionLimit() {
        let fine = String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200) + " == 1"
        #expect(outcome(fine) == .value(.bool(true)))
        let deep = String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300)
        #expect(compileError(deep) == "ERROR: <input>:-1:0: expression recursion limit exceeded: 250")
        let unbalanced = String(repeating: "[", count: 100_000)
        #expect(compileError(unbalanced) == "ERROR: <input>:-1:0: expression recursion limit exceeded: 250")
    }

    @Test func longOperatorChainsHitTheLimitOnlyWhenCelGoDoes() {
        let sum = (0..<240).map { _ in "1" }.joined(separator: " + ")
        #expect(outcome(sum) == .value(.int(240)))
        let selects = "self" + String(repeating: ".a", count: 240)
        #expect(compileError(selects)?.contains("recursion limit") != true)
        let longer = (0..<300).map { _ in "1" }.joined(separator: " + ")
        #expect(compileError(longer) == "ERROR: <input>:-1:0: expression recursion limit exceeded: 250")
        let conjunction = (0..<5000).map { _ in "true" }.joined(separator: " && ")
        #expect(outcome(conjunction) == .value(.bool(true)))
    }

    @Test func unaryRunsDoNotNest() {
        #expect(outcome(String(repeating: "!", count: 10_001) + "true") == .value(.bool(false)))
        #expect(outcome(String(repeating: "-", count: 10_000) + "5") == .value(.int(5)))
    }

    @Test func chainsNestedInsideParenthesesStopAtOurTreeDepthLimit() {
        let level = "self" + String(repeating: ".a", count: 200)
        var source = level
        for _ in 0..<10 { source = "(\(source))" + String(repeating: ".a", count: 200) }
        #expect(compileError(source)
            == "ERROR: <input>:-1:0: expression nesting exceeds 1000 levels, the limit of this test API server's CEL subset")
    }

    @Test func theDeepestTreeAllowedChecksAndEvaluates() {
        var source = "self" + String(repeating: ".a", count: 240)
        for _ in 0..<3 { source = "(\(source))" + String(repeating: ".a", count: 240) }
        source = "has(\(source)) || [\(source)] == []"
        #expect(outcome(source, self: [:]) == .evalError("no such key: a"))
        var comprehension = "true"
        for i in 0..<120 { comprehension = "[\(i)].all(x\(i), \(comprehension))" }
        #expect(outcome(comprehension) == .value(.bool(true)))
    }

    /// Checking and evaluating recurse per level; a caller on a small stack (an event loop, a
    /// thread made with 256 KiB) still gets the result, not a crash.
    @Test func theDeepestTreeIsSafeOnASmallStack() {
        var source = "self" + String(repeating: ".a", count: 240)
        for _ in 0..<3 { source = "(\(source))" + String(repeating: ".a", count: 240) }
        source = "has(\(source)) || [\(source)] == []"
        let deep = String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300)
        // The deepest work each step does on the caller's stack before handing over.
        let shallowTree = "has(self" + String(repeating: ".a", count: 22) + ")"
        let shallowNesting = String(repeating: "(", count: 11) + "1" + String(repeating: ")", count: 11) + " == 1"
        let results = LargeStack.run(stackBytes: 256 << 10) {
            [outcome(source, self: [:]), outcome(shallowTree, self: [:]), outcome(shallowNesting)]
        }
        let error = LargeStack.run(stackBytes: 256 << 10) { compileError(deep) }
        #expect(results == [.evalError("no such key: a"), .evalError("no such key: a"), .value(.bool(true))])
        #expect(error == "ERROR: <input>:-1:0: expression recursion limit exceeded: 250")
    }

    @Test func inputsOverCelGosSizeLimitAreRejectedUnread() {
        let huge = "'" + String(repeating: "a", count: 100_000) + "'"
        #expect(compileError(huge) == "ERROR: <input>:-1:0: expression code point size exceeds limit: size: 100002, limit 100000")
        let large = "'" + String(repeating: "a", count: 99_000) + "' != ''"
        #expect(outcome(large) == .value(.bool(true)))
    }

    @Test(arguments: [
        "'unterminated", "\"unterminated", "'''never closed", "r'raw", "b'bytes", "'line\nbreak'", "'\\",
        "'\\u12'", "'\\400'", "\u{0}", "1 + \u{FFFD}", "\u{202E}x", "`id`", "'\u{D7FF}\u{E000}' ==", "#", "@a",
        "a.b.", "a[", "a[1", "{1:", "{1: 2", "[1,", "f(1,", "has(", "x ? :", "1 ? 2 : ", ".", "..a", "a..b",
        "\"\"\"", "''''", "r'''x", "0x", "1e", "1.", ".5.5", "1u1", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616u", "1e309", "'\\U0011FFFF'",
    ])
    func malformedInputIsACompileError(source: String) {
        #expect(compileError(source) != nil, "\(source)")
    }

    @Test func oddButValidTextEvaluates() {
        #expect(outcome("'\\uD800' == '\\uFFFD'") == .value(.bool(true)))
        #expect(outcome("'\u{0}\u{FFFD}\u{1F600}'.size()") == .value(.int(3)))
        #expect(outcome("size('e\u{301}') == 2 && 'e\u{301}' != '\u{E9}'") == .value(.bool(true)))
        #expect(outcome("[,] == [] && {,}.size() == 0") == .value(.bool(true)))
        #expect(outcome("1 // a comment\n + 1") == .value(.int(2)))
        #expect(outcome("'''a\r\nb''' == 'a\\nb'") == .value(.bool(true)))
    }

    @Test func bigDataIsFine() {
        let items = JSON.array((0..<20_000).map { .int(Int64($0)) })
        #expect(outcome("self.all(x, x >= 0) && self.exists_one(x, x == 19999) && size(self) == 20000", self: items)
            == .value(.bool(true)))
    }
}
