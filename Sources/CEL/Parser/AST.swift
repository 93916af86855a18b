/// A parsed expression node. `offset` is the code point offset cel-go uses as
/// the node's location: the operator token for calls (`(` for function calls,
/// `.` for selections, `[` for indexing), the token itself for literals and
/// identifiers, and the macro call's `(` for what a macro expands to.
struct Expr: Sendable {
    let id: Int
    let offset: Int
    let kind: Kind

    indirect enum Kind: Sendable {
        case null
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case string(String)
        case ident(String)
        /// `operand.field`; `testOnly` is the presence test `has()` expands to.
        case select(operand: Expr, field: String, testOnly: Bool)
        /// Operators use cel-go's names (`_+_`, `!_`, `_[_]`, `@in`, `_?_:_`, ...).
        case call(function: String, target: Expr?, args: [Expr])
        case list([Expr])
        case map([MapEntry])
        /// `all`, `exists` and `exists_one`.
        case comprehension(Comprehension)
        /// `Name{...}` message construction; no message types exist in a CRD's environment.
        case createMessage(name: String)
        /// Valid CEL this module does not evaluate; `children` are still type-checked.
        case unsupported(String, children: [Expr])
    }

    struct MapEntry: Sendable {
        let key: Expr
        let value: Expr
    }

    struct Comprehension: Sendable {
        enum Macro: String, Sendable {
            case all, exists
            case existsOne = "exists_one"
        }
        let macro: Macro
        let variable: String
        let variableOffset: Int
        let range: Expr
        let predicate: Expr
    }

    /// Depth of the tree below and including this node, kept so that limits
    /// can be checked without walking the tree.
    let depth: Int

    /// The checker and the interpreter use up to about 5 KiB of stack per
    /// level in a debug build; deeper trees are walked on `LargeStack`.
    static let callerDepth = 24

    init(id: Int, offset: Int, kind: Kind) {
        self.id = id
        self.offset = offset
        self.kind = kind
        let below: Int
        switch kind {
        case .null, .bool, .int, .double, .string, .ident, .createMessage: below = 0
        case .select(let operand, _, _): below = operand.depth
        case .call(_, let target, let args): below = max(target?.depth ?? 0, args.map(\.depth).max() ?? 0)
        case .list(let items): below = items.map(\.depth).max() ?? 0
        case .map(let entries): below = entries.map { max($0.key.depth, $0.value.depth) }.max() ?? 0
        case .comprehension(let c): below = max(c.range.depth, c.predicate.depth)
        case .unsupported(_, let children): below = children.map(\.depth).max() ?? 0
        }
        depth = below + 1
    }
}
