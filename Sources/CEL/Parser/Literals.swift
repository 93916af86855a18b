/// Literal conversions the parser applies to NUM_* and STRING tokens, with
/// cel-go's messages (`parser/parser.go` VisitInt/VisitDouble, `parser/unescape.go`).
enum Literals {
    /// NUM_INT text (decimal or `0x` hex), with the sign of a negative literal.
    static func int(_ text: String, negative: Bool) -> Int64? {
        var digits = Substring(text)
        var radix = 10
        if digits.hasPrefix("0x") {
            digits = digits.dropFirst(2)
            radix = 16
        }
        // Int64(_:radix:) accepts a sign; the lexer never produces one here.
        return Int64((negative ? "-" : "") + digits, radix: radix)
    }

    /// NUM_UINT text without its `u`/`U` suffix.
    static func uint(_ text: String) -> UInt64? {
        var digits = Substring(text.dropLast())
        var radix = 10
        if digits.hasPrefix("0x") {
            digits = digits.dropFirst(2)
            radix = 16
        }
        return UInt64(digits, radix: radix)
    }

    /// NUM_FLOAT text; nil where Go's `strconv.ParseFloat` reports a range error (overflow).
    static func double(_ text: String, negative: Bool) -> Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return negative ? -value : value
    }

    /// The value of a STRING token (or of a BYTES token without its `b`),
    /// following cel-go's `unescape`: CRLF and CR become LF, raw literals keep
    /// backslashes, `\xHH` and octal escapes are code points, and an escape
    /// above U+10FFFF is an error. Surrogates become U+FFFD, as Go's
    /// `utf8.EncodeRune` writes them.
    static func unescape(_ token: String) -> String? {
        var scalars = Array(token.unicodeScalars)
        // newlineNormalizer
        var normalized: [Unicode.Scalar] = []
        normalized.reserveCapacity(scalars.count)
        var k = 0
        while k < scalars.count {
            if scalars[k] == "\r" {
                normalized.append("\n")
                if k + 1 < scalars.count, scalars[k + 1] == "\n" { k += 1 }
            } else {
                normalized.append(scalars[k])
            }
            k += 1
        }
        scalars = normalized
        var raw = false
        if let first = scalars.first, first == "r" || first == "R" {
            raw = true
            scalars.removeFirst()
        }
        guard scalars.count >= 2, let quote = scalars.first, quote == "\"" || quote == "'",
            scalars.last == quote
        else { return nil }
        let triple = scalars.count >= 6 && scalars[1] == quote && scalars[2] == quote
        let body = triple ? scalars[3..<(scalars.count - 3)] : scalars[1..<(scalars.count - 1)]
        var out = String.UnicodeScalarView()
        if raw {
            out.append(contentsOf: body)
            return String(out)
        }
        var i = body.startIndex
        func hex(_ count: Int) -> UInt32? {
            guard body.endIndex - i >= count else { return nil }
            var v: UInt32 = 0
            for j in i..<(i + count) {
                guard let d = Int(String(body[j]), radix: 16) else { return nil }
                v = v << 4 | UInt32(d)
            }
            i += count
            return v
        }
        while i < body.endIndex {
            let c = body[i]
            i += 1
            guard c == "\\" else {
                out.append(c)
                continue
            }
            guard i < body.endIndex else { return nil }
            let e = body[i]
            i += 1
            var code: UInt32
            switch e {
            case "a": code = 0x07
            case "b": code = 0x08
            case "f": code = 0x0C
            case "n": code = 0x0A
            case "r": code = 0x0D
            case "t": code = 0x09
            case "v": code = 0x0B
            case "\\", "'", "\"", "`", "?": code = e.value
            case "x", "X":
                guard let v = hex(2) else { return nil }
                code = v
            case "u":
                guard let v = hex(4) else { return nil }
                code = v
            case "U":
                guard let v = hex(8) else { return nil }
                code = v
            case "0", "1", "2", "3":
                guard body.endIndex - i >= 2 else { return nil }
                code = e.value - 0x30
                for _ in 0..<2 {
                    let d = body[i].value
                    guard d >= 0x30, d <= 0x37 else { return nil }
                    code = code * 8 + (d - 0x30)
                    i += 1
                }
            default:
                return nil
            }
            guard code <= 0x10FFFF else { return nil }
            out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
        }
        return String(out)
    }
}
