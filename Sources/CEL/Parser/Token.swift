/// Token kinds of cel-go's `CEL.g4` lexer, numbered as ANTLR numbers them so
/// that expected-token sets print in the same order as in ANTLR's messages.
enum TokenKind: Int, Sendable, CaseIterable {
    case eof = 0
    case equals = 1, notEquals, inKeyword, less, lessEquals, greaterEquals, greater, logicalAnd, logicalOr
    case leftBracket = 10, rightBracket, leftBrace, rightBrace, leftParen, rightParen
    case dot = 16, comma, minus, exclamation, question, colon, plus, star, slash, percent
    case trueKeyword = 26, falseKeyword, nullKeyword
    case numFloat = 31, numInt, numUint, string, bytes, identifier, escapedIdentifier

    /// How ANTLR names the token in "expecting ..." sets: the literal for
    /// fixed tokens, the symbolic name otherwise.
    var displayName: String {
        switch self {
        case .eof: return "<EOF>"
        case .equals: return "'=='"
        case .notEquals: return "'!='"
        case .inKeyword: return "'in'"
        case .less: return "'<'"
        case .lessEquals: return "'<='"
        case .greaterEquals: return "'>='"
        case .greater: return "'>'"
        case .logicalAnd: return "'&&'"
        case .logicalOr: return "'||'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .dot: return "'.'"
        case .comma: return "','"
        case .minus: return "'-'"
        case .exclamation: return "'!'"
        case .question: return "'?'"
        case .colon: return "':'"
        case .plus: return "'+'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .percent: return "'%'"
        case .trueKeyword: return "'true'"
        case .falseKeyword: return "'false'"
        case .nullKeyword: return "'null'"
        case .numFloat: return "NUM_FLOAT"
        case .numInt: return "NUM_INT"
        case .numUint: return "NUM_UINT"
        case .string: return "STRING"
        case .bytes: return "BYTES"
        case .identifier: return "IDENTIFIER"
        case .escapedIdentifier: return "ESC_IDENTIFIER"
        }
    }
}

struct Token: Sendable {
    let kind: TokenKind
    /// Code point offsets of the token in the source, end exclusive.
    let start: Int
    let end: Int
    let text: String
}

/// A set of token kinds, printed like ANTLR's `IntervalSet.StringVerbose`.
struct TokenSet: Sendable, Equatable {
    private(set) var bits: UInt64 = 0

    init(_ kinds: [TokenKind]) {
        for k in kinds { bits |= 1 << UInt64(k.rawValue) }
    }

    private init(bits: UInt64) { self.bits = bits }

    func contains(_ kind: TokenKind) -> Bool { bits & (1 << UInt64(kind.rawValue)) != 0 }
    func union(_ other: TokenSet) -> TokenSet { TokenSet(bits: bits | other.bits) }
    func union(_ kinds: [TokenKind]) -> TokenSet { union(TokenSet(kinds)) }

    /// `'x'` for one token, `{'a', 'b'}` for several, in token-type order.
    var display: String {
        let members = TokenKind.allCases.filter(contains)
        if members.count == 1 { return members[0].displayName }
        return "{" + members.map(\.displayName).joined(separator: ", ") + "}"
    }

    /// What may start an expression: FIRST(unary) in `CEL.g4`.
    static let expressionStart = TokenSet([
        .leftBracket, .leftBrace, .leftParen, .dot, .minus, .exclamation, .trueKeyword, .falseKeyword,
        .nullKeyword, .numFloat, .numInt, .numUint, .string, .bytes, .identifier,
    ])
    /// What may start a member (an operand without a leading `!` or `-`, apart from a negative number).
    static let memberStart = TokenSet([
        .leftBracket, .leftBrace, .leftParen, .dot, .trueKeyword, .falseKeyword, .nullKeyword,
        .numFloat, .numInt, .numUint, .string, .bytes, .identifier,
    ])
    /// Everything that may follow a complete operand inside an expression.
    static let operandFollow = TokenSet([
        .equals, .notEquals, .inKeyword, .less, .lessEquals, .greaterEquals, .greater, .logicalAnd,
        .logicalOr, .leftBracket, .dot, .minus, .question, .plus, .star, .slash, .percent,
    ])
}
