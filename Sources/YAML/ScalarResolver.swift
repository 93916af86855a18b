import JSONValue

/// How an untagged plain (unquoted) scalar becomes a value.
///
/// We follow what `kubectl` reads, i.e. sigs.k8s.io/yaml on top of go-yaml
/// v2 (YAML 1.1 habits), so a manifest means the same to us as to the
/// cluster. Quoted, literal (`|`) and folded (`>`) scalars are always strings.
///
/// | plain scalar                                   | value                    |
/// |------------------------------------------------|--------------------------|
/// | `` (empty), `~`, `null`, `Null`, `NULL`        | null                     |
/// | `true`, `True`, `TRUE`, `yes`, `Yes`, `YES`,   | true                     |
/// | `on`, `On`, `ON`, `y`, `Y`                     |                          |
/// | `false`, `False`, `FALSE`, `no`, `No`, `NO`,   | false                    |
/// | `off`, `Off`, `OFF`, `n`, `N`                  |                          |
/// | other case mixes (`tRUE`, `nO`)                | string                   |
/// | `12`, `+12`, `-12`, `1_000`, `1_`              | int (`_` is ignored)     |
/// | `0x1F`, `0X1f`, `-0x10`                        | int, hexadecimal         |
/// | `0o17`, `0777`, `-0777`                        | int, octal (leading `0`!)|
/// | `0b101`                                        | int, binary              |
/// | integers beyond Int64 (`18446744073709551615`) | double                   |
/// | `08`, `09.5` (not octal, but decimal-looking)  | double (8.0, 9.5)        |
/// | `1.5`, `1.`, `.5`, `-.5`, `1e5`, `1E-3`, `6.02e+23` | double              |
/// | `.inf`, `.Inf`, `.INF`, `+.inf`.., `-.inf`..   | double ±infinity         |
/// | `.nan`, `.NaN`, `.NAN`                         | double NaN               |
/// | `1e999` (overflows a double)                   | string (as go-yaml)      |
/// | `2024-01-02`, `12:30:00`, `0x`, `_1`, `-`, `.` | string                   |
/// | `<<` as a mapping key                          | merge key (see Composer) |
///
/// Explicit tags win over this table: `!!str 12` is a string, `!!int "12"`
/// an int, `!!float 1` the double 1.0; `!!bool`/`!!null`/`!!int`/`!!float`
/// on text that does not read as such is an error.
enum ScalarResolver {
    private static let exact: [String: JSON] = {
        var table: [String: JSON] = [:]
        for word in ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"] {
            table[word] = .bool(true)
        }
        for word in ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"] {
            table[word] = .bool(false)
        }
        for word in ["", "~", "null", "Null", "NULL"] { table[word] = .null }
        for word in [".nan", ".NaN", ".NAN"] { table[word] = .double(.nan) }
        for word in [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"] { table[word] = .double(.infinity) }
        for word in ["-.inf", "-.Inf", "-.INF"] { table[word] = .double(-.infinity) }
        return table
    }()

    /// The value of an untagged plain scalar.
    static func resolvePlain(_ text: String) -> JSON {
        if let value = exact[text] { return value }
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"):
            return number(text) ?? .string(text)
        case UInt8(ascii: "."):
            return dotFloat(text) ?? .string(text)
        default:
            return .string(text)
        }
    }

    /// go-yaml v2: drop every `_`, then try a Go integer literal (base from
    /// its prefix), then an unsigned one, then a YAML-style float.
    private static func number(_ text: String) -> JSON? {
        let digits = Array(text.utf8.filter { $0 != UInt8(ascii: "_") })
        if let int = goParseInt(digits) { return .int(int) }
        if let unsigned = goParseUnsigned(digits) { return .double(Double(unsigned)) }
        if isYAMLFloat(digits[...]), let double = finiteDouble(digits) { return .double(double) }
        return nil
    }

    /// Floats that start with a dot (`.5`, `.5e3`); Go allows `_` between digits here.
    private static func dotFloat(_ text: String) -> JSON? {
        let bytes = Array(text.utf8)
        var digits: [UInt8] = []
        for (i, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "_") {
                guard i > 0, i + 1 < bytes.count, isDigit(bytes[i - 1]), isDigit(bytes[i + 1]) else { return nil }
                continue
            }
            digits.append(byte)
        }
        guard digits.first == UInt8(ascii: "."), isYAMLFloat(digits[...]) else { return nil }
        return finiteDouble(digits).map(JSON.double)
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
    static func isYAMLFloat(_ bytes: ArraySlice<UInt8>) -> Bool {
        var rest = bytes
        if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { rest = rest.dropFirst() }
        let integerDigits = rest.prefix(while: isDigit).count
        rest = rest.dropFirst(integerDigits)
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            let fraction = rest.prefix(while: isDigit).count
            guard integerDigits > 0 || fraction > 0 else { return false }
            rest = rest.dropFirst(fraction)
        } else if integerDigits == 0 {
            return false
        }
        if let e = rest.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { rest = rest.dropFirst() }
            let exponent = rest.prefix(while: isDigit).count
            guard exponent > 0 else { return false }
            rest = rest.dropFirst(exponent)
        }
        return rest.isEmpty
    }

    private static func finiteDouble(_ bytes: [UInt8]) -> Double? {
        guard let value = Double(String(decoding: bytes, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Go's `strconv.ParseInt(s, 0, 64)`.
    static func goParseInt(_ bytes: [UInt8]) -> Int64? {
        var rest = bytes[...]
        var negative = false
        if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            rest = rest.dropFirst()
        }
        guard let magnitude = goParseUnsigned(Array(rest)) else { return nil }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            return magnitude <= UInt64(Int64.max) ? -Int64(magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Go's `strconv.ParseUint(s, 0, 64)`: `0x`/`0o`/`0b` prefixes, a lone
    /// leading `0` means octal, no sign.
    static func goParseUnsigned(_ bytes: [UInt8]) -> UInt64? {
        guard let first = bytes.first else { return nil }
        var base: UInt64 = 10
        var digits = bytes[...]
        if first == UInt8(ascii: "0") {
            let prefix = bytes.count >= 3 ? bytes[1] | 0x20 : 0
            switch prefix {
            case UInt8(ascii: "b"): base = 2; digits = bytes.dropFirst(2)
            case UInt8(ascii: "o"): base = 8; digits = bytes.dropFirst(2)
            case UInt8(ascii: "x"): base = 16; digits = bytes.dropFirst(2)
            default: base = 8; digits = bytes.dropFirst(1)
            }
        }
        var value: UInt64 = 0
        for byte in digits {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            guard digit < base else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: base)
            let (sum, overflow2) = shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}
