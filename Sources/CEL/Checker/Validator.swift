/// The checks Kubernetes adds after type-checking (apiserver
/// `pkg/cel/environment/base.go`, 1.29+: `cel.ValidateRegexLiterals`,
/// `cel.ValidateHomogeneousAggregateLiterals`; cel-go `cel/validator.go`),
/// plus compiling literal `matches()` patterns once.
struct Validator {
    let checker: Checker
    private(set) var issues: [Checker.Issue] = []
    private(set) var patterns: [Int: RE2Pattern] = [:]

    init(checker: Checker) {
        self.checker = checker
    }

    mutating func validate(_ e: Expr) {
        switch e.kind {
        case .null, .bool, .int, .double, .string, .ident, .createMessage:
            break
        case .select(let operand, _, _):
            validate(operand)
        case .call(let function, let target, let args):
            if let target { validate(target) }
            for arg in args { validate(arg) }
            if function == "matches" { matches(e, target: target, args: args) }
        case .list(let items):
            for item in items { validate(item) }
            // Every element has the first element's type.
            if let first = items.first {
                let expected = checker.type(of: first)
                if let odd = items.dropFirst().first(where: { checker.type(of: $0) != expected }) {
                    mismatch(expected, checker.type(of: odd), at: odd)
                }
            }
        case .map(let entries):
            for entry in entries {
                validate(entry.key)
                validate(entry.value)
            }
            if let first = entries.first {
                let keyType = checker.type(of: first.key)
                let valueType = checker.type(of: first.value)
                for entry in entries.dropFirst() {
                    if checker.type(of: entry.key) != keyType { mismatch(keyType, checker.type(of: entry.key), at: entry.key) }
                    if checker.type(of: entry.value) != valueType {
                        mismatch(valueType, checker.type(of: entry.value), at: entry.value)
                    }
                }
            }
        case .comprehension(let c):
            validate(c.range)
            validate(c.predicate)
        case .unsupported(_, let children):
            for child in children { validate(child) }
        }
    }

    private mutating func mismatch(_ expected: CELType, _ actual: CELType, at e: Expr) {
        issues.append(Checker.Issue(message: "expected type '\(expected)' but found '\(actual)'", offset: e.offset))
    }

    /// cel-go validates the call's first argument when it is a literal: the
    /// pattern of `s.matches(p)`, but the text of the global `matches(s, p)`.
    private mutating func matches(_ call: Expr, target: Expr?, args: [Expr]) {
        if let first = args.first, case .string(let literal) = first.kind {
            do {
                _ = try RE2Pattern(literal)
            } catch {
                switch error {
                case .invalid:
                    issues.append(Checker.Issue(message: "invalid matches argument", offset: first.offset))
                case .unsupported(let what):
                    issues.append(Checker.Issue(message: Checker.unsupportedPrefix + what, offset: first.offset))
                }
                return
            }
        }
        let pattern = target == nil ? args.dropFirst().first : args.first
        if let pattern, case .string(let literal) = pattern.kind {
            do {
                patterns[call.id] = try RE2Pattern(literal)
            } catch {
                if case .unsupported(let what) = error {
                    issues.append(Checker.Issue(message: Checker.unsupportedPrefix + what, offset: pattern.offset))
                }
            }
        }
    }
}
