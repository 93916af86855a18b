/// How Kubernetes exposes property names as CEL identifiers
/// (apiserver `pkg/cel/escaping.go`, `Escape` / `Unescape`).
enum PropertyName {
    /// CEL's reserved symbols; a property with exactly this name is `__name__`.
    static let reserved: Set<String> = [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    ]

    /// The identifier for a property name, or nil when the name cannot be
    /// written as one (it starts with a digit or holds other characters than
    /// letters, digits, `_`, `.`, `-` and `/`); such properties are not exposed.
    static func escape(_ name: String) -> String? {
        guard let first = name.unicodeScalars.first, !(first.value >= 0x30 && first.value <= 0x39) else { return nil }
        if reserved.contains(name) { return "__\(name)__" }
        let s = Array(name.unicodeScalars)
        var out = ""
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == "_", i + 1 < s.count, s[i + 1] == "_" {
                out += "__underscores__"
                i += 2
                continue
            }
            switch c {
            case ".": out += "__dot__"
            case "-": out += "__dash__"
            case "/": out += "__slash__"
            default:
                guard c.isASCII, c == "_" || c.properties.isAlphabetic || (c.value >= 0x30 && c.value <= 0x39) else {
                    return nil
                }
                out.unicodeScalars.append(c)
            }
            i += 1
        }
        return out
    }

    /// The property name an escaped identifier stands for, or nil for an invalid escape.
    static func unescape(_ escaped: String) -> String? {
        guard escaped.contains("__") else { return escaped }
        let s = Array(escaped.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            // (_{2}[^_]+_{2}), leftmost first, as Go's regexp finds it.
            if s[i] == "_", i + 1 < s.count, s[i + 1] == "_", i + 2 < s.count, s[i + 2] != "_" {
                var j = i + 2
                while j < s.count, s[j] != "_" { j += 1 }
                if j + 1 < s.count, s[j + 1] == "_" {
                    var contents = String.UnicodeScalarView()
                    contents.append(contentsOf: s[(i + 2)..<j])
                    switch String(contents) {
                    case "underscores": out.append(contentsOf: "__".unicodeScalars)
                    case "dot": out.append(".")
                    case "dash": out.append("-")
                    case "slash": out.append("/")
                    case let word where reserved.contains(word):
                        guard i == 0, j + 2 == s.count else { return nil }
                        out.append(contentsOf: word.unicodeScalars)
                    default:
                        return nil
                    }
                    i = j + 2
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }
        return String(out)
    }
}
