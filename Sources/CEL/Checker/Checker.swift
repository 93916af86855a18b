/// The type checker: cel-go's `checker/checker.go` for this subset, with the
/// same error messages and locations. Like cel-go it goes on after an error
/// (the failed node gets the error type, which fits anywhere), so one
/// expression can report several problems.
struct Checker {
    struct Issue: Sendable {
        let message: String
        let offset: Int?
    }

    static let unsupportedPrefix = "unsupported in this test API server's CEL subset: "

    private let objects: [String: [String: CELType]]
    private let selfType: CELType
    private var mapping = TypeMapping()
    private var freeVariables = 0
    private var scopes: [[String: CELType]] = []
    private(set) var issues: [Issue] = []
    private var types: [Int: CELType] = [:]

    init(objects: [String: [String: CELType]], selfType: CELType) {
        self.objects = objects
        self.selfType = selfType
    }

    /// The expression's type, with type variables bound or `dyn`.
    mutating func check(_ root: Expr) -> CELType {
        let t = visit(root)
        return mapping.substitute(t, freeToDyn: true)
    }

    /// A node's final type (after `check`).
    func type(of e: Expr) -> CELType {
        mapping.substitute(types[e.id] ?? .dyn, freeToDyn: true)
    }

    private mutating func report(_ message: String, at offset: Int?) {
        issues.append(Issue(message: message, offset: offset))
    }

    private mutating func undeclared(_ name: String, at offset: Int) {
        report("undeclared reference to '\(name)' (in container '')", at: offset)
    }

    private mutating func unsupported(_ what: String, at offset: Int) {
        report(Self.unsupportedPrefix + what, at: offset)
    }

    private mutating func visit(_ e: Expr) -> CELType {
        let t = visitKind(e)
        types[e.id] = t
        return t
    }

    private mutating func visitKind(_ e: Expr) -> CELType {
        switch e.kind {
        case .null: return .null
        case .bool: return .bool
        case .int: return .int
        case .double: return .double
        case .string: return .string
        case .ident(let name):
            return identifier(name, at: e.offset)
        case .select(let operand, let field, let testOnly):
            let result = selectField(operand, field, at: e.offset)
            return testOnly ? .bool : result
        case .call(let function, let target, let args):
            return call(function, target: target, args: args, at: e.offset)
        case .list(let items):
            var element: CELType?
            for item in items { element = join(item, element, visit(item)) }
            return .list(element ?? newTypeVariable())
        case .map(let entries):
            var key: CELType?
            var value: CELType?
            for entry in entries {
                key = join(entry.key, key, visit(entry.key))
                value = join(entry.value, value, visit(entry.value))
            }
            return .map(key ?? newTypeVariable(), value ?? newTypeVariable())
        case .comprehension(let c):
            return comprehension(c, at: e.offset)
        case .createMessage(let name):
            undeclared(name, at: e.offset)
            return .error
        case .unsupported(let what, let children):
            for child in children { _ = visit(child) }
            unsupported(what, at: e.offset)
            return .error
        }
    }

    private mutating func newTypeVariable() -> CELType {
        defer { freeVariables += 1 }
        return .typeParam("_var\(freeVariables)")
    }

    private mutating func identifier(_ name: String, at offset: Int) -> CELType {
        let global = name.hasPrefix(".")
        let plain = global ? String(name.dropFirst()) : name
        if !global {
            for scope in scopes.reversed() {
                if let t = scope[plain] { return t }
            }
        }
        if plain == "self" { return selfType }
        if let what = Functions.unsupportedIdentifier(plain) {
            unsupported(what, at: offset)
        } else {
            undeclared(plain, at: offset)
        }
        return .error
    }

    /// cel-go `checkSelectField`.
    private mutating func selectField(_ operand: Expr, _ field: String, at offset: Int) -> CELType {
        let target = mapping.substitute(visit(operand), freeToDyn: false)
        switch target {
        case .map(_, let value):
            return value
        case .object(let name):
            if let t = objects[name]?[field] { return t }
            report("undefined field '\(field)'", at: offset)
            return .error
        case .typeParam:
            if let m = mapping.assigning(.dyn, target) { mapping = m }
            return .dyn
        case .dyn, .error:
            return .dyn
        default:
            report("type '\(target)' does not support field selection", at: offset)
            return .dyn
        }
    }

