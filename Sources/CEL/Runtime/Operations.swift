import JSONValue

/// CEL's heterogeneous equality (cel-go `types.Equal`): values of different
/// types are unequal rather than an error, numbers compare by value across
/// int and double, lists and maps compare deeply. Lists with
/// `x-kubernetes-list-type: set` or `map` ignore order, and objects compare
/// unknown fields as JSON (apiserver `unstructuredSetList`, `unstructuredMapList`,
/// `unstructuredMap.Equal`).
enum Equality {
    static func equal(_ a: Value, _ b: Value) -> Result<Bool, CELEvalError> {
        switch (a, b) {
        case (.null, .null): return .success(true)
        case (.bool(let x), .bool(let y)): return .success(x == y)
        case (.string(let x), .string(let y)): return .success(x.utf8.elementsEqual(y.utf8))
        case (.int(let x), .int(let y)): return .success(x == y)
        case (.double(let x), .double(let y)): return .success(x == y)
        case (.int(let i), .double(let d)), (.double(let d), .int(let i)):
            return .success(!d.isNaN && Ordering.compare(int: i, double: d) == 0)
        case (.list(let x), .list(let y)): return lists(x, y)
        case (.map(let x), .map(let y)): return maps(x, y)
        case (.opaque(let x), .opaque(let y)): return .success(x.isEquivalent(to: y))
        default: return .success(false)
        }
    }

    /// Map keys: equal by value, numbers across types (cel-go map key lookup).
    static func keysEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.list, _), (.map, _), (_, .list), (_, .map): return false
        default: return (try? equal(a, b).get()) ?? false
        }
    }

    private static func lists(_ x: ListValue, _ y: ListValue) -> Result<Bool, CELEvalError> {
        guard x.count == y.count else { return .success(false) }
        if case .data(let xs, _, let listType, let keys) = x.storage, listType == "set" || listType == "map" {
            // Order does not matter: every element of y must have a counterpart in x.
            for j in 0..<y.count {
                let theirs: Value
                switch y.element(j) {
                case .success(let v): theirs = v
                case .failure(let e): return .failure(e)
                }
                var found = false
                for (i, raw) in xs.enumerated() {
                    if listType == "map", !sameMapKey(raw, theirs, keys) { continue }
                    switch x.element(i).flatMap({ equal($0, theirs) }) {
                    case .success(true): found = true
                    case .success(false): if listType == "map" { return .success(false) }
                    case .failure(let e): return .failure(e)
                    }
                    if found { break }
                }
                if !found { return .success(false) }
            }
            return .success(true)
        }
        for i in 0..<x.count {
            switch x.element(i).flatMap({ a in y.element(i).flatMap { equal(a, $0) } }) {
            case .success(true): continue
            case .success(false): return .success(false)
            case .failure(let e): return .failure(e)
            }
        }
        return .success(true)
    }

    /// Whether a map-list element (raw) has the same key fields as `value`.
    private static func sameMapKey(_ raw: JSON, _ value: Value, _ keys: [String]) -> Bool {
        guard case .map(let other) = value else { return false }
        for key in keys {
            let mine = raw.objectValue.flatMap { DataReader.lookup($0, key) }
            let theirs = other.find(.string(PropertyName.escape(key) ?? key))
            switch (mine, theirs) {
            case (nil, nil): continue
            case (let m?, .success(let t)?):
                guard let v = try? DataReader.value(m, .anyJSON).get(), (try? equal(v, t).get()) == true else {
                    return false
                }
            default: return false
            }
        }
        return true
    }

    private static func maps(_ x: MapValue, _ y: MapValue) -> Result<Bool, CELEvalError> {
        guard x.count == y.count else { return .success(false) }
        if case .object(let object, let schema) = x.storage {
            for (name, raw) in object {
                if let property = schema.property(name) {
                    guard let theirs = y.find(.string(PropertyName.escape(name) ?? name)) else { return .success(false) }
                    let result = DataReader.value(raw, property).flatMap { mine in theirs.flatMap { equal(mine, $0) } }
                    switch result {
                    case .success(true): continue
                    default: return result
                    }
                } else if case .object(let other, _) = y.storage, let theirs = DataReader.lookup(other, name),
                    !raw.isEquivalent(to: theirs)
                {
                    return .success(false)
                }
            }
            return .success(true)
        }
        for key in x.keys {
            guard let mine = x.find(key), let theirs = y.find(key) else { return .success(false) }
            switch mine.flatMap({ m in theirs.flatMap { equal(m, $0) } }) {
            case .success(true): continue
            case .success(false): return .success(false)
            case .failure(let e): return .failure(e)
            }
        }
        return .success(true)
    }
}

