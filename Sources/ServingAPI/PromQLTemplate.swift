/// A PromQL query template with `{{namespace}}` and `{{name}}` placeholders.
///
/// We do not parse PromQL (Prometheus does, and reports errors at query
/// time); `check` catches what makes a template certainly unusable before
/// any query runs:
/// - empty or whitespace-only text;
/// - a placeholder other than `{{namespace}}` / `{{name}}`, or an unclosed `{{`;
/// - unbalanced or mismatched `()`, `[]`, `{}` outside string literals;
/// - an unterminated string literal (`"..."`, `'...'` with `\` escapes, or `` `...` ``).
public struct PromQLTemplate: Sendable, Hashable {
    public let text: String

    public static let placeholders = ["namespace", "name"]

    public init(_ text: String) { self.text = text }

    /// Replaces the placeholders. Kubernetes names and namespaces are
    /// RFC 1123 labels, so they need no escaping inside PromQL strings.
    public func render(namespace: String, name: String) -> String {
        text.replacingAll("{{namespace}}", with: namespace).replacingAll("{{name}}", with: name)
    }

    /// Nil when the template is usable, else what is wrong with it.
    public func check() -> String? {
        if text.allSatisfy({ $0.isWhitespace }) { return "is empty" }
        if let problem = checkPlaceholders() { return problem }
        // Placeholders out of the way, so their braces do not count as selectors.
        return Self.checkBrackets(render(namespace: "ns", name: "name"))
    }

    private func checkPlaceholders() -> String? {
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                return "has an unclosed placeholder '{{' (known placeholders: {{namespace}}, {{name}})"
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingSpaces()
            guard Self.placeholders.contains(String(name)) else {
                return "has an unknown placeholder '{{\(name)}}' (known placeholders: {{namespace}}, {{name}})"
            }
            guard rest[open.upperBound..<close.lowerBound] == name else {
                return "writes a placeholder with spaces, '{{\(rest[open.upperBound..<close.lowerBound])}}'; write '{{\(name)}}'"
            }
            rest = rest[close.upperBound...]
        }
        return nil
    }

    private static func checkBrackets(_ query: String) -> String? {
        let pairs: [Character: Character] = [")": "(", "]": "[", "}": "{"]
        var stack: [Character] = []
        var quote: Character?
        var escaped = false
        var inComment = false
        for character in query {
            if inComment {
                if character == "\n" { inComment = false }
                continue
            }
            if let open = quote {
                if escaped {
                    escaped = false
                } else if character == "\\" && open != "`" {
                    escaped = true
                } else if character == open {
                    quote = nil
                }
                continue
            }
            switch character {
            case "\"", "'", "`": quote = character
            case "#": inComment = true
            case "(", "[", "{": stack.append(character)
            case ")", "]", "}":
                guard let last = stack.popLast() else { return "has an unmatched '\(character)'" }
                if last != pairs[character] { return "has '\(last)' closed by '\(character)'" }
            default: break
            }
        }
        if let open = quote { return "has an unterminated string starting with \(open)" }
        if let open = stack.last { return "has an unclosed '\(open)'" }
        return nil
    }
}

extension StringProtocol {
    func replacingAll(_ target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }

    func trimmingSpaces() -> SubSequence {
        var s = self[...]
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return s
    }
}
