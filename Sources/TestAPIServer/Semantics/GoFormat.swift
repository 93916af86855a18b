import JSONValue

/// How the Go API server prints decoded JSON values in error messages, so
/// our messages read as the real ones do. JSON decodes in Go to `int64`,
/// `float64`, `string`, `bool`, `nil`, `[]interface {}` and
/// `map[string]interface {}`.
enum GoFormat {
    /// The value in `field.Error.ErrorBody()`: numbers and booleans with
    /// `%v`, strings with `%q`, everything else with `%#v`; `nil` prints as
    /// the string `"null"`.
    static func display(_ value: JSON) -> String {
        switch value {
        case .null: return quoted("null")
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return float(d)
        case .string(let s): return quoted(s)
        case .array, .object: return goSyntax(value)
        }
    }

    /// `%#v`: `map[string]interface {}{"max":3, "min":9}` (keys sorted, as
    /// fmt prints maps), `[]interface {}{1, "a"}`, `interface {}(nil)`.
    static func goSyntax(_ value: JSON) -> String {
        switch value {
        case .null: return "interface {}(nil)"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return float(d)
        case .string(let s): return quoted(s)
        case .array(let items): return "[]interface {}{" + items.map(goSyntax).joined(separator: ", ") + "}"
        case .object(let object):
            let pairs = object.keys.sorted().map { key in quoted(key) + ":" + goSyntax(object[key] ?? .null) }
            return "map[string]interface {}{" + pairs.joined(separator: ", ") + "}"
        }
    }

    /// `strconv.Quote`: double quotes, `\"` and `\\`, the usual short escapes,
    /// `\x..` / `\u....` for other control characters.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{0B}": out += "\\v"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else if (0x80..<0xA0).contains(scalar.value) || scalar.value == 0xFFFD {
                    out += "\\u" + hex(scalar.value, width: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `%v` of a float64: the shortest representation that round-trips,
    /// exponent form (`1e+21`, `1e-07`) outside [1e-4, 1e21).
    static func float(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
        if d == d.rounded(), abs(d) < 1e21 { return String(Int64(d)) }
        let magnitude = abs(d)
        if magnitude >= 1e-4 && magnitude < 1e21 { return "\(d)" }
        // Swift prints 1e-07 as "1e-07"; Go wants a sign and at least two exponent digits.
        let text = "\(d)"
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return text }
        let mantissa = text[..<e]
        var exponent = String(text[text.index(after: e)...])
        var sign = "+"
        if exponent.hasPrefix("-") { sign = "-"; exponent.removeFirst() } else if exponent.hasPrefix("+") { exponent.removeFirst() }
        if exponent.count < 2 { exponent = "0" + exponent }
        return "\(mantissa)e\(sign)\(exponent)"
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
