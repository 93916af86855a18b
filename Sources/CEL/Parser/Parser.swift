import LargeStack

/// A recursive-descent parser for cel-go's grammar (`parser/gen/CEL.g4`) that
/// expands the `has`, `all`, `exists` and `exists_one` macros as
/// `parser/macro.go` does and keeps the operator names and node locations
/// of `parser/parser.go`.
///
/// Syntax errors carry ANTLR's wording where the generated parser's error
/// strategy is predictable: a token that cannot start an operand is
/// "mismatched input 'x' expecting {...}" (or "extraneous input", deleted, when
/// the next token could start one), an absent closer is "missing ')' at 'x'"
/// when what follows could follow it, leftovers are "... expecting <EOF>", and
/// lexer errors are "token recognition error at: '...'". Parsing stops at the
/// first error ANTLR would recover from by resynchronising, so such inputs
/// get one error where cel-go may list a few more.
struct Parser {
    struct Issue: Sendable {
        let message: String
        /// nil for cel-go's `NoLocation` errors (limits).
        let offset: Int?
    }

    /// cel-go `parser.NewParser` defaults: `maxRecursionDepth` 250 and
    /// `expressionSizeCodePointLimit` 100_000.
    static let maxRecursionDepth = 250
    static let maxCodePoints = 100_000
    /// Ours, not cel-go's: the deepest tree the checker and the evaluator
    /// walk recursively. cel-go's per-rule limit still lets nested chains
    /// (`((a.b.c...).b.c...)`) grow far deeper than anything a rule needs.
    static let maxTreeDepth = 1000

    private let source: SourceText
    private var tokens: [Token] = []
    private var pos = 0
    private var nextID = 1
    private var issues: [Issue] = []
    private var ruleDepth: [Rule: Int] = [:]
    /// The sum of `ruleDepth`: how deeply the parser's functions recurse.
    private var nesting = 0
    /// False on the caller's stack, where nesting past `callerNesting` stops
    /// the parse so that it is run again on `LargeStack`.
    private let onLargeStack: Bool
    /// About 8 per level of parentheses: 12 levels stay on the caller's stack.
    static let callerNesting = 96
    private var frames: [Frame] = [.top]
    /// The expected set ANTLR reports at the next operand start when it is
    /// wider than FIRST(expr) (after `[`, `{`, `(` of a call, `[` of an index).
    private var expectedAtStart: TokenSet?

    private struct Stop: Error {}
    private struct NeedsLargeStack: Error {}

    /// ANTLR parser rules whose nesting the recursion listener counts.
    private enum Rule: Hashable {
        case expr, conditionalOr, conditionalAnd, relation, calc, unary, member, primary
    }

    /// Where the parser is, for what may follow a closing token.
    private enum Frame {
        case top, paren, callArgs, index, listElement, mapKey, mapValue, ternaryTrue, messageField

        var closers: [TokenKind] {
            switch self {
            case .top: return [.eof]
            case .paren: return [.rightParen]
            case .callArgs: return [.comma, .rightParen]
            case .index: return [.rightBracket]
            case .listElement: return [.comma, .rightBracket]
            case .mapKey, .ternaryTrue: return [.colon]
            case .mapValue, .messageField: return [.comma, .rightBrace]
            }
        }
    }

    init(_ source: SourceText, onLargeStack: Bool) {
        self.source = source
        self.onLargeStack = onLargeStack
    }

    /// The expression, or the issues that stop it from being one. Shallow
    /// text is parsed on the caller's stack, deeply nested text on `LargeStack`.
    static func parse(_ source: SourceText) -> (expr: Expr?, issues: [Issue]) {
        var parser = Parser(source, onLargeStack: false)
        if let result = parser.run() { return result }
        return LargeStack.run {
            var parser = Parser(source, onLargeStack: true)
            return parser.run() ?? (nil, [])
        }
    }

