/// The static types of this CEL subset, formatted as cel-go's
/// `checker.FormatCelType` formats them in error messages.
public indirect enum CELType: Hashable, Sendable, CustomStringConvertible {
    case bool
    case int
    case double
    case string
    case null
    case dyn
    case list(CELType)
    case map(CELType, CELType)
    /// An object type derived from a schema with properties; its fields live
    /// in the checker's environment under this name.
    case object(String)
    /// A type variable of an overload or of an empty literal.
    case typeParam(String)
    /// The type of an expression that failed to check; assignable to anything.
    case error

    public var description: String {
        switch self {
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "double"
        case .string: return "string"
        case .null: return "null"
        case .dyn: return "dyn"
        case .list(let element): return "list(\(element))"
        case .map(let key, let value): return "map(\(key), \(value))"
        case .object(let name): return name
        case .typeParam(let name): return name
        case .error: return "!error!"
        }
    }

    var isDynOrError: Bool { self == .dyn || self == .error }
}

/// Type variable substitutions (cel-go `checker/mapping.go`) and the
/// assignability rules of `checker/types.go`.
struct TypeMapping {
    private var substitutions: [String: CELType] = [:]

    func find(_ t: CELType) -> CELType? {
        guard case .typeParam(let name) = t else { return nil }
        return substitutions[name]
    }

    private mutating func add(_ param: CELType, _ t: CELType) {
        if case .typeParam(let name) = param { substitutions[name] = t }
    }

    /// Whether `t2` can be assigned where `t1` is expected; on success the
    /// returned mapping carries the new type variable bindings.
    func assigning(_ t1: CELType, _ t2: CELType) -> TypeMapping? {
        var copy = self
        return copy.isAssignable(t1, t2) ? copy : nil
    }

    func assigningList(_ l1: [CELType], _ l2: [CELType]) -> TypeMapping? {
        guard l1.count == l2.count else { return nil }
        var copy = self
        for (a, b) in zip(l1, l2) where !copy.isAssignable(a, b) { return nil }
        return copy
    }

    private mutating func isAssignable(_ t1: CELType, _ t2: CELType) -> Bool {
        if case .typeParam = t2 {
            let (valid, hasSubstitution) = isValidSubstitution(t1, t2)
            if valid { return true }
            if hasSubstitution { return false }
        }
        if case .typeParam = t1 {
            return isValidSubstitution(t2, t1).valid
        }
        if t1.isDynOrError || t2.isDynOrError { return true }
        if t1 == .null { return Self.isNullable(t2) }
        if t2 == .null { return Self.isNullable(t1) }
        switch (t1, t2) {
        case (.list(let e1), .list(let e2)):
            return isAssignable(e1, e2)
        case (.map(let k1, let v1), .map(let k2, let v2)):
            return isAssignable(k1, k2) && isAssignable(v1, v2)
        default:
            return t1 == t2
        }
    }

    /// Only message (object) types accept null, as in cel-go's checker.
    private static func isNullable(_ t: CELType) -> Bool {
        if case .object = t { return true }
        return false
    }

    private mutating func isValidSubstitution(_ t1: CELType, _ t2: CELType) -> (valid: Bool, hasSubstitution: Bool) {
        if t1 == t2 { return (true, true) }
        if let sub = find(t2) {
            if t1 == sub { return (true, true) }
            if isAssignable(t1, sub) {
                let general = Self.mostGeneral(t1, sub)
                if notReferenced(t2, in: general) { add(t2, general) }
                return (true, true)
            }
            return (false, true)
        }
        if notReferenced(t2, in: t1) {
            add(t2, t1)
            return (true, false)
        }
        return (false, false)
    }

    private func notReferenced(_ t: CELType, in within: CELType) -> Bool {
        if t == within { return false }
        switch within {
        case .typeParam:
            guard let sub = find(within) else { return true }
            return notReferenced(t, in: sub)
        case .list(let e): return notReferenced(t, in: e)
        case .map(let k, let v): return notReferenced(t, in: k) && notReferenced(t, in: v)
        default: return true
        }
    }

    static func mostGeneral(_ t1: CELType, _ t2: CELType) -> CELType {
        isEqualOrLessSpecific(t1, t2) ? t1 : t2
    }

    private static func isEqualOrLessSpecific(_ t1: CELType, _ t2: CELType) -> Bool {
        if t1 == .dyn { return true }
        if case .typeParam = t1 { return true }
        if t2 == .dyn { return false }
        if case .typeParam = t2 { return false }
        switch (t1, t2) {
        case (.list(let a), .list(let b)): return isEqualOrLessSpecific(a, b)
        case (.map(let k1, let v1), .map(let k2, let v2)):
            return isEqualOrLessSpecific(k1, k2) && isEqualOrLessSpecific(v1, v2)
        default: return t1 == t2
        }
    }

    /// The type with bound variables replaced; free ones become `dyn` when asked.
    func substitute(_ t: CELType, freeToDyn: Bool) -> CELType {
        if let sub = find(t) { return substitute(sub, freeToDyn: freeToDyn) }
        switch t {
        case .typeParam: return freeToDyn ? .dyn : t
        case .list(let e): return .list(substitute(e, freeToDyn: freeToDyn))
        case .map(let k, let v): return .map(substitute(k, freeToDyn: freeToDyn), substitute(v, freeToDyn: freeToDyn))
        default: return t
        }
    }
}
