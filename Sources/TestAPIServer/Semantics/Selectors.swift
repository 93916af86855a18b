import JSONValue

/// A parsed `labelSelector` query parameter: equality-based (`a=b`, `a==b`,
/// `a!=b`) and set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`) requirements,
/// plus `a>1`/`a<1` as Kubernetes allows; all must hold.
public struct LabelSelector: Sendable, Equatable {
    public enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
        case greaterThan(String, Int64)
        case lessThan(String, Int64)
    }

    public var requirements: [Requirement]

    public static let everything = LabelSelector(requirements: [])

    public init(requirements: [Requirement]) { self.requirements = requirements }

    public init(parsing text: String) throws(APIError) {
        var result: [Requirement] = []
        for part in Self.splitTopLevel(text) {
            let term = part.trimmingSpaces()
            if term.isEmpty { continue }
            result.append(try Self.parseRequirement(term))
        }
        requirements = result
    }

    public func matches(_ labels: JSONObject?) -> Bool {
        func value(_ key: String) -> String? { labels?[key]?.stringValue }
        for requirement in requirements {
            switch requirement {
            case .equals(let k, let v): if value(k) != v { return false }
            case .notEquals(let k, let v): if value(k) == v { return false }
            case .isIn(let k, let set): guard let v = value(k), set.contains(v) else { return false }
            case .notIn(let k, let set): if let v = value(k), set.contains(v) { return false }
            case .exists(let k): if value(k) == nil { return false }
            case .doesNotExist(let k): if value(k) != nil { return false }
            case .greaterThan(let k, let n): guard let v = value(k).flatMap({ Int64($0) }), v > n else { return false }
            case .lessThan(let k, let n): guard let v = value(k).flatMap({ Int64($0) }), v < n else { return false }
            }
        }
        return true
    }

    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for ch in text {
            if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
            if ch == "," && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }

    private static func parseRequirement(_ term: String) throws(APIError) -> Requirement {
        let bad = APIError.badRequest("unable to parse requirement: invalid label selector \"\(term)\"")
        if term.hasPrefix("!") {
            let key = String(term.dropFirst()).trimmingSpaces()
            guard isValidKey(key) else { throw bad }
            return .doesNotExist(key)
        }
        for (op, isSet) in [(" notin ", true), (" in ", false)] {
            if let range = term.range(of: op) {
                let key = String(term[..<range.lowerBound]).trimmingSpaces()
                var rest = String(term[range.upperBound...]).trimmingSpaces()
                guard isValidKey(key), rest.hasPrefix("("), rest.hasSuffix(")") else { throw bad }
                rest = String(rest.dropFirst().dropLast())
                let values = Set(rest.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() })
                guard values.allSatisfy(isValidValue) else { throw bad }
                return isSet ? .notIn(key, values) : .isIn(key, values)
            }
        }
        for op in ["!=", "==", "=", ">", "<"] {
            if let range = term.range(of: op) {
                let key = String(term[..<range.lowerBound]).trimmingSpaces()
                let value = String(term[range.upperBound...]).trimmingSpaces()
                guard isValidKey(key) else { throw bad }
                switch op {
                case "!=": guard isValidValue(value) else { throw bad }; return .notEquals(key, value)
                case ">", "<":
                    guard let n = Int64(value) else { throw bad }
                    return op == ">" ? .greaterThan(key, n) : .lessThan(key, n)
                default: guard isValidValue(value) else { throw bad }; return .equals(key, value)
                }
            }
        }
        guard isValidKey(term) else { throw bad }
        return .exists(term)
    }

    static func isValidKey(_ key: String) -> Bool {
        guard !key.isEmpty, key.count <= 316 else { return false }
        return key.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
    }

    static func isValidValue(_ value: String) -> Bool {
        value.count <= 63 && value.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    }
}

/// A parsed `fieldSelector` with `=`, `==` and `!=`: `metadata.name` and
/// `metadata.namespace` for every resource, plus the extra fields the real
/// server supports for some kinds (`ResourceType.extraFieldSelectors`, e.g.
/// `involvedObject.name` on events, which `kubectl describe` uses).
public struct FieldSelector: Sendable, Equatable {
    public struct Requirement: Sendable, Equatable {
        public var field: String
        public var value: String
        public var negated: Bool
    }

    public var requirements: [Requirement]

    public static let supportedFields = ["metadata.name", "metadata.namespace"]

    public init(parsing text: String, extraFields: [String] = []) throws(APIError) {
        var result: [Requirement] = []
        for part in text.split(separator: ",") {
            let term = String(part).trimmingSpaces()
            if term.isEmpty { continue }
            var found: Requirement?
            for (op, negated) in [("!=", true), ("==", false), ("=", false)] {
                if let range = term.range(of: op) {
                    found = Requirement(field: String(term[..<range.lowerBound]).trimmingSpaces(),
                                        value: String(term[range.upperBound...]).trimmingSpaces(), negated: negated)
                    break
                }
            }
            guard let requirement = found else {
                throw APIError.badRequest("invalid field selector \"\(term)\": expected field=value or field!=value")
            }
            guard Self.supportedFields.contains(requirement.field) || extraFields.contains(requirement.field) else {
                throw APIError.badRequest("field label not supported: \(requirement.field)")
            }
            result.append(requirement)
        }
        requirements = result
    }

    public func matches(_ object: JSON) -> Bool {
        for r in requirements {
            var value: JSON? = object
            for key in r.field.split(separator: ".") { value = value?[String(key)] }
            let actual: String
            switch value {
            case .string(let text)?: actual = text
            case nil, .null?: actual = ""
            case let other?: actual = other.serialized()
            }
            if (actual == r.value) == r.negated { return false }
        }
        return true
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