/// Ordering for `<`, `<=`, `>`, `>=` (cel-go `traits.Comparer`), across int
/// and double as Kubernetes' `CrossTypeNumericComparisons` allows.
enum Ordering {
    static func compare(_ a: Value, _ b: Value) -> Result<Int, CELEvalError> {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return .success(x == y ? 0 : (x ? 1 : -1))
        case (.int(let x), .int(let y)): return .success(x < y ? -1 : (x > y ? 1 : 0))
        case (.string(let x), .string(let y)):
            if x.utf8.elementsEqual(y.utf8) { return .success(0) }
            return .success(x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1)
        case (.double(let x), .double(let y)):
            if x.isNaN || y.isNaN { return .failure(CELEvalError("NaN values cannot be ordered")) }
            return .success(x < y ? -1 : (x > y ? 1 : 0))
        case (.int(let i), .double(let d)):
            return .success(compare(int: i, double: d))
        case (.double(let d), .int(let i)):
            if d.isNaN { return .failure(CELEvalError("NaN values cannot be ordered")) }
            return .success(-compare(int: i, double: d))
        default:
            return .failure(.noSuchOverload)
        }
    }

    /// cel-go `compareIntDouble`: doubles beyond the int range order outside it.
    static func compare(int i: Int64, double d: Double) -> Int {
        if d < -9_223_372_036_854_775_808.0 { return 1 }
        if d >= 9_223_372_036_854_775_808.0 { return -1 }
        let x = Double(i)
        return x < d ? -1 : (x > d ? 1 : 0)
    }
}

/// Arithmetic with cel-go's overflow and zero checks (`common/types/overflow.go`).
enum Arithmetic {
    static func binary(_ function: String, _ a: Value, _ b: Value) -> Outcome {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            let result: (partialValue: Int64, overflow: Bool)
            switch function {
            case "_+_": result = x.addingReportingOverflow(y)
            case "_-_": result = x.subtractingReportingOverflow(y)
            case "_*_": result = x.multipliedReportingOverflow(by: y)
            case "_/_":
                if y == 0 { return .failure(CELEvalError("division by zero")) }
                result = x.dividedReportingOverflow(by: y)
            case "_%_":
                if y == 0 { return .failure(CELEvalError("modulus by zero")) }
                result = x.remainderReportingOverflow(dividingBy: y)
            default: return .failure(.noSuchOverload)
            }
            return result.overflow ? .failure(.integerOverflow) : .success(.int(result.partialValue))
        case (.double(let x), .double(let y)):
            switch function {
            case "_+_": return .success(.double(x + y))
            case "_-_": return .success(.double(x - y))
            case "_*_": return .success(.double(x * y))
            case "_/_": return .success(.double(x / y))
            default: return .failure(.noSuchOverload)
            }
        case (.string(let x), .string(let y)) where function == "_+_":
            return .success(.string(x + y))
        case (.list(let x), .list(let y)) where function == "_+_":
            return concatenate(x, y)
        default:
            return .failure(.noSuchOverload)
        }
    }

    static func negate(_ a: Value) -> Outcome {
        switch a {
        case .int(let x):
            return x == .min ? .failure(.integerOverflow) : .success(.int(-x))
        case .double(let x):
            return .success(.double(-x))
        default:
            return .failure(.noSuchOverload)
        }
    }

    /// `+` on lists. Two data lists of the same kind merge as the API server
    /// merges them: a map list keeps each key once (later values win, at the
    /// earlier position), a set list appends only new elements.
    private static func concatenate(_ x: ListValue, _ y: ListValue) -> Outcome {
        var result: [Value] = []
        if case .data(let xs, let items, let listType, let keys) = x.storage,
            case .data(let ys, _, _, _) = y.storage, listType == "map" || listType == "set"
        {
            var raw = xs
            for element in ys {
                if listType == "set" {
                    if !raw.contains(where: { $0.isEquivalent(to: element) }) { raw.append(element) }
                } else if let i = raw.firstIndex(where: { mapKey($0, keys) == mapKey(element, keys) }) {
                    raw[i] = element
                } else {
                    raw.append(element)
                }
            }
            return .success(.list(ListValue(storage: .data(raw, items: items, listType: listType, mapKeys: keys))))
        }
        for list in [x, y] {
            for i in 0..<list.count {
                switch list.element(i) {
                case .success(let v): result.append(v)
                case .failure(let e): return .failure(e)
                }
            }
        }
        return .success(.list(ListValue(storage: .values(result))))
    }

    private static func mapKey(_ element: JSON, _ keys: [String]) -> [JSON?] {
        keys.map { key in element.objectValue.flatMap { DataReader.lookup($0, key) } }
    }
}
