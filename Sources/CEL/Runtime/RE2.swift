/// `matches()` patterns: cel-go compiles them with Go's `regexp` (RE2 syntax)
/// and searches unanchored (`regexp.MatchString`). This reads RE2 syntax,
/// rejects what Go rejects with Go's error text (`regexp/syntax` error codes),
/// and writes an equivalent Swift Regex: `\d`, `\s`, `\w` and POSIX classes
/// stay ASCII, `.` excludes only `\n`, `^`/`$` anchor the whole text, and
/// matching runs on code points rather than grapheme clusters. The RE2
/// features Swift Regex cannot express the same way (`(?m)`, `(?U)`, a
/// repeated anchor) are reported as unsupported.
struct RE2Pattern: Sendable {
    enum Failure: Error, Equatable {
        /// Go's `regexp/syntax` error, e.g. "missing closing ): `(a`".
        case invalid(String)
        /// Valid RE2 this translation does not cover.
        case unsupported(String)
    }

    let pattern: String
    /// The Swift Regex source. Capture groups are written as non-capturing
    /// ones (matching needs no captures), so it compiles as `Regex<Substring>`.
    let swiftPattern: String

    /// The largest `{n,m}` count RE2 accepts.
    static let maxRepeat = 1000

    init(_ pattern: String) throws(Failure) {
        self.pattern = pattern
        var translator = Translator(Array(pattern.unicodeScalars))
        swiftPattern = try translator.translate()
        if Self.compile(swiftPattern) == nil {
            throw .unsupported("regular expression '\(pattern)' (not expressible as a Swift Regex)")
        }
    }

    /// A `Regex` is not `Sendable` (it compiles its program lazily), so
    /// programs keep the source and each evaluation compiles its own.
    static func compile(_ swiftPattern: String) -> Regex<Substring>? {
        guard let regex = try? Regex(swiftPattern, as: Substring.self) else { return nil }
        return regex.matchingSemantics(.unicodeScalar).asciiOnlyWordCharacters().wordBoundaryKind(.simple)
    }
}

private struct Translator {
    private let s: [Unicode.Scalar]
    private var i = 0
    private var out = ""
    /// `(?s)` state per group: RE2's `.` matches `\n` only with it.
    private var dotAll = false
    private var groups: [(dotAll: Bool, start: Int)] = []
    private var groupNames: Set<String> = []
    /// Whether the last item can take a repetition, and whether it already has one.
    private var lastAtom: (start: Int, repeatable: Bool)? = nil
    private var lastWasRepeat = false
    private var lastRepeatText = ""

    init(_ scalars: [Unicode.Scalar]) {
        s = scalars
    }

