/// A lexer for cel-go's `parser/gen/CEL.g4` lexer rules.
///
/// It reproduces what the ANTLR-generated lexer does on bad input: the
/// longest token wins, a failed match falls back to the last complete token
/// (so `r'abc` is the identifier `r` and then an unterminated string), and an
/// unrecognised input reports `token recognition error at: '<text>'` where the
/// text runs from the token start through the character that failed, which is
/// then skipped (ANTLR `BaseLexer.Recover`).
struct Lexer {
    struct Failure: Sendable {
        let offset: Int
        let text: String
    }

    private let source: SourceText
    private var s: [Unicode.Scalar] { source.scalars }

    init(_ source: SourceText) {
        self.source = source
    }

    /// All significant tokens (whitespace and comments dropped) ending with
    /// `.eof`, and the lexer errors in source order.
    func tokenize() -> (tokens: [Token], failures: [Failure]) {
        var tokens: [Token] = []
        var failures: [Failure] = []
        var i = 0
        let n = s.count
        while i < n {
            let c = s[i]
            if Self.isWhitespace(c) {
                i += 1
                continue
            }
            if c == "/", i + 1 < n, s[i + 1] == "/" {
                while i < n, s[i] != "\n" { i += 1 }
                continue
            }
            switch scan(at: i) {
            case .token(let kind, let end):
                tokens.append(Token(kind: kind, start: i, end: end, text: source.slice(i, end)))
                i = end
            case .failure(let failIndex):
                let textEnd = min(failIndex + 1, n)
                failures.append(Failure(offset: i, text: source.slice(i, textEnd)))
                i = textEnd
            }
        }
        tokens.append(Token(kind: .eof, start: n, end: n, text: "<EOF>"))
        return (tokens, failures)
    }

    private enum Scan {
        case token(TokenKind, end: Int)
        /// The index of the code point that could not continue any token.
        case failure(at: Int)
    }

    private func at(_ i: Int) -> Unicode.Scalar? { i < s.count ? s[i] : nil }

    private func scan(at i: Int) -> Scan {
        let c = s[i]
        let next = at(i + 1)
        switch c {
        case "=": return next == "=" ? .token(.equals, end: i + 2) : .failure(at: i + 1)
        case "!": return next == "=" ? .token(.notEquals, end: i + 2) : .token(.exclamation, end: i + 1)
        case "<": return next == "=" ? .token(.lessEquals, end: i + 2) : .token(.less, end: i + 1)
        case ">": return next == "=" ? .token(.greaterEquals, end: i + 2) : .token(.greater, end: i + 1)
        case "&": return next == "&" ? .token(.logicalAnd, end: i + 2) : .failure(at: i + 1)
        case "|": return next == "|" ? .token(.logicalOr, end: i + 2) : .failure(at: i + 1)
        case "[": return .token(.leftBracket, end: i + 1)
        case "]": return .token(.rightBracket, end: i + 1)
        case "{": return .token(.leftBrace, end: i + 1)
        case "}": return .token(.rightBrace, end: i + 1)
        case "(": return .token(.leftParen, end: i + 1)
        case ")": return .token(.rightParen, end: i + 1)
        case ",": return .token(.comma, end: i + 1)
        case "-": return .token(.minus, end: i + 1)
        case "?": return .token(.question, end: i + 1)
        case ":": return .token(.colon, end: i + 1)
        case "+": return .token(.plus, end: i + 1)
        case "*": return .token(.star, end: i + 1)
        case "/": return .token(.slash, end: i + 1)
        case "%": return .token(.percent, end: i + 1)
        case ".":
            if let d = next, Self.isDigit(d) { return number(at: i) }
            return .token(.dot, end: i + 1)
        case "\"", "'":
            return string(at: i, quoteAt: i, raw: false, kind: .string, fallback: nil)
        default:
            if Self.isDigit(c) { return number(at: i) }
            if Self.isLetter(c) || c == "_" { return identifierOrPrefixedString(at: i) }
            return .failure(at: i)
        }
    }

    private func identifierOrPrefixedString(at i: Int) -> Scan {
        var end = i + 1
        while let c = at(end), Self.isLetter(c) || Self.isDigit(c) || c == "_" { end += 1 }
        let identifier = identifierToken(i, end)
        // STRING : RAW quote ... ; BYTES : ('b'|'B') STRING
        let c0 = s[i]
        let c1 = at(i + 1)
        if c0 == "r" || c0 == "R", let q = c1, q == "\"" || q == "'" {
            return string(at: i, quoteAt: i + 1, raw: true, kind: .string, fallback: identifier)
        }
        if c0 == "b" || c0 == "B" {
            if let q = c1, q == "\"" || q == "'" {
                return string(at: i, quoteAt: i + 1, raw: false, kind: .bytes, fallback: identifier)
            }
            if let r = c1, r == "r" || r == "R", let q = at(i + 2), q == "\"" || q == "'" {
                // The last complete token before the quote is the identifier `br`.
                return string(at: i, quoteAt: i + 2, raw: true, kind: .bytes, fallback: identifierToken(i, i + 2))
            }
        }
        return identifier
    }

