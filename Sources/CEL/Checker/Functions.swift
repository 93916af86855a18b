/// The functions this subset declares, with the overloads cel-go's standard
/// library declares for them (`common/stdlib/standard.go`), restricted to the
/// types a CRD schema can produce (no uint, bytes, timestamp or duration).
/// Cross-type numeric comparisons are declared because Kubernetes enables
/// `cel.CrossTypeNumericComparisons` (apiserver `pkg/cel/environment/base.go`, 1.28+).
enum Functions {
    struct Overload: Sendable {
        let args: [CELType]
        let result: CELType
        let isMember: Bool
    }

    private static let a = CELType.typeParam("A")
    private static let b = CELType.typeParam("B")

    private static func global(_ args: [CELType], _ result: CELType) -> Overload {
        Overload(args: args, result: result, isMember: false)
    }

    private static func member(_ args: [CELType], _ result: CELType) -> Overload {
        Overload(args: args, result: result, isMember: true)
    }

    private static let ordering: [Overload] = [
        global([.bool, .bool], .bool), global([.int, .int], .bool), global([.int, .double], .bool),
        global([.double, .double], .bool), global([.double, .int], .bool), global([.string, .string], .bool),
    ]
    private static let arithmetic: [Overload] = [global([.double, .double], .double), global([.int, .int], .int)]

    static let conditional = [global([.bool, a, a], a)]

    static let overloads: [String: [Overload]] = [
        "_==_": [global([a, a], .bool)],
        "_!=_": [global([a, a], .bool)],
        "_<_": ordering, "_<=_": ordering, "_>_": ordering, "_>=_": ordering,
        "_+_": [
            global([.double, .double], .double), global([.int, .int], .int),
            global([.list(a), .list(a)], .list(a)), global([.string, .string], .string),
        ],
        "_-_": arithmetic, "_*_": arithmetic, "_/_": arithmetic,
        "_%_": [global([.int, .int], .int)],
        "-_": [global([.double], .double), global([.int], .int)],
        "!_": [global([.bool], .bool)],
        "_?_:_": conditional,
        "@in": [global([a, .list(a)], .bool), global([a, .map(a, b)], .bool)],
        "_[_]": [global([.list(a), .int], a), global([.map(a, b), a], b)],
        "size": [
            global([.list(a)], .int), member([.list(a)], .int), global([.map(a, b)], .int),
            member([.map(a, b)], .int), global([.string], .int), member([.string], .int),
        ],
        "matches": [global([.string, .string], .bool), member([.string, .string], .bool)],
        "contains": [member([.string, .string], .bool)],
        "endsWith": [member([.string, .string], .bool)],
        "startsWith": [member([.string, .string], .bool)],
    ]

    /// Functions and variables of the Kubernetes CEL environment this subset
    /// does not implement: using them is an "unsupported" error rather than
    /// cel-go's "undeclared reference", so a valid rule is never mistaken for
    /// a misspelt one. (cel-go stdlib, ext.Strings/Sets, optional types and
    /// the apiserver `pkg/cel/library` libraries.)
    static let unsupported: Set<String> = [
        // conversions and types
        "int", "uint", "double", "string", "bytes", "bool", "dyn", "type", "duration", "timestamp",
        // timestamps and durations
        "getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek", "getHours",
        "getMinutes", "getSeconds", "getMilliseconds",
        // ext.Strings
        "charAt", "indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "replace", "split", "substring", "trim",
        "join", "reverse", "format", "quote",
        // Kubernetes lists, regex, URLs, quantities, IPs and CIDRs, semver, format, authorizer
        "isSorted", "sum", "min", "max", "find", "findAll", "url", "isURL", "getScheme", "getHost", "getHostname",
        "getPort", "getEscapedPath", "getQuery", "quantity", "isQuantity", "sign", "isGreaterThan", "isLessThan",
        "compareTo", "add", "sub", "asInteger", "asApproximateFloat", "isInteger", "ip", "isIP", "family",
        "isUnspecified", "isLoopback", "isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast", "cidr",
        "isCIDR", "containsIP", "containsCIDR", "prefixLength", "masked", "semver", "isSemver", "major", "minor",
        "patch", "validate", "authorizer",
        // optional values
        "hasValue", "value", "orValue", "or",
    ]

    /// Namespaced functions (`sets.contains(...)`) of the Kubernetes environment.
    static let unsupportedNamespaced: Set<String> = [
        "sets.contains", "sets.equivalent", "sets.intersects", "strings.quote", "optional.of",
        "optional.ofNonZeroValue", "optional.none", "ip.isCanonical", "format.named", "format.dns1123Label",
        "format.dns1123Subdomain", "format.dns1035Label", "format.qualifiedName", "format.dns1123LabelPrefix",
        "format.dns1123SubdomainPrefix", "format.dns1035LabelPrefix", "format.labelValue", "format.uri",
        "format.uuid", "format.byte", "format.date", "format.datetime", "lists.range",
    ]

    /// Identifiers cel-go declares that this subset does not: type values
    /// and the transition rule's `oldSelf`.
    static func unsupportedIdentifier(_ name: String) -> String? {
        switch name {
        case "oldSelf": return "variable 'oldSelf' (transition rules)"
        case "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn":
            return "type identifier '\(name)'"
        default: return nil
        }
    }
}