    /// The most general common type of literal elements; with Kubernetes'
    /// `HomogeneousAggregateLiterals` a mismatch is an error (cel-go `joinTypes`).
    private mutating func join(_ e: Expr, _ previous: CELType?, _ current: CELType) -> CELType {
        guard let previous else { return current }
        if let m = mapping.assigning(previous, current) {
            mapping = m
            return TypeMapping.mostGeneral(previous, current)
        }
        report("expected type '\(previous)' but found '\(current)'", at: e.offset)
        return .error
    }

    private static func qualifiedName(_ e: Expr) -> String? {
        switch e.kind {
        case .ident(let name): return name
        case .select(let operand, let field, false): return qualifiedName(operand).map { "\($0).\(field)" }
        default: return nil
        }
    }

    private mutating func call(_ function: String, target: Expr?, args: [Expr], at offset: Int) -> CELType {
        if let target, let prefix = Self.qualifiedName(target),
            Functions.unsupportedNamespaced.contains("\(prefix).\(function)")
        {
            for arg in args { _ = visit(arg) }
            unsupported("function '\(prefix).\(function)'", at: offset)
            return .error
        }
        var argTypes = args.map { visit($0) }
        if function == "_&&_" || function == "_||_" {
            var failed = false
            for (arg, t) in zip(args, argTypes) {
                if let m = mapping.assigning(t, .bool) {
                    mapping = m
                } else {
                    report("expected type 'bool' but found '\(t)'", at: arg.offset)
                    failed = true
                }
            }
            return failed ? .error : .bool
        }
        if let target { argTypes.insert(visit(target), at: 0) }
        if let overloads = Functions.overloads[function] {
            return resolve(function, overloads, argTypes, isMember: target != nil, at: offset)
        }
        if Functions.unsupported.contains(function) {
            unsupported("function '\(function)'", at: offset)
        } else {
            undeclared(function, at: offset)
        }
        return .error
    }

    /// cel-go `resolveOverload`: every overload of the call style whose
    /// parameters accept the arguments contributes; differing results make `dyn`.
    private mutating func resolve(
        _ function: String, _ overloads: [Functions.Overload], _ argTypes: [CELType], isMember: Bool, at offset: Int
    ) -> CELType {
        var result: CELType?
        for overload in overloads where overload.isMember == isMember {
            var fresh: [String: CELType] = [:]
            func instantiate(_ t: CELType) -> CELType {
                switch t {
                case .typeParam(let name):
                    if let v = fresh[name] { return v }
                    let v = newTypeVariable()
                    fresh[name] = v
                    return v
                case .list(let e): return .list(instantiate(e))
                case .map(let k, let v): return .map(instantiate(k), instantiate(v))
                default: return t
                }
            }
            let params = overload.args.map(instantiate)
            let overloadResult = instantiate(overload.result)
            guard let m = mapping.assigningList(argTypes, params) else { continue }
            mapping = m
            let candidate = mapping.substitute(overloadResult, freeToDyn: false)
            if result == nil {
                result = candidate
            } else if result != .dyn, candidate != result {
                result = .dyn
            }
        }
        if let result { return result }
        let shown = argTypes.map { mapping.substitute($0, freeToDyn: true).description }
        let signature = isMember
            ? "\(shown[0]).(\(shown.dropFirst().joined(separator: ", ")))"
            : "(\(shown.joined(separator: ", ")))"
        report("found no matching overload for '\(function)' applied to '\(signature)'", at: offset)
        return .error
    }

    private mutating func comprehension(_ c: Expr.Comprehension, at offset: Int) -> CELType {
        let rangeType = mapping.substitute(visit(c.range), freeToDyn: false)
        var variableType: CELType
        switch rangeType {
        case .list(let element): variableType = element
        case .map(let key, _): variableType = key
        case .dyn, .error: variableType = .dyn
        case .typeParam:
            if let m = mapping.assigning(.dyn, rangeType) { mapping = m }
            variableType = .dyn
        default:
            report(
                "expression of type '\(rangeType)' cannot be range of a comprehension (must be list, map, or dynamic)",
                at: c.range.offset)
            variableType = .error
        }
        scopes.append([c.variable: variableType])
        let predicate = visit(c.predicate)
        scopes.removeLast()
        switch c.macro {
        case .all, .exists:
            // The loop step is `@result && predicate` / `@result || predicate`.
            if let m = mapping.assigning(predicate, .bool) {
                mapping = m
            } else {
                report("expected type 'bool' but found '\(predicate)'", at: c.predicate.offset)
            }
        case .existsOne:
            // The loop step is `predicate ? @result + 1 : @result`.
            _ = resolve("_?_:_", Functions.conditional, [predicate, .int, .int], isMember: false, at: offset)
        }
        return .bool
    }
}
