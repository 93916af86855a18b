import JSONValue

/// Turns `JSON` into emitter events and picks each scalar's style so that
/// the text reads back as the same value:
/// - strings that would read as anything but themselves are double-quoted:
///   what `ScalarResolver` turns into null/bool/number (`yes`, `on`, `y`,
///   `~`, `""`, `0777`, `1e5`, `.inf`), the merge key `<<`, and, to be safe
///   with YAML 1.2 readers too, other number-like text (`1e999`, `0x1p3`,
///   `nan`), sexagesimal (`1:30`) and date-like text (`2024-01-02`);
/// - strings with line breaks use a literal block (`|`); libyaml falls back
///   to double quotes where a block cannot hold them exactly (trailing
///   spaces, control characters), and `\r`, NEL, LS and PS always quote;
/// - everything else is left to libyaml, which quotes what plain style
///   cannot carry (leading `-`/`&`/`*`/`!`/..., `: `, ` #`, edge spaces);
/// - empty sequences and mappings are written `[]` and `{}`.
enum Serializer {
    static func events(for documents: [JSON]) -> [YAMLEvent] {
        var events: [YAMLEvent] = [.streamStart]
        for document in documents {
            events.append(.documentStart(implicit: true))
            append(document, to: &events)
            events.append(.documentEnd(implicit: true))
        }
        events.append(.streamEnd)
        return events
    }

    private static func append(_ value: JSON, to events: inout [YAMLEvent]) {
        switch value {
        case .null: events.append(plain("null"))
        case .bool(let b): events.append(plain(b ? "true" : "false"))
        case .int(let i): events.append(plain(String(i)))
        case .double(let d): events.append(plain(ScalarFormat.double(d)))
        case .string(let s): events.append(string(s))
        case .array(let items):
            events.append(.sequenceStart(anchor: nil, tag: nil, flow: items.isEmpty))
            for item in items { append(item, to: &events) }
            events.append(.sequenceEnd)
        case .object(let object):
            events.append(.mappingStart(anchor: nil, tag: nil, flow: object.isEmpty))
            for (key, item) in object {
                events.append(string(key))
                append(item, to: &events)
            }
            events.append(.mappingEnd)
        }
    }

    private static func plain(_ text: String) -> YAMLEvent {
        .scalar(YAMLEvent.Scalar(value: text, style: .plain))
    }

    static func string(_ text: String) -> YAMLEvent {
        .scalar(YAMLEvent.Scalar(value: text, style: style(for: text)))
    }

    static func style(for text: String) -> ScalarStyle {
        var hasNewline = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": hasNewline = true
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": return .doubleQuoted
            default: break
            }
        }
        if hasNewline { return .literal }
        return ScalarFormat.needsQuotes(text) ? .doubleQuoted : .plain
    }
}

/// Spelling of scalars in emitted YAML.
enum ScalarFormat {
    /// Shortest text that reads back as the same double (and as a double,
    /// never an int): `1.0`, `0.1`, `1e-05`, `.inf`, `-.inf`, `.nan`.
    static func double(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        return "\(d)"
    }

    /// Whether a single-line string must be quoted to read back as itself.
    static func needsQuotes(_ text: String) -> Bool {
        if ScalarResolver.resolvePlain(text) != .string(text) { return true }
        if text == "<<" || text == "=" { return true }
        if Double(text) != nil { return true }  // nan, inf, 1e999, 0x1p3 in other readers
        let bytes = Array(text.utf8)
        return looksSexagesimal(bytes) || looksLikeDate(bytes)
    }

    /// YAML 1.1 base 60 numbers, e.g. `1:30` or `-190:20:30.15`.
    private static func looksSexagesimal(_ bytes: [UInt8]) -> Bool {
        var rest = bytes[...]
        if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { rest = rest.dropFirst() }
        guard let first = rest.first, isDigit(first), rest.contains(UInt8(ascii: ":")) else { return false }
        return rest.allSatisfy { isDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// YAML 1.1 timestamps start with `YYYY-M-D`.
    private static func looksLikeDate(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 8, bytes.prefix(4).allSatisfy(isDigit), bytes[4] == UInt8(ascii: "-") else { return false }
        return bytes.dropFirst(5).prefix(while: { $0 != UInt8(ascii: "-") }).count <= 2
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
