import JSONValue
import LargeStack

/// Turns parser events into `JSON` documents: resolves scalars and tags,
/// expands aliases and merge keys, turns scalar keys into strings, and
/// rejects what JSON cannot hold.
///
/// Decisions beyond YAML 1.1 itself:
/// - Duplicate keys in one mapping are an error (go-yaml v2 would keep the
///   last silently; the API server's strict field validation rejects them).
///   Keys merged in with `<<` never clash with explicit keys.
/// - Non-string scalar keys become the text of their value (`1` -> "1",
///   `yes` -> "true", `0x10` -> "16", `~` -> "null"), as sigs.k8s.io/yaml
///   does for bool, int and float keys. Sequence or mapping keys are an error.
/// - Merge keys: `<<: *a` or `<<: [*a, *b]` (or inline mappings); explicit
///   keys win wherever they appear, earlier merge sources win over later
///   ones; merged keys take the place of the `<<` entry in key order.
/// - An anchor may be redefined; aliases refer to the latest definition
///   before them. An alias to an anchor still being built (recursion) is an
///   error, like an undefined one.
/// - Unknown or local tags (`!Ref`, `!!set`) are ignored on sequences and
///   mappings and read scalars as strings; `!!binary` and `!!timestamp`
///   scalars stay strings.
struct Composer {
    private let parser: LibYAML.Parser
    private var lookahead: PositionedEvent?
    private var lastMark = YAMLMark.start
    private let limits: YAMLLimits
    private var anchors: [String: Composed] = [:]
    private var aliasedNodes = 0
    private let recordsPositions: Bool
    private var path: [PathComponent] = []
    /// With `recordsPositions`, where each value of each document starts.
    private(set) var positions: [SourcePositions] = []
    /// False on the caller's stack: nesting past `callerDepth` stops there
    /// with `needsLargeStack` set, to be composed again on `LargeStack`.
    private let onLargeStack: Bool
    /// Each level costs up to 8 KiB of stack in a debug build; 16 levels cover
    /// most manifests (a Deployment's deepest value is 9 levels down).
    static let callerDepth = 16
    private(set) var needsLargeStack = false

    /// A composed value with what the limits need to know about it.
    private struct Composed {
        var value: JSON
        var nodes: Int
        var height: Int
    }

    init(parser: LibYAML.Parser, limits: YAMLLimits, recordsPositions: Bool, onLargeStack: Bool) {
        self.parser = parser
        self.recordsPositions = recordsPositions
        self.limits = limits
        self.onLargeStack = onLargeStack
    }

    /// Every document of the stream; an empty document is `.null`. With
    /// `single`, a second document is an error at its start.
    mutating func documents(single: Bool = false) throws(YAMLError) -> [JSON] {
        var documents: [JSON] = []
        guard try next().event == .streamStart else { throw unexpected() }
        while true {
            let current = try next()
            switch current.event {
            case .streamEnd:
                return documents
            case .documentStart:
                if single, !documents.isEmpty {
                    throw YAMLError("expected a single YAML document, found a second one", at: current.mark)
                }
                anchors.removeAll()  // anchors are local to a document
                if recordsPositions { positions.append(SourcePositions()) }
                documents.append(try node(depth: 1).value)
                guard case .documentEnd = try next().event else { throw unexpected() }
            default:
                throw unexpected()
            }
        }
    }

    // MARK: Nodes

    private mutating func node(depth: Int) throws(YAMLError) -> Composed {
        let current = try next()
        if recordsPositions, !positions.isEmpty { positions[positions.count - 1].marks[path] = current.mark }
        switch current.event {
        case .scalar(let scalar):
            let composed = Composed(value: try scalarValue(scalar, at: current.mark), nodes: 1, height: 0)
            register(scalar.anchor, composed)
            return composed
        case .alias(let name):
            return try alias(name, depth: depth, at: current.mark)
        case .sequenceStart(let anchor, let tag, _):
            try checkCollectionTag(tag, kind: "a sequence", at: current.mark)
            try checkDepth(depth, at: current.mark)
            let composed = try sequence(depth: depth)
            register(anchor, composed)
            return composed
        case .mappingStart(let anchor, let tag, _):
            try checkCollectionTag(tag, kind: "a mapping", at: current.mark)
            try checkDepth(depth, at: current.mark)
            let composed = try mapping(depth: depth)
            register(anchor, composed)
            return composed
        default:
            throw YAMLError("unexpected event \(current.event)", at: current.mark)
        }
    }

