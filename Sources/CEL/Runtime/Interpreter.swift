/// Evaluates a checked expression with cel-go's runtime semantics
/// (`interpreter/interpretable.go`): strict operators return the first
/// error of their operands, `&&` and `||` ignore an error when the other
/// side decides the result, `?:` evaluates one branch.
struct Interpreter {
    /// Compiled `matches()` patterns by call node id, for literal patterns.
    let patterns: [Int: RE2Pattern]
    let selfValue: Outcome

    /// Comprehension variables, innermost last.
    private var scopes: [(name: String, value: Outcome)] = []
    /// Regexes compiled during this evaluation, by Swift pattern.
    private var regexes: [String: Regex<Substring>] = [:]

    init(patterns: [Int: RE2Pattern], selfValue: Outcome) {
        self.patterns = patterns
        self.selfValue = selfValue
    }

    mutating func evaluate(_ e: Expr) -> Outcome {
        switch e.kind {
        case .null: return .success(.null)
        case .bool(let b): return .success(.bool(b))
        case .int(let i): return .success(.int(i))
        case .double(let d): return .success(.double(d))
        case .string(let s): return .success(.string(s))
        case .ident(let name):
            if !name.hasPrefix(".") {
                for scope in scopes.reversed() where scope.name == name { return scope.value }
            }
            return selfValue
        case .select(let operand, let field, let testOnly):
            return evaluate(operand).flatMap { testOnly ? Self.presence($0, field) : Self.select($0, field) }
        case .call(let function, let target, let args):
            return call(function, target: target, args: args, id: e.id)
        case .list(let items):
            var values: [Value] = []
            for item in items {
                switch evaluate(item) {
                case .success(let v): values.append(v)
                case .failure(let error): return .failure(error)
                }
            }
            return .success(.list(ListValue(storage: .values(values))))
        case .map(let entries):
            var values: [(key: Value, value: Value)] = []
            for entry in entries {
                let key: Value
                let value: Value
                switch evaluate(entry.key) {
                case .success(let v): key = v
                case .failure(let error): return .failure(error)
                }
                switch evaluate(entry.value) {
                case .success(let v): value = v
                case .failure(let error): return .failure(error)
                }
                switch key {
                case .list, .map, .opaque: return .failure(CELEvalError("unsupported key type"))
                default: break
                }
                // cel-go lets a repeated key replace the earlier entry.
                if let i = values.firstIndex(where: { Equality.keysEqual($0.key, key) }) {
                    values[i].value = value
                } else {
                    values.append((key, value))
                }
            }
            return .success(.map(MapValue(storage: .entries(values))))
        case .comprehension(let c):
            return comprehension(c)
        case .createMessage, .unsupported:
            return .failure(.noSuchOverload)  // rejected by the checker
        }
    }

    // MARK: - Field access (cel-go attribute qualifiers, `refQualify`)

    static func select(_ value: Value, _ field: String) -> Outcome {
        switch value {
        case .map(let map):
            return map.find(.string(field)) ?? .failure(CELEvalError("no such key: \(field)"))
        case .list:
            return .failure(CELEvalError("unsupported index type 'string' in list"))
        default:
            return .failure(CELEvalError("no such key: \(field)"))
        }
    }

    /// `has(x.f)`: absent is false; data that fails to read is an error.
    static func presence(_ value: Value, _ field: String) -> Outcome {
        switch value {
        case .map(let map):
            guard let found = map.find(.string(field)) else { return .success(.bool(false)) }
            return found.map { _ in .bool(true) }
        case .list:
            return .failure(CELEvalError("unsupported index type 'string' in list"))
        default:
            return .success(.bool(false))
        }
    }

    static func index(_ container: Value, _ key: Value) -> Outcome {
        switch container {
        case .list(let list):
            let i: Int64
            switch key {
            case .int(let v): i = v
            case .double(let d):
                guard d.rounded() == d, let v = Int64(exactly: d) else {
                    return .failure(CELEvalError("unsupported index value \(Format.value(key)) in list"))
                }
                i = v
            default:
                return .failure(CELEvalError("unsupported index type '\(key.typeName)' in list"))
            }
            guard i >= 0, i < list.count else {
                return .failure(CELEvalError("index out of bounds: \(Format.value(key))"))
            }
            return list.element(Int(i))
        case .map(let map):
            return map.find(key) ?? .failure(CELEvalError("no such key: \(Format.value(key))"))
        default:
            return .failure(.noSuchOverload)
        }
    }

