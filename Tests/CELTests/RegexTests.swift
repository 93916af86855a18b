import CEL
import JSONValue
import Testing

/// `matches()` follows Go's RE2: unanchored search, ASCII `\d`/`\w`/`\s`,
/// `$` only at the very end, code points rather than grapheme clusters, and
/// Go's rejections of Perl-only syntax.
@Suite struct RegexTests {
    static func matches(_ text: String, _ pattern: String) -> Outcome {
        outcome("self.t.matches(self.p)", self: ["t": .string(text), "p": .string(pattern)])
    }

    @Test(arguments: [
        ("abc", "b", true),
        ("abc", "^b", false),
        ("abc", "^abc$", true),
        ("abc\n", "^abc$", false),
        ("a\nb", "a.b", false),
        ("a\nb", "(?s)a.b", true),
        ("ABC", "(?i)abc", true),
        ("ABC", "(?i:a)BC", true),
        ("٣", "\\d", false),
        ("3", "\\d", true),
        ("é", "^\\w$", false),
        ("é", "^.$", true),
        ("e\u{301}", "^.$", false),
        ("e\u{301}", "^..$", true),
        ("\u{0B}", "\\s", false),
        ("\t", "\\s", true),
        ("a-b", "^[a-z]([-a-z0-9]*[a-z0-9])?$", true),
        ("a-", "^[a-z]([-a-z0-9]*[a-z0-9])?$", false),
        ("x{2}", "x{2}", false),
        ("xx", "^x{2}$", true),
        ("a{,2}", "a{,2}", true),
        ("a.b", "a\\.b", true),
        ("axb", "a\\.b", false),
        ("A", "\\x41", true),
        ("A", "\\x{41}", true),
        ("A", "\\101", true),
        ("ab", "a\\Q.\\Eb", false),
        ("a.b", "a\\Q.\\Eb", true),
        ("wordboundary", "\\bbound", false),
        ("word boundary", "\\bword\\b", true),
        ("Δ", "\\p{Greek}", true),
        ("x", "[[:alpha:]]", true),
        ("1", "[[:^alpha:]]", true),
        ("b", "[^a]", true),
        ("]", "[]a]", true),
        ("key", "(?P<name>k)ey", true),
        ("aaa", "a+?", true),
        ("", "", true),
    ])
    func searchesLikeGo(text: String, pattern: String, expected: Bool) {
        #expect(Self.matches(text, pattern) == .value(.bool(expected)), "\(pattern) on \(text)")
    }

    @Test(arguments: [
        ("a(", "missing closing ): `a(`"),
        ("a)", "unexpected ): `a)`"),
        ("[a", "missing closing ]: `[a`"),
        ("a**", "invalid nested repetition operator: `**`"),
        ("*a", "missing argument to repetition operator: `*`"),
        ("a{1001}", "invalid repeat count: `{1001}`"),
        ("[z-a]", "invalid character class range: `z-a`"),
        ("(?=a)", "invalid or unsupported Perl syntax: `(?=`"),
        ("a\\1", "invalid escape sequence: `\\1`"),
        ("\\q", "invalid escape sequence: `\\q`"),
        ("[[:nope:]]", "invalid character class range: `[:nope:]`"),
    ])
    func rejectsWhatGoRejects(pattern: String, reason: String) {
        #expect(Self.matches("a", pattern) == .evalError("error parsing regexp: \(reason)"))
    }

    @Test func validRE2SwiftCannotMirrorIsReportedAsUnsupported() {
        guard case .evalError(let message) = Self.matches("a", "(?m)^a$") else {
            Issue.record("matched")
            return
        }
        #expect(message.hasPrefix("unsupported in this test API server's CEL subset: regular expression feature"))
    }
}