    private func text(_ from: Int, _ to: Int) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s[max(0, from)..<min(to, s.count)])
        return String(v)
    }

    private func invalid(_ code: String, _ expr: String) -> RE2Pattern.Failure {
        .invalid("\(code): `\(expr)`")
    }

    private func unsupported(_ what: String) -> RE2Pattern.Failure {
        .unsupported("regular expression feature \(what)")
    }

    mutating func translate() throws(RE2Pattern.Failure) -> String {
        while i < s.count {
            let c = s[i]
            switch c {
            case "(":
                try openGroup()
            case ")":
                guard let group = groups.popLast() else { throw invalid("unexpected )", text(0, s.count)) }
                dotAll = group.dotAll
                out += ")"
                i += 1
                lastAtom = (group.start, true)
                lastWasRepeat = false
            case "|":
                out += "|"
                i += 1
                lastAtom = nil
                lastWasRepeat = false
            case "*", "+", "?":
                try repetition(String(c), length: 1)
            case "{":
                if let (text, length) = repeatCount() {
                    try repetition(text, length: length)
                } else {
                    atom(literal("{"))
                    i += 1
                }
            case "^":
                atom("\\A", repeatable: false)
                i += 1
            case "$":
                atom("\\z", repeatable: false)
                i += 1
            case ".":
                atom(dotAll ? "[\\x{0}-\\x{10FFFF}]" : "[^\\n]")
                i += 1
            case "[":
                let start = i
                let cls = try characterClass()
                atom(cls, from: start)
            case "\\":
                let start = i
                let item = try escape()
                atom(item.text, repeatable: item.repeatable, from: start)
            default:
                atom(literal(c))
                i += 1
            }
        }
        if !groups.isEmpty { throw invalid("missing closing )", text(0, s.count)) }
        return out
    }

    private mutating func atom(_ text: String, repeatable: Bool = true, from start: Int? = nil) {
        lastAtom = (start ?? i, repeatable)
        lastWasRepeat = false
        out += text
    }

    private func literal(_ c: Unicode.Scalar) -> String {
        let v = c.value
        if (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) { return String(c) }
        return "\\x{\(String(v, radix: 16))}"
    }

    /// `{n}`, `{n,}`, `{n,m}` at `i`, or nil when the brace is a literal.
    private func repeatCount() -> (String, Int)? {
        var j = i + 1
        func number() -> Int? {
            let start = j
            while j < s.count, s[j].value >= 0x30, s[j].value <= 0x39 { j += 1 }
            guard j > start, j - start < 9 else { return j > start ? Int.max : nil }
            return Int(text(start, j))
        }
        guard let low = number() else { return nil }
        var high: Int? = low
        if j < s.count, s[j] == "," {
            j += 1
            high = j < s.count && s[j] == "}" ? nil : number()
            if high == nil, j < s.count, s[j] != "}" { return nil }
        }
        guard j < s.count, s[j] == "}" else { return nil }
        let body = text(i, j + 1)
        if low > RE2Pattern.maxRepeat || (high ?? low) > RE2Pattern.maxRepeat || (high.map { $0 < low } ?? false) {
            return ("!" + body, j + 1 - i)
        }
        return (body, j + 1 - i)
    }

    private mutating func repetition(_ op: String, length: Int) throws(RE2Pattern.Failure) {
        var op = op
        var length = length
        if op.hasPrefix("!") {
            throw invalid("invalid repeat count", String(op.dropFirst()))
        }
        let opStart = i
        if i + length < s.count, s[i + length] == "?" {
            op += "?"
            length += 1
        }
        if lastWasRepeat {
            throw invalid("invalid nested repetition operator", lastRepeatText + text(opStart, opStart + length))
        }
        guard let last = lastAtom else {
            throw invalid("missing argument to repetition operator", text(opStart, opStart + length))
        }
        if !last.repeatable { throw unsupported("'\(text(opStart, opStart + length))' after an anchor") }
        out += op
        i += length
        lastWasRepeat = true
        lastRepeatText = text(opStart, opStart + length)
    }

    private mutating func openGroup() throws(RE2Pattern.Failure) {
        let start = i
        guard i + 1 < s.count, s[i + 1] == "?" else {
            groups.append((dotAll, start))
            out += "(?:"
            i += 1
            lastAtom = nil
            lastWasRepeat = false
            return
        }
        // (?P<name>re), (?<name>re)
        var j = i + 2
        if j < s.count, s[j] == "P" { j += 1 }
        if j < s.count, s[j] == "<" {
            let nameStart = j + 1
            var k = nameStart
            while k < s.count, s[k] != ">" { k += 1 }
            guard k < s.count else { throw invalid("invalid named capture", text(start, s.count)) }
            let name = text(nameStart, k)
            let valid = !name.isEmpty && name.unicodeScalars.allSatisfy {
                ($0.value >= 0x30 && $0.value <= 0x39) || ($0.value >= 0x41 && $0.value <= 0x5A)
                    || ($0.value >= 0x61 && $0.value <= 0x7A) || $0 == "_"
            }
            guard valid else { throw invalid("invalid named capture", text(start, k + 1)) }
            guard groupNames.insert(name).inserted else {
                throw invalid("duplicate capture group name", text(start, k + 1))
            }
            groups.append((dotAll, start))
            out += "(?:"
            i = k + 1
            lastAtom = nil
            lastWasRepeat = false
            return
        }
        // (?flags) and (?flags:re)
        j = i + 2
        var swiftFlags = ""
        var negated = false
        var sawFlag = false
        var newDotAll = dotAll
        while j < s.count {
            let c = s[j]
            switch c {
            case "i":
                swiftFlags += "i"
                sawFlag = true
            case "s":
                newDotAll = !negated
                sawFlag = true
            case "m", "U":
                throw unsupported("'(?\(c)' flag")
            case "-":
                guard !negated else { throw invalid("invalid or unsupported Perl syntax", text(start, j + 1)) }
                negated = true
                swiftFlags += "-"
                sawFlag = false
            case ")", ":":
                if negated && !sawFlag {
                    throw invalid("invalid or unsupported Perl syntax", text(start, j + 1))
                }
                let swiftGroupFlags = swiftFlags.hasSuffix("-") ? String(swiftFlags.dropLast()) : swiftFlags
                if c == ")" {
                    if !swiftGroupFlags.isEmpty { out += "(?\(swiftGroupFlags))" }
                    dotAll = newDotAll
                    i = j + 1
                    return
                }
                groups.append((dotAll, start))
                dotAll = newDotAll
                out += swiftGroupFlags.isEmpty ? "(?:" : "(?\(swiftGroupFlags):"
                i = j + 1
                lastAtom = nil
                lastWasRepeat = false
                return
            default:
                throw invalid("invalid or unsupported Perl syntax", text(start, j + 1))
            }
            j += 1
        }
        throw invalid("missing closing )", text(0, s.count))
    }

    private static let posixClasses: [String: String] = [
        "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x{0}-\\x{7f}", "blank": "\\x{9}\\x{20}",
        "cntrl": "\\x{0}-\\x{1f}\\x{7f}", "digit": "0-9", "graph": "\\x{21}-\\x{7e}", "lower": "a-z",
        "print": "\\x{20}-\\x{7e}", "punct": "\\x{21}-\\x{2f}\\x{3a}-\\x{40}\\x{5b}-\\x{60}\\x{7b}-\\x{7e}",
        "space": "\\x{9}-\\x{d}\\x{20}", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
    ]

    /// `\d`-style classes as Swift class bodies (RE2's ASCII definitions).
    private static func perlClass(_ c: Unicode.Scalar) -> (body: String, negated: Bool)? {
        switch c {
        case "d": return ("0-9", false)
        case "D": return ("0-9", true)
        case "s": return ("\\x{9}\\x{a}\\x{c}\\x{d}\\x{20}", false)
        case "S": return ("\\x{9}\\x{a}\\x{c}\\x{d}\\x{20}", true)
        case "w": return ("0-9A-Za-z_", false)
        case "W": return ("0-9A-Za-z_", true)
        default: return nil
        }
    }

    private mutating func characterClass() throws(RE2Pattern.Failure) -> String {
        let start = i
        i += 1
        var negated = false
        if i < s.count, s[i] == "^" {
            negated = true
            i += 1
        }
        var body = ""
        var first = true
        while i >= s.count || s[i] != "]" || first {
            guard i < s.count else { throw invalid("missing closing ]", text(start, s.count)) }
            first = false
            // [:alpha:] and [:^alpha:]
            if s[i] == "[", i + 1 < s.count, s[i + 1] == ":" {
                var k = i + 2
                while k + 1 < s.count, !(s[k] == ":" && s[k + 1] == "]") { k += 1 }
                if k + 1 < s.count {
                    var name = text(i + 2, k)
                    let negatedPosix = name.hasPrefix("^")
                    if negatedPosix { name.removeFirst() }
                    guard let ranges = Self.posixClasses[name] else {
                        throw invalid("invalid character class range", text(i, k + 2))
                    }
                    body += negatedPosix ? "[^\(ranges)]" : ranges
                    i = k + 2
                    continue
                }
            }
            if s[i] == "\\", i + 1 < s.count {
                if let perl = Self.perlClass(s[i + 1]) {
                    body += perl.negated ? "[^\(perl.body)]" : perl.body
                    i += 2
                    continue
                }
                if s[i + 1] == "p" || s[i + 1] == "P" {
                    body += try unicodeClass()
                    continue
                }
            }
            let rangeStart = i
            let low = try classCharacter(classStart: start)
            var high = low
            if i + 1 < s.count, s[i] == "-", s[i + 1] != "]" {
                i += 1
                high = try classCharacter(classStart: start)
                if high < low { throw invalid("invalid character class range", text(rangeStart, i)) }
            }
            body += low == high ? "\\x{\(String(low, radix: 16))}"
                : "\\x{\(String(low, radix: 16))}-\\x{\(String(high, radix: 16))}"
        }
        i += 1
        return "[" + (negated ? "^" : "") + (body.isEmpty ? "" : body) + "]"
    }

    private mutating func classCharacter(classStart: Int) throws(RE2Pattern.Failure) -> UInt32 {
        guard i < s.count else { throw invalid("missing closing ]", text(classStart, s.count)) }
        if s[i] == "\\" { return try escapedCharacter() }
        let v = s[i].value
        i += 1
        return v
    }

    /// `\p{Greek}`, `\pL`, `\P{...}`, `\p{^...}` at `i`.
    private mutating func unicodeClass() throws(RE2Pattern.Failure) -> String {
        let start = i
        let negated = s[i + 1] == "P"
        i += 2
        guard i < s.count else { throw invalid("invalid character class range", text(start, s.count)) }
        var name: String
        if s[i] == "{" {
            var k = i + 1
            while k < s.count, s[k] != "}" { k += 1 }
            guard k < s.count else { throw invalid("invalid character class range", text(start, s.count)) }
            name = text(i + 1, k)
            i = k + 1
        } else {
            name = String(s[i])
            i += 1
        }
        var isNegated = negated
        if name.hasPrefix("^") {
            isNegated.toggle()
            name.removeFirst()
        }
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0 == "_") })
        else { throw invalid("invalid character class range", text(start, i)) }
        if name == "Any" { return isNegated ? "[^\\x{0}-\\x{10FFFF}]" : "\\x{0}-\\x{10FFFF}" }
        return isNegated ? "\\P{\(name)}" : "\\p{\(name)}"
    }

    private struct Escaped {
        let text: String
        let repeatable: Bool
    }

    private mutating func escape() throws(RE2Pattern.Failure) -> Escaped {
        guard i + 1 < s.count else { throw invalid("trailing backslash at end of expression", "") }
        let c = s[i + 1]
        if let perl = Self.perlClass(c) {
            i += 2
            return Escaped(text: (perl.negated ? "[^" : "[") + perl.body + "]", repeatable: true)
        }
        switch c {
        case "p", "P":
            let cls = try unicodeClass()
            return Escaped(text: cls.hasPrefix("[") || cls.hasPrefix("\\") ? cls : "[\(cls)]", repeatable: true)
        case "b", "B":
            i += 2
            return Escaped(text: "\\\(c)", repeatable: false)
        case "A":
            i += 2
            return Escaped(text: "\\A", repeatable: false)
        case "z":
            i += 2
            return Escaped(text: "\\z", repeatable: false)
        case "Q":
            var k = i + 2
            var literal = ""
            while k < s.count {
                if s[k] == "\\", k + 1 < s.count, s[k + 1] == "E" { break }
                literal += self.literal(s[k])
                k += 1
            }
            i = k < s.count ? k + 2 : k
            // An empty \Q\E is nothing; a longer one repeats its last character only, as in RE2.
            return Escaped(text: literal.isEmpty ? "" : "(?:\(literal))", repeatable: !literal.isEmpty)
        default:
            let value = try escapedCharacter()
            return Escaped(text: "\\x{\(String(value, radix: 16))}", repeatable: true)
        }
    }

    /// A single-character escape (`\n`, `\x41`, `\x{263a}`, `\101`, `\.`) at `i`.
    private mutating func escapedCharacter() throws(RE2Pattern.Failure) -> UInt32 {
        let start = i
        guard i + 1 < s.count else { throw invalid("trailing backslash at end of expression", "") }
        let c = s[i + 1]
        i += 2
        func isOctal(_ k: Int) -> Bool { k < s.count && s[k].value >= 0x30 && s[k].value <= 0x37 }
        switch c {
        case "a": return 0x07
        case "f": return 0x0C
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "v": return 0x0B
        case "1", "2", "3", "4", "5", "6", "7", "0":
            if c != "0", !isOctal(i) { throw invalid("invalid escape sequence", text(start, i)) }
            var value = c.value - 0x30
            var digits = 1
            while digits < 3, isOctal(i) {
                value = value * 8 + (s[i].value - 0x30)
                i += 1
                digits += 1
            }
            return value
        case "x":
            guard i < s.count else { throw invalid("invalid escape sequence", text(start, i)) }
            if s[i] == "{" {
                var k = i + 1
                var value: UInt32 = 0
                while k < s.count, let d = Int(String(s[k]), radix: 16) {
                    value = value &* 16 &+ UInt32(d)
                    if value > 0x10FFFF { throw invalid("invalid escape sequence", text(start, k + 1)) }
                    k += 1
                }
                guard k < s.count, s[k] == "}", k > i + 1 else {
                    throw invalid("invalid escape sequence", text(start, min(k + 1, s.count)))
                }
                i = k + 1
                return value
            }
            guard i + 1 < s.count, let h = Int(String(s[i]), radix: 16), let l = Int(String(s[i + 1]), radix: 16) else {
                throw invalid("invalid escape sequence", text(start, min(i + 2, s.count)))
            }
            i += 2
            return UInt32(h * 16 + l)
        default:
            if c.isASCII, !(c.properties.isAlphabetic || (c.value >= 0x30 && c.value <= 0x39)) {
                return c.value
            }
            throw invalid("invalid escape sequence", text(start, i))
        }
    }
}