    private mutating func sequence(depth: Int) throws(YAMLError) -> Composed {
        var items: [JSON] = []
        var nodes = 1
        var height = 1
        while true {
            if case .sequenceEnd = try peek().event {
                lookahead = nil
                return Composed(value: .array(items), nodes: nodes, height: height)
            }
            path.append(.index(items.count))
            let item = try node(depth: depth + 1)
            path.removeLast()
            items.append(item.value)
            nodes += item.nodes
            height = max(height, item.height + 1)
        }
    }

    private enum Entry {
        case explicit(String, JSON)
        case merge([JSONObject])
    }

    private mutating func mapping(depth: Int) throws(YAMLError) -> Composed {
        var entries: [Entry] = []
        var firstSeen: [String: YAMLMark] = [:]
        var nodes = 1
        var height = 1
        while true {
            let current = try peek()
            if case .mappingEnd = current.event {
                lookahead = nil
                return merged(entries, nodes: nodes, height: height)
            }
            let key = try self.key()
            switch key {
            case .string(let name): path.append(.key(name))
            case .merge: path.append(.index(-1))  // merge sources have no path of their own
            }
            let value = try node(depth: depth + 1)
            path.removeLast()
            height = max(height, value.height + 1)
            switch key {
            case .merge:
                entries.append(.merge(try mergeSources(value.value, at: current.mark)))
            case .string(let name):
                if let first = firstSeen[name] {
                    throw YAMLError("duplicate mapping key \"\(name)\" (first defined at \(first))", at: current.mark)
                }
                firstSeen[name] = current.mark
                entries.append(.explicit(name, value.value))
                nodes += value.nodes
            }
        }
    }

    private func merged(_ entries: [Entry], nodes: Int, height: Int) -> Composed {
        var explicitKeys = Set<String>()
        for case .explicit(let key, _) in entries { explicitKeys.insert(key) }
        var object = JSONObject()
        var nodes = nodes
        for entry in entries {
            switch entry {
            case .explicit(let key, let value):
                object[key] = value
            case .merge(let sources):
                for source in sources {
                    for (key, value) in source where !explicitKeys.contains(key) && object[key] == nil {
                        object[key] = value
                        nodes += value.nodeCount
                    }
                }
            }
        }
        return Composed(value: .object(object), nodes: nodes, height: height)
    }

    private func mergeSources(_ value: JSON, at mark: YAMLMark) throws(YAMLError) -> [JSONObject] {
        switch value {
        case .object(let object):
            return [object]
        case .array(let items):
            var sources: [JSONObject] = []
            for item in items {
                guard case .object(let object) = item else {
                    throw YAMLError("merge key \"<<\" needs mappings, found a list containing \(item.typeName)", at: mark)
                }
                sources.append(object)
            }
            return sources
        default:
            throw YAMLError(
                "merge key \"<<\" needs a mapping or a list of mappings, found \(value.typeName)", at: mark)
        }
    }

    // MARK: Keys

    private enum Key {
        case string(String)
        case merge
    }

    private mutating func key() throws(YAMLError) -> Key {
        let current = try next()
        switch current.event {
        case .scalar(let scalar):
            if scalar.style == .plain, scalar.tag == nil, scalar.value == "<<" {
                register(scalar.anchor, Composed(value: .string("<<"), nodes: 1, height: 0))
                return .merge
            }
            let value = try scalarValue(scalar, at: current.mark)
            register(scalar.anchor, Composed(value: value, nodes: 1, height: 0))
            return .string(Self.keyString(value))
        case .alias(let name):
            let target = try alias(name, depth: 1, at: current.mark)
            switch target.value {
            case .array, .object:
                throw YAMLError("mapping keys must be scalars, but alias *\(name) is \(target.value.typeName)", at: current.mark)
            default:
                return .string(Self.keyString(target.value))
            }
        case .sequenceStart:
            throw YAMLError("mapping keys must be scalars, found a sequence", at: current.mark)
        case .mappingStart:
            throw YAMLError("mapping keys must be scalars, found a mapping", at: current.mark)
        default:
            throw YAMLError("unexpected event \(current.event)", at: current.mark)
        }
    }

    /// The string a scalar key stands for (as sigs.k8s.io/yaml converts keys).
    static func keyString(_ value: JSON) -> String {
        switch value {
        case .string(let s): return s
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return ScalarFormat.double(d)
        case .array, .object: return value.serialized()
        }
    }