    // MARK: - Calls

    private mutating func arguments(_ target: Expr?, _ args: [Expr]) -> Result<[Value], CELEvalError> {
        var values: [Value] = []
        for e in (target.map { [$0] } ?? []) + args {
            switch evaluate(e) {
            case .success(let v): values.append(v)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(values)
    }

    private mutating func call(_ function: String, target: Expr?, args: [Expr], id: Int) -> Outcome {
        switch function {
        case "_&&_", "_||_":
            return logical(isAnd: function == "_&&_", args[0], args[1])
        case "_?_:_":
            switch evaluate(args[0]) {
            case .success(.bool(let condition)): return evaluate(condition ? args[1] : args[2])
            case .success: return .failure(.noSuchOverload)
            case .failure(let error): return .failure(error)
            }
        default:
            break
        }
        let values: [Value]
        switch arguments(target, args) {
        case .success(let v): values = v
        case .failure(let error): return .failure(error)
        }
        switch (function, values.count) {
        case ("!_", 1):
            guard case .bool(let b) = values[0] else { return .failure(.noSuchOverload) }
            return .success(.bool(!b))
        case ("-_", 1):
            return Arithmetic.negate(values[0])
        case ("_==_", 2):
            return Equality.equal(values[0], values[1]).map { .bool($0) }
        case ("_!=_", 2):
            return Equality.equal(values[0], values[1]).map { .bool(!$0) }
        case ("_<_", 2): return Ordering.compare(values[0], values[1]).map { .bool($0 < 0) }
        case ("_<=_", 2): return Ordering.compare(values[0], values[1]).map { .bool($0 <= 0) }
        case ("_>_", 2): return Ordering.compare(values[0], values[1]).map { .bool($0 > 0) }
        case ("_>=_", 2): return Ordering.compare(values[0], values[1]).map { .bool($0 >= 0) }
        case ("_+_", 2), ("_-_", 2), ("_*_", 2), ("_/_", 2), ("_%_", 2):
            return Arithmetic.binary(function, values[0], values[1])
        case ("_[_]", 2):
            return Self.index(values[0], values[1])
        case ("@in", 2):
            return Self.contains(values[1], values[0])
        case ("size", 1):
            switch values[0] {
            case .string(let s): return .success(.int(Int64(s.unicodeScalars.count)))
            case .list(let l): return .success(.int(Int64(l.count)))
            case .map(let m): return .success(.int(Int64(m.count)))
            default: return .failure(.noSuchOverload)
            }
        case ("matches", 2):
            guard case .string(let text) = values[0], case .string(let pattern) = values[1] else {
                return .failure(.noSuchOverload)
            }
            let compiled: RE2Pattern
            if let literal = patterns[id], literal.pattern == pattern {
                compiled = literal
            } else {
                do {
                    compiled = try RE2Pattern(pattern)
                } catch {
                    switch error {
                    case .invalid(let reason): return .failure(CELEvalError("error parsing regexp: \(reason)"))
                    case .unsupported(let what): return .failure(CELEvalError(Checker.unsupportedPrefix + what))
                    }
                }
            }
            guard let regex = regexes[compiled.swiftPattern] ?? RE2Pattern.compile(compiled.swiftPattern) else {
                return .failure(.noSuchOverload)
            }
            regexes[compiled.swiftPattern] = regex
            return .success(.bool(text.firstMatch(of: regex) != nil))
        case ("startsWith", 2), ("endsWith", 2), ("contains", 2):
            guard case .string(let text) = values[0], case .string(let part) = values[1] else {
                return .failure(.noSuchOverload)
            }
            let t = Array(text.utf8)
            let p = Array(part.utf8)
            switch function {
            case "startsWith": return .success(.bool(t.starts(with: p)))
            case "endsWith": return .success(.bool(t.count >= p.count && Array(t.suffix(p.count)) == p))
            default:
                if p.isEmpty { return .success(.bool(true)) }
                guard t.count >= p.count else { return .success(.bool(false)) }
                for start in 0...(t.count - p.count) where t[start..<(start + p.count)].elementsEqual(p) {
                    return .success(.bool(true))
                }
                return .success(.bool(false))
            }
        default:
            return .failure(.noSuchOverload)
        }
    }

    /// cel-go `evalAnd` / `evalOr`: a deciding operand wins over an error in
    /// the other one; otherwise the first error, and a non-bool operand is
    /// "no such overload".
    private mutating func logical(isAnd: Bool, _ lhs: Expr, _ rhs: Expr) -> Outcome {
        let decisive = !isAnd
        var firstError: CELEvalError?
        for operand in [lhs, rhs] {
            switch evaluate(operand) {
            case .success(.bool(let b)):
                if b == decisive { return .success(.bool(decisive)) }
            case .success:
                if firstError == nil { firstError = .noSuchOverload }
            case .failure(let error):
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { return .failure(firstError) }
        return .success(.bool(!decisive))
    }

    /// `x in list` compares elements; `x in map` looks up a key.
    static func contains(_ container: Value, _ element: Value) -> Outcome {
        switch container {
        case .list(let list):
            var error: CELEvalError?
            for i in 0..<list.count {
                switch list.element(i).flatMap({ Equality.equal($0, element) }) {
                case .success(true): return .success(.bool(true))
                case .success(false): continue
                case .failure(let e): if error == nil { error = e }
                }
            }
            if let error { return .failure(error) }
            return .success(.bool(false))
        case .map(let map):
            guard let found = map.find(element) else { return .success(.bool(false)) }
            return found.map { _ in .bool(true) }
        default:
            return .failure(.noSuchOverload)
        }
    }

    // MARK: - Macros

    private mutating func comprehension(_ c: Expr.Comprehension) -> Outcome {
        let range: Value
        switch evaluate(c.range) {
        case .success(let v): range = v
        case .failure(let error): return .failure(error)
        }
        var elements: [Outcome] = []
        switch range {
        case .list(let list): elements = (0..<list.count).map { list.element($0) }
        case .map(let map): elements = map.keys.map { .success($0) }
        default: return .failure(.noSuchOverload)
        }
        switch c.macro {
        case .all, .exists:
            // The accumulator starts at the neutral value and the loop stops
            // once it holds the deciding one (`@not_strictly_false`).
            let decisive = c.macro == .exists
            var accumulator: Result<Bool, CELEvalError> = .success(!decisive)
            for element in elements {
                if case .success(decisive) = accumulator { break }
                let step = predicate(c, element)
                switch (accumulator, step) {
                case (_, .success(.bool(decisive))): accumulator = .success(decisive)
                case (.failure, _): break
                case (.success, .success(.bool)): break
                case (.success, .success): accumulator = .failure(.noSuchOverload)
                case (.success, .failure(let error)): accumulator = .failure(error)
                }
            }
            return accumulator.map { .bool($0) }
        case .existsOne:
            var count: Result<Int64, CELEvalError> = .success(0)
            for element in elements {
                switch predicate(c, element) {
                case .success(.bool(true)): count = count.map { $0 + 1 }
                case .success(.bool(false)): break
                case .success: count = .failure(.noSuchOverload)
                case .failure(let error): count = .failure(error)
                }
            }
            return count.map { .bool($0 == 1) }
        }
    }

    private mutating func predicate(_ c: Expr.Comprehension, _ element: Outcome) -> Outcome {
        scopes.append((c.variable, element))
        defer { scopes.removeLast() }
        return evaluate(c.predicate)
    }
}

/// Go's `%v` for the values runtime messages print.
enum Format {
    static func value(_ v: Value) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return double(d)
        case .string(let s): return s
        case .list: return "list"
        case .map: return "map"
        case .opaque: return "unknown"
        }
    }

    /// `strconv.FormatFloat(d, 'g', -1, 64)` for common magnitudes.
    static func double(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
        if d == d.rounded(), abs(d) < 1e6 { return String(Int64(d)) }
        return "\(d)"
    }
}