    private func identifierToken(_ start: Int, _ end: Int) -> Scan {
        switch source.slice(start, end) {
        case "true": return .token(.trueKeyword, end: end)
        case "false": return .token(.falseKeyword, end: end)
        case "null": return .token(.nullKeyword, end: end)
        case "in": return .token(.inKeyword, end: end)
        default: return .token(.identifier, end: end)
        }
    }

    /// NUM_FLOAT, NUM_INT and NUM_UINT, longest match first.
    private func number(at i: Int) -> Scan {
        if s[i] == "0", at(i + 1) == "x", let h = at(i + 2), Self.isHexDigit(h) {
            var end = i + 3
            while let c = at(end), Self.isHexDigit(c) { end += 1 }
            if let u = at(end), u == "u" || u == "U" { return .token(.numUint, end: end + 1) }
            return .token(.numInt, end: end)
        }
        var end = i
        var isFloat = false
        if s[i] == "." {
            end = i + 1
            while let c = at(end), Self.isDigit(c) { end += 1 }
            isFloat = true
        } else {
            while let c = at(end), Self.isDigit(c) { end += 1 }
            if at(end) == ".", let d = at(end + 1), Self.isDigit(d) {
                end += 2
                while let c = at(end), Self.isDigit(c) { end += 1 }
                isFloat = true
            }
        }
        if let e = at(end), e == "e" || e == "E" {
            var j = end + 1
            if let sign = at(j), sign == "+" || sign == "-" { j += 1 }
            if let d = at(j), Self.isDigit(d) {
                while let c = at(j), Self.isDigit(c) { j += 1 }
                return .token(.numFloat, end: j)
            }
        }
        if isFloat { return .token(.numFloat, end: end) }
        if let u = at(end), u == "u" || u == "U" { return .token(.numUint, end: end + 1) }
        return .token(.numInt, end: end)
    }

    /// A quoted literal whose first quote is at `quoteAt`. `fallback` is the
    /// last complete token before the quote (the identifier prefix), used
    /// when the literal does not end.
    private func string(at start: Int, quoteAt: Int, raw: Bool, kind: TokenKind, fallback: Scan?) -> Scan {
        let q = s[quoteAt]
        var fallback = fallback
        if at(quoteAt + 1) == q {
            if at(quoteAt + 2) != q { return .token(kind, end: quoteAt + 2) }  // empty literal
            // `""` is itself a complete token; a triple-quoted literal that never
            // closes falls back to it.
            fallback = .token(kind, end: quoteAt + 2)
            var j = quoteAt + 3
            while j < s.count {
                if s[j] == q, at(j + 1) == q, at(j + 2) == q { return .token(kind, end: j + 3) }
                if !raw, s[j] == "\\" {
                    switch escapeEnd(at: j) {
                    case .success(let end): j = end
                    case .failure(let failure): return fallback ?? .failure(at: failure.index)
                    }
                    continue
                }
                j += 1
            }
            return fallback ?? .failure(at: j)
        }
        var j = quoteAt + 1
        while j < s.count {
            let c = s[j]
            if c == q { return .token(kind, end: j + 1) }
            if c == "\n" || c == "\r" { return fallback ?? .failure(at: j) }
            if !raw, c == "\\" {
                switch escapeEnd(at: j) {
                case .success(let end): j = end
                case .failure(let failure): return fallback ?? .failure(at: failure.index)
                }
                continue
            }
            j += 1
        }
        return fallback ?? .failure(at: j)
    }

    struct EscapeFailure: Error { let index: Int }

    /// ESC_SEQ starting at the backslash at `i`: the index after it, or the
    /// index of the first code point that cannot continue it.
    private func escapeEnd(at i: Int) -> Result<Int, EscapeFailure> {
        guard let c = at(i + 1) else { return .failure(EscapeFailure(index: i + 1)) }
        func digits(_ count: Int, from: Int, _ valid: (Unicode.Scalar) -> Bool) -> Result<Int, EscapeFailure> {
            for k in 0..<count {
                guard let d = at(from + k), valid(d) else { return .failure(EscapeFailure(index: from + k)) }
            }
            return .success(from + count)
        }
        switch c {
        case "a", "b", "f", "n", "r", "t", "v", "\"", "'", "\\", "?", "`":
            return .success(i + 2)
        case "0", "1", "2", "3":
            return digits(2, from: i + 2) { $0.value >= 0x30 && $0.value <= 0x37 }
        case "x", "X":
            return digits(2, from: i + 2, Self.isHexDigit)
        case "u":
            return digits(4, from: i + 2, Self.isHexDigit)
        case "U":
            return digits(8, from: i + 2, Self.isHexDigit)
        default:
            return .failure(EscapeFailure(index: i + 1))
        }
    }

    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\r" || c == "\n" || c == "\u{0C}"
    }
    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A)
    }
    static func isHexDigit(_ c: Unicode.Scalar) -> Bool {
        isDigit(c) || (c.value >= 0x41 && c.value <= 0x46) || (c.value >= 0x61 && c.value <= 0x66)
    }
}