    // MARK: Aliases and anchors

    private mutating func alias(_ name: String, depth: Int, at mark: YAMLMark) throws(YAMLError) -> Composed {
        guard let target = anchors[name] else {
            throw YAMLError("unknown alias *\(name): no anchor &\(name) is defined before it", at: mark)
        }
        aliasedNodes += target.nodes
        if aliasedNodes > limits.maxAliasedNodes {
            throw YAMLError(
                "aliases expand to more than \(limits.maxAliasedNodes) nodes (alias *\(name)); "
                    + "refusing a possible alias bomb", at: mark)
        }
        if depth - 1 + target.height > limits.maxDepth {
            throw YAMLError("alias *\(name) nests values deeper than \(limits.maxDepth) levels", at: mark)
        }
        return target
    }

    private mutating func register(_ anchor: String?, _ composed: Composed) {
        if let anchor { anchors[anchor] = composed }
    }

    // MARK: Scalars and tags

    private func scalarValue(_ scalar: YAMLEvent.Scalar, at mark: YAMLMark) throws(YAMLError) -> JSON {
        guard let tag = scalar.tag else {
            return scalar.style == .plain ? ScalarResolver.resolvePlain(scalar.value) : .string(scalar.value)
        }
        let resolved = ScalarResolver.resolvePlain(scalar.value)
        func mismatch(_ expected: String) -> YAMLError {
            YAMLError("cannot read \"\(scalar.value)\" as \(Self.shortTag(tag)): not \(expected)", at: mark)
        }
        switch tag {
        case Self.yamlTag("int"):
            guard case .int = resolved else { throw mismatch("a 64-bit integer") }
            return resolved
        case Self.yamlTag("float"):
            switch resolved {
            case .double: return resolved
            case .int(let i): return .double(Double(i))
            default: throw mismatch("a number")
            }
        case Self.yamlTag("bool"):
            guard case .bool = resolved else { throw mismatch("a boolean") }
            return resolved
        case Self.yamlTag("null"):
            guard case .null = resolved else { throw mismatch("null") }
            return .null
        case Self.yamlTag("seq"), Self.yamlTag("map"):
            throw YAMLError("tag \(Self.shortTag(tag)) cannot apply to a scalar", at: mark)
        default:
            return .string(scalar.value)  // !!str, !, !!binary, !!timestamp, local tags
        }
    }

    private func checkCollectionTag(_ tag: String?, kind: String, at mark: YAMLMark) throws(YAMLError) {
        guard let tag else { return }
        let scalarTags = ["str", "int", "float", "bool", "null", "binary", "timestamp"].map(Self.yamlTag)
        let wrongCollection = kind == "a sequence" ? Self.yamlTag("map") : Self.yamlTag("seq")
        if scalarTags.contains(tag) || tag == wrongCollection {
            throw YAMLError("tag \(Self.shortTag(tag)) cannot apply to \(kind)", at: mark)
        }
    }

    private static func yamlTag(_ name: String) -> String { "tag:yaml.org,2002:" + name }

    private static func shortTag(_ tag: String) -> String {
        let prefix = "tag:yaml.org,2002:"
        return tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }

    private mutating func checkDepth(_ depth: Int, at mark: YAMLMark) throws(YAMLError) {
        if depth > Self.callerDepth && !onLargeStack {
            needsLargeStack = true
            throw YAMLError("nesting too deep for the caller's stack", at: mark)
        }
        if depth > limits.maxDepth {
            throw YAMLError("nesting deeper than \(limits.maxDepth) levels", at: mark)
        }
    }

    // MARK: Event stream

    private mutating func peek() throws(YAMLError) -> PositionedEvent {
        if let lookahead { return lookahead }
        let event = try parser.next()
        lookahead = event
        lastMark = event.mark
        return event
    }

    private mutating func next() throws(YAMLError) -> PositionedEvent {
        let event = try peek()
        lookahead = nil
        return event
    }

    private func unexpected() -> YAMLError {
        YAMLError("libyaml produced events out of order", at: lastMark)
    }
}

extension JSON {
    /// Number of values in this tree, itself included.
    var nodeCount: Int {
        switch self {
        case .array(let items): return items.reduce(1) { $0 + $1.nodeCount }
        case .object(let object): return object.values.reduce(1) { $0 + $1.nodeCount }
        default: return 1
        }
    }
}