    /// Nil when the text nests too deeply for the caller's stack.
    private mutating func run() -> (expr: Expr?, issues: [Issue])? {
        if source.count > Self.maxCodePoints {
            return (nil, [Issue(
                message: "expression code point size exceeds limit: size: \(source.count), limit \(Self.maxCodePoints)",
                offset: nil)])
        }
        let (tokens, failures) = Lexer(source).tokenize()
        self.tokens = tokens
        for failure in failures {
            issues.append(Issue(message: "Syntax error: token recognition error at: '\(failure.text)'", offset: failure.offset))
        }
        do {
            let expr = try parseExpr()
            try expectEnd()
            return issues.isEmpty ? (expr, []) : (nil, issues)
        } catch is NeedsLargeStack {
            return nil
        } catch {
            return (nil, issues)
        }
    }

    // MARK: - Tokens

    private var peek: Token { tokens[pos] }
    private var peek2: Token { tokens[min(pos + 1, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return token
    }

    /// ANTLR `escapeWSAndQuote`.
    private static func quote(_ text: String) -> String {
        var out = "'"
        for c in text.unicodeScalars {
            switch c {
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "'"
    }

    private static func display(_ token: Token) -> String {
        token.kind == .eof ? "'<EOF>'" : quote(token.text)
    }

    // MARK: - Errors

    private mutating func report(_ message: String, at offset: Int?) {
        issues.append(Issue(message: message, offset: offset))
    }

    private mutating func fail(_ message: String, at offset: Int?) -> Stop {
        report(message, at: offset)
        return Stop()
    }

    /// The input text ANTLR quotes in "no viable alternative": from the token
    /// where the decision started through the offending one (hidden whitespace
    /// and comments included, EOF excluded).
    private func noViableAlternative(from start: Token, to offending: Token) -> String {
        let end = offending.kind == .eof ? source.count : offending.end
        let text = source.slice(start.start, end)
        // cel-go parser.go SyntaxError: a reserved word after '.' keeps the older message.
        if start.kind == .dot, offending.kind == .trueKeyword || offending.kind == .falseKeyword
            || offending.kind == .nullKeyword, text == "." + offending.text
        {
            return "Syntax error: mismatched input '\(offending.text)' expecting IDENTIFIER"
        }
        return "Syntax error: no viable alternative at input \(Self.quote(text))"
    }

    /// ANTLR `DefaultErrorStrategy.Sync` at the start of an optional block or
    /// an operand: delete one token when the next one fits (extraneous input),
    /// otherwise stop (mismatched input).
    private mutating func sync(_ expected: TokenSet) throws {
        while !expected.contains(peek.kind) {
            let token = peek
            if token.kind != .eof, expected.contains(peek2.kind) {
                report("Syntax error: extraneous input \(Self.display(token)) expecting \(expected.display)", at: token.start)
                advance()
                continue
            }
            throw fail("Syntax error: mismatched input \(Self.display(token)) expecting \(expected.display)", at: token.start)
        }
    }

    /// The sync before an operand: like `sync`, but the set ANTLR reports
    /// may be wider than what can start an operand here.
    private mutating func syncOperand(reporting expected: TokenSet, allowed: TokenSet) throws {
        while !allowed.contains(peek.kind) {
            let token = peek
            if token.kind != .eof, allowed.contains(peek2.kind) {
                report("Syntax error: extraneous input \(Self.display(token)) expecting \(expected.display)", at: token.start)
                advance()
                continue
            }
            throw fail("Syntax error: mismatched input \(Self.display(token)) expecting \(expected.display)", at: token.start)
        }
    }

    /// ANTLR `recoverInline` for a required token: delete one extra token,
    /// conjure a missing one when the current token could follow it, or stop.
    private mutating func expect(_ kind: TokenKind, followedBy follow: TokenSet) throws {
        if peek.kind == kind {
            advance()
            return
        }
        let token = peek
        let expected = TokenSet([kind]).display
        if token.kind != .eof, peek2.kind == kind {
            report("Syntax error: extraneous input \(Self.display(token)) expecting \(expected)", at: token.start)
            advance()
            advance()
            return
        }
        if kind != .eof, follow.contains(token.kind) {
            report("Syntax error: missing \(expected) at \(Self.display(token))", at: token.start)
            return
        }
        throw fail("Syntax error: mismatched input \(Self.display(token)) expecting \(expected)", at: token.start)
    }

    /// What may follow a token that closes an operand in the current frame.
    private var followAfterOperand: TokenSet {
        TokenSet.operandFollow.union(frames.last?.closers ?? [.eof])
    }

    private mutating func expectEnd() throws {
        try expect(.eof, followedBy: TokenSet([]))
    }

    private mutating func enter(_ rule: Rule, _ count: Int = 1) throws {
        let depth = (ruleDepth[rule] ?? 0) + count
        ruleDepth[rule] = depth
        nesting += count
        if nesting > Self.callerNesting && !onLargeStack { throw NeedsLargeStack() }
        if depth > Self.maxRecursionDepth {
            // cel-go parser.go recursionListener, reported at NoLocation.
            throw fail("expression recursion limit exceeded: \(Self.maxRecursionDepth)", at: nil)
        }
    }

    private mutating func leave(_ rule: Rule, _ count: Int = 1) {
        ruleDepth[rule, default: 0] -= count
        nesting -= count
    }

    private mutating func node(_ kind: Expr.Kind, at offset: Int) throws -> Expr {
        let expr = Expr(id: nextID, offset: offset, kind: kind)
        nextID += 1
        if expr.depth > Self.maxTreeDepth {
            throw fail(
                "expression nesting exceeds \(Self.maxTreeDepth) levels, the limit of this test API server's CEL subset",
                at: nil)
        }
        return expr
    }

    private mutating func withFrame<T>(_ frame: Frame, _ body: (inout Parser) throws -> T) rethrows -> T {
        frames.append(frame)
        defer { frames.removeLast() }
        return try body(&self)
    }

    // MARK: - Expressions

    /// expr : conditionalOr ('?' conditionalOr ':' expr)?
    private mutating func parseExpr() throws -> Expr {
        try enter(.expr)
        defer { leave(.expr) }
        let condition = try parseLogical(.logicalOr)
        guard peek.kind == .question else { return condition }
        let question = advance()
        let whenTrue = try withFrame(.ternaryTrue) { try $0.parseLogical(.logicalOr) }
        try expect(.colon, followedBy: .expressionStart)
        let whenFalse = try parseExpr()
        return try node(.call(function: "_?_:_", target: nil, args: [condition, whenTrue, whenFalse]), at: question.start)
    }

    /// conditionalOr and conditionalAnd: loops whose terms cel-go balances
    /// into a tree (`parser/helper.go` balancingLogicManager).
    private mutating func parseLogical(_ op: TokenKind) throws -> Expr {
        let rule: Rule = op == .logicalOr ? .conditionalOr : .conditionalAnd
        try enter(rule)
        defer { leave(rule) }
        func term(_ p: inout Parser) throws -> Expr {
            op == .logicalOr ? try p.parseLogical(.logicalAnd) : try p.parseRelation()
        }
        var terms = [try term(&self)]
        var operators: [Int] = []
        while peek.kind == op {
            operators.append(advance().start)
            terms.append(try term(&self))
        }
        if terms.count == 1 { return terms[0] }
        return try balanced(op == .logicalOr ? "_||_" : "_&&_", terms, operators, 0, operators.count - 1)
    }

    private mutating func balanced(_ function: String, _ terms: [Expr], _ ops: [Int], _ low: Int, _ high: Int) throws -> Expr {
        let mid = (low + high + 1) / 2
        let left = mid == low ? terms[mid] : try balanced(function, terms, ops, low, mid - 1)
        let right = mid == high ? terms[mid + 1] : try balanced(function, terms, ops, mid + 1, high)
        return try node(.call(function: function, target: nil, args: [left, right]), at: ops[mid])
    }

    private static let relations: [TokenKind: String] = [
        .equals: "_==_", .notEquals: "_!=_", .less: "_<_", .lessEquals: "_<=_", .greater: "_>_",
        .greaterEquals: "_>=_", .inKeyword: "@in",
    ]

    /// relation : calc | relation op relation (left-recursive: one level, left associative)
    private mutating func parseRelation() throws -> Expr {
        try enter(.relation)
        var pushes = 0
        defer { leave(.relation, 1 + pushes) }
        var lhs = try parseCalc(minPrecedence: 0)
        while let function = Self.relations[peek.kind] {
            let op = advance()
            try enter(.relation)
            pushes += 1
            try enter(.relation)
            let rhs = try parseCalc(minPrecedence: 0)
            leave(.relation)
            lhs = try node(.call(function: function, target: nil, args: [lhs, rhs]), at: op.start)
        }
        return lhs
    }

    /// calc : unary | calc ('*'|'/'|'%') calc | calc ('+'|'-') calc
    private mutating func parseCalc(minPrecedence: Int) throws -> Expr {
        try enter(.calc)
        var pushes = 0
        defer { leave(.calc, 1 + pushes) }
        var lhs = try parseUnary()
        while true {
            let precedence: Int
            let function: String
            switch peek.kind {
            case .star: (precedence, function) = (2, "_*_")
            case .slash: (precedence, function) = (2, "_/_")
            case .percent: (precedence, function) = (2, "_%_")
            case .plus: (precedence, function) = (1, "_+_")
            case .minus: (precedence, function) = (1, "_-_")
            default: return lhs
            }
            if precedence < minPrecedence { return lhs }
            let op = advance()
            try enter(.calc)
            pushes += 1
            let rhs = try parseCalc(minPrecedence: precedence + 1)
            lhs = try node(.call(function: function, target: nil, args: [lhs, rhs]), at: op.start)
        }
    }

    /// unary : member | '!'+ member | '-'+ member. An odd run of `!` or `-`
    /// is one operator, an even run none (`VisitLogicalNot`, `VisitNegate`);
    /// a single `-` before a number is part of the literal.
    private mutating func parseUnary() throws -> Expr {
        try enter(.unary)
        defer { leave(.unary) }
        let expected = expectedAtStart ?? .expressionStart
        expectedAtStart = nil
        try syncOperand(reporting: expected, allowed: .expressionStart)
        let first = peek
        switch first.kind {
        case .exclamation:
            var count = 0
            while peek.kind == .exclamation {
                advance()
                count += 1
            }
            try syncOperand(reporting: .expressionStart, allowed: TokenSet.memberStart.union([.minus]))
            let operand = try parseMember(negative: nil)
            return count % 2 == 1 ? try node(.call(function: "!_", target: nil, args: [operand]), at: first.start) : operand
        case .minus:
            var run: [Token] = []
            while peek.kind == .minus { run.append(advance()) }
            let next = peek
            if run.count == 1, next.kind == .numInt || next.kind == .numFloat {
                return try parseMember(negative: run[0])
            }
            guard TokenSet.memberStart.contains(next.kind) else {
                report(noViableAlternative(from: run[run.count - 1], to: next), at: next.start)
                if next.kind == .eof {
                    report("Syntax error: mismatched input '<EOF>' expecting \(TokenSet.expressionStart.display)", at: next.start)
                }
                throw Stop()
            }
            let operand = try parseMember(negative: nil)
            return run.count % 2 == 1 ? try node(.call(function: "-_", target: nil, args: [operand]), at: first.start) : operand
        default:
            return try parseMember(negative: nil)
        }
    }

    /// member : primary | member '.' IDENTIFIER ('(' exprList? ')')? | member '[' '?'? expr ']'
    private mutating func parseMember(negative: Token?) throws -> Expr {
        try enter(.member)
        var pushes = 0
        defer { leave(.member, 1 + pushes) }
        var expr = try parsePrimary(negative: negative)
        while true {
            switch peek.kind {
            case .dot:
                let dot = advance()
                var optional = false
                if peek.kind == .question {
                    advance()
                    optional = true
                }
                guard peek.kind == .identifier else {
                    throw fail(noViableAlternative(from: dot, to: peek), at: peek.start)
                }
                let name = advance()
                try enter(.member)
                pushes += 1
                if optional {
                    expr = try node(.unsupported("optional field selection '.?'", children: [expr]), at: dot.start)
                } else if peek.kind == .leftParen {
                    let paren = advance()
                    let args = try parseArguments()
                    expr = try receiverCallOrMacro(name.text, target: expr, args: args, at: paren.start)
                } else {
                    expr = try node(.select(operand: expr, field: name.text, testOnly: false), at: dot.start)
                }
            case .leftBracket:
                let bracket = advance()
                var optional = false
                if peek.kind == .question {
                    advance()
                    optional = true
                } else {
                    expectedAtStart = TokenSet.expressionStart.union([.question])
                }
                let index = try withFrame(.index) { try $0.parseExpr() }
                try expect(.rightBracket, followedBy: followAfterOperand)
                try enter(.member)
                pushes += 1
                expr = optional
                    ? try node(.unsupported("optional index '[?'", children: [expr, index]), at: bracket.start)
                    : try node(.call(function: "_[_]", target: nil, args: [expr, index]), at: bracket.start)
            default:
                return expr
            }
        }
    }

    /// `'(' exprList? ')'` after the opening parenthesis.
    private mutating func parseArguments() throws -> [Expr] {
        var args: [Expr] = []
        try sync(TokenSet.expressionStart.union([.rightParen]))
        if peek.kind != .rightParen {
            try withFrame(.callArgs) { p in
                args.append(try p.parseExpr())
                while p.peek.kind == .comma {
                    p.advance()
                    args.append(try p.parseExpr())
                }
            }
        }
        try expect(.rightParen, followedBy: followAfterOperand)
        return args
    }

    private static let reservedIdentifiers: Set<String> = [
        "as", "break", "const", "continue", "else", "false", "for", "function", "if", "import", "in", "let",
        "loop", "package", "namespace", "null", "return", "true", "var", "void", "while",
    ]

    private mutating func parsePrimary(negative: Token?) throws -> Expr {
        try enter(.primary)
        defer { leave(.primary) }
        if let sign = negative { return try numberLiteral(advance(), sign: sign) }
        let token = peek
        switch token.kind {
        case .leftParen:
            advance()
            let inner = try withFrame(.paren) { try $0.parseExpr() }
            try expect(.rightParen, followedBy: followAfterOperand)
            return inner
        case .leftBracket:
            return try parseList()
        case .leftBrace:
            return try parseMap()
        case .dot, .identifier:
            return try parseIdentifier()
        case .numInt, .numFloat:
            return try numberLiteral(advance(), sign: nil)
        case .numUint:
            advance()
            if Literals.uint(token.text) == nil {
                report("invalid uint literal", at: token.start)
            }
            return try node(.unsupported("uint literal \(token.text)", children: []), at: token.start)
        case .string:
            advance()
            guard let value = Literals.unescape(token.text) else {
                report("unable to unescape string", at: token.start)
                return try node(.string(""), at: token.start)
            }
            return try node(.string(value), at: token.start)
        case .bytes:
            advance()
            if Literals.unescape(String(token.text.dropFirst())) == nil {
                report("unable to unescape string", at: token.start)
            }
            return try node(.unsupported("bytes literal", children: []), at: token.start)
        case .trueKeyword:
            advance()
            return try node(.bool(true), at: token.start)
        case .falseKeyword:
            advance()
            return try node(.bool(false), at: token.start)
        case .nullKeyword:
            advance()
            return try node(.null, at: token.start)
        case .minus:
            // After a run of `!`: only a negative number may start with `-`.
            advance()
            guard peek.kind == .numInt || peek.kind == .numFloat else {
                throw fail(noViableAlternative(from: token, to: peek), at: peek.start)
            }
            return try numberLiteral(advance(), sign: token)
        default:
            throw fail("Syntax error: mismatched input \(Self.display(token)) expecting \(TokenSet.expressionStart.display)",
                at: token.start)
        }
    }

    private mutating func numberLiteral(_ token: Token, sign: Token?) throws -> Expr {
        let offset = sign?.start ?? token.start
        if token.kind == .numInt {
            guard let value = Literals.int(token.text, negative: sign != nil) else {
                report("invalid int literal", at: offset)
                return try node(.int(0), at: offset)
            }
            return try node(.int(value), at: offset)
        }
        guard let value = Literals.double(token.text, negative: sign != nil) else {
            report("invalid double literal", at: offset)
            return try node(.double(0), at: offset)
        }
        return try node(.double(value), at: offset)
    }

    /// `'.'? IDENTIFIER ('(' exprList? ')')?`, or message construction
    /// `'.'? IDENTIFIER ('.' IDENTIFIER)* '{' ... '}'`.
    private mutating func parseIdentifier() throws -> Expr {
        let start = peek
        var prefix = ""
        if start.kind == .dot {
            advance()
            prefix = "."
            guard peek.kind == .identifier else {
                throw fail(noViableAlternative(from: start, to: peek), at: peek.start)
            }
        }
        let id = advance()
        var lookahead = pos
        var qualified = prefix + id.text
        while tokens[lookahead].kind == .dot, tokens[min(lookahead + 1, tokens.count - 1)].kind == .identifier {
            qualified += "." + tokens[lookahead + 1].text
            lookahead += 2
        }
        if tokens[lookahead].kind == .leftBrace {
            pos = lookahead
            return try parseMessage(named: qualified)
        }
        let name = prefix + id.text
        if Self.reservedIdentifiers.contains(id.text) {
            report("reserved identifier: \(id.text)", at: start.start)
        }
        if peek.kind == .leftParen {
            let paren = advance()
            let args = try parseArguments()
            return try globalCallOrMacro(name, args: args, at: paren.start)
        }
        return try node(.ident(name), at: id.start)
    }

    /// `'[' listInit? ','? ']'`
    private mutating func parseList() throws -> Expr {
        let bracket = advance()
        var items: [Expr] = []
        let elementStart = TokenSet.expressionStart.union([.question])
        try sync(elementStart.union([.comma, .rightBracket]))
        if elementStart.contains(peek.kind) {
            try withFrame(.listElement) { p in
                while true {
                    items.append(try p.parseOptionalElement(kind: "list element"))
                    guard p.peek.kind == .comma, elementStart.contains(p.peek2.kind) else { break }
                    p.advance()
                }
            }
        }
        try sync(TokenSet([.comma, .rightBracket]))
        if peek.kind == .comma { advance() }
        try expect(.rightBracket, followedBy: followAfterOperand)
        return try node(.list(items), at: bracket.start)
    }

    /// `'?'? expr` in a list literal.
    private mutating func parseOptionalElement(kind: String) throws -> Expr {
        if peek.kind == .question {
            let question = advance()
            let expr = try parseExpr()
            return try node(.unsupported("optional \(kind) '?'", children: [expr]), at: question.start)
        }
        return try parseExpr()
    }

    /// `'{' mapInitializerList? ','? '}'`
    private mutating func parseMap() throws -> Expr {
        let brace = advance()
        var entries: [Expr.MapEntry] = []
        var optional = false
        let keyStart = TokenSet.expressionStart.union([.question])
        try sync(keyStart.union([.comma, .rightBrace]))
        if keyStart.contains(peek.kind) {
            while true {
                let isOptional = peek.kind == .question
                if isOptional { advance() }
                optional = optional || isOptional
                let key = try withFrame(.mapKey) { try $0.parseExpr() }
                try expect(.colon, followedBy: .expressionStart)
                let value = try withFrame(.mapValue) { try $0.parseExpr() }
                entries.append(Expr.MapEntry(key: key, value: value))
                guard peek.kind == .comma, keyStart.contains(peek2.kind) else { break }
                advance()
            }
        }
        try sync(TokenSet([.comma, .rightBrace]))
        if peek.kind == .comma { advance() }
        try expect(.rightBrace, followedBy: followAfterOperand)
        let map = try node(.map(entries), at: brace.start)
        return optional ? try node(.unsupported("optional map entry '?'", children: [map]), at: brace.start) : map
    }

    /// `'{' fieldInitializerList? ','? '}'` after a qualified name.
    private mutating func parseMessage(named name: String) throws -> Expr {
        let brace = advance()
        let fieldStart = TokenSet([.question, .identifier, .escapedIdentifier])
        try sync(fieldStart.union([.comma, .rightBrace]))
        if fieldStart.contains(peek.kind) {
            while true {
                if peek.kind == .question { advance() }
                try sync(TokenSet([.identifier, .escapedIdentifier]))
                advance()
                try expect(.colon, followedBy: .expressionStart)
                _ = try withFrame(.messageField) { try $0.parseExpr() }
                guard peek.kind == .comma, fieldStart.contains(peek2.kind) else { break }
                advance()
            }
        }
        try sync(TokenSet([.comma, .rightBrace]))
        if peek.kind == .comma { advance() }
        try expect(.rightBrace, followedBy: followAfterOperand)
        return try node(.createMessage(name: name), at: brace.start)
    }

    // MARK: - Macros (parser/macro.go)

    private mutating func globalCallOrMacro(_ name: String, args: [Expr], at offset: Int) throws -> Expr {
        if name == "has", args.count == 1 {
            guard case .select(let operand, let field, false) = args[0].kind else {
                report("invalid argument to has() macro", at: args[0].offset)
                return try node(.bool(false), at: offset)
            }
            return try node(.select(operand: operand, field: field, testOnly: true), at: offset)
        }
        return try node(.call(function: name, target: nil, args: args), at: offset)
    }

    private mutating func receiverCallOrMacro(_ name: String, target: Expr, args: [Expr], at offset: Int) throws -> Expr {
        if let macro = Expr.Comprehension.Macro(rawValue: name), args.count == 2 {
            guard case .ident(let variable) = args[0].kind else {
                report("argument must be a simple name", at: args[0].offset)
                return try node(.bool(false), at: offset)
            }
            if variable == "__result__" {
                report("iteration variable overwrites accumulator variable", at: args[0].offset)
            }
            return try node(.comprehension(Expr.Comprehension(
                macro: macro, variable: variable, variableOffset: args[0].offset, range: target, predicate: args[1])),
                at: offset)
        }
        if let description = Self.unsupportedMacro(name, arguments: args.count) {
            return try node(.unsupported(description, children: [target]), at: offset)
        }
        return try node(.call(function: name, target: target, args: args), at: offset)
    }

    /// Receiver-style macros of cel-go and of the libraries Kubernetes adds
    /// (two-variable comprehensions, optional types) that this module does not expand.
    private static func unsupportedMacro(_ name: String, arguments: Int) -> String? {
        switch (name, arguments) {
        case ("map", 2), ("map", 3), ("filter", 2): return "macro '\(name)'"
        case ("all", 3), ("exists", 3), ("exists_one", 3), ("existsOne", 3):
            return "macro '\(name)' with two iteration variables"
        case ("existsOne", 2): return "macro 'existsOne' (use exists_one)"
        case ("transformList", 3), ("transformList", 4), ("transformMap", 3), ("transformMap", 4),
            ("transformMapEntry", 3), ("transformMapEntry", 4), ("optMap", 2), ("optFlatMap", 2):
            return "macro '\(name)'"
        default: return nil
        }
    }
}
