import JSONValue
import LargeStack

/// A compile failure: cel-go's issues (`ERROR: <input>:L:C: ...` with the
/// source line and a caret), or one of the API server's own rule checks.
public struct CELCompileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// Syntax or type errors (cel-go `Issues`); the API server reports
        /// them as `compilation failed: <description>`.
        case issues([CELIssue])
        /// The rule type-checks but is not a bool.
        case notBool(CELType)
        /// The schema node carrying the rule has no CEL type.
        case unsupportedSchema(type: String, preserveUnknownFields: Bool)
    }

    public let reason: Reason

    /// The issues joined by newlines, or the API server's message for the other reasons.
    public var description: String {
        switch reason {
        case .issues(let issues):
            return issues.map(\.description).joined(separator: "\n")
        case .notBool:
            // apiextensions-apiserver pkg/apiserver/schema/cel/compilation.go compileRule
            return "cel expression must evaluate to a bool"
        case .unsupportedSchema(let type, let preserve):
            // compilation.go Compile
            return "rule declared on schema that does not support validation rules type: '\(type)' x-kubernetes-preserve-unknown-fields: '\(preserve)'"
        }
    }

    /// The detail of the API server's field error for the rule.
    public var apiServerDetail: String {
        if case .issues = reason { return "compilation failed: \(description)" }
        return description
    }

    public var issues: [CELIssue] {
        if case .issues(let issues) = reason { return issues }
        return []
    }
}

/// What `self` is in an expression.
public enum CELSelf: Sendable {
    /// The value at a node of an OpenAPI v3 structural schema; `isRoot` for
    /// the custom resource's root (it exposes `apiVersion`, `kind` and
    /// `metadata.name`/`generateName` only).
    case schema(JSON, isRoot: Bool)
    /// Any JSON value, typed `dyn` and read as it is (objects are maps).
    case dynamic
}

/// A parsed and type-checked expression, ready to evaluate on values of `self`.
public struct CELProgram: Sendable {
    public let source: String
    /// The expression's type.
    public let resultType: CELType
    private let expr: Expr
    private let selfSchema: SchemaNode
    private let patterns: [Int: RE2Pattern]

    /// Parses and checks an expression of any result type.
    public static func compile(_ source: String, self declaration: CELSelf) throws(CELCompileError) -> CELProgram {
        let text = SourceText(source)
        let schema: SchemaNode
        var declarations = Declarations()
        let selfType: CELType
        switch declaration {
        case .dynamic:
            schema = .anyJSON
            selfType = .dyn
        case .schema(let json, let isRoot):
            schema = SchemaNode(json, isResourceRoot: isRoot)
            guard let t = declarations.declare(schema, name: Declarations.rootName) else {
                throw CELCompileError(reason: .unsupportedSchema(
                    type: schema.type, preserveUnknownFields: schema.preserveUnknownFields))
            }
            selfType = t
        }
        let (parsed, parseIssues) = Parser.parse(text)
        guard let expr = parsed else {
            throw CELCompileError(reason: .issues(displayIssues(
                parseIssues.map { CELIssue(message: $0.message, offset: $0.offset, source: text) })))
        }
        // The checker and the validator recurse once per level of the tree (see `LargeStack`).
        let (resultType, issues, patterns) = LargeStack.run(if: expr.depth > Expr.callerDepth) {
            var checker = Checker(objects: declarations.objects, selfType: selfType)
            let resultType = checker.check(expr)
            var issues = checker.issues.map { CELIssue(message: $0.message, offset: $0.offset, source: text) }
            var patterns: [Int: RE2Pattern] = [:]
            if issues.isEmpty {
                var validator = Validator(checker: checker)
                validator.validate(expr)
                issues = validator.issues.map { CELIssue(message: $0.message, offset: $0.offset, source: text) }
                patterns = validator.patterns
            }
            return (resultType, issues, patterns)
        }
        guard issues.isEmpty else { throw CELCompileError(reason: .issues(displayIssues(issues))) }
        return CELProgram(source: source, resultType: resultType, expr: expr, selfSchema: schema, patterns: patterns)
    }

    /// Evaluates the expression with `self` bound to `value`.
    public func evaluate(self value: JSON) -> Result<CELValue, CELEvalError> {
        LargeStack.run(if: expr.depth > Expr.callerDepth) {
            var interpreter = Interpreter(patterns: patterns, selfValue: DataReader.value(value, selfSchema))
            return interpreter.evaluate(expr).flatMap(CELValue.from)
        }
    }

    /// Evaluates a rule: its result, or the error the API server reports.
    public func validate(self value: JSON) -> Result<Bool, CELEvalError> {
        evaluate(self: value).flatMap { result in
            guard case .bool(let b) = result else { return .failure(CELEvalError("no such overload")) }
            return .success(b)
        }
    }
}

/// CRD `x-kubernetes-validations` rules, compiled as the API server compiles
/// them when a CRD is written (apiextensions-apiserver
/// `pkg/apiserver/schema/cel/compilation.go`).
public enum CELRule {
    /// Compiles `source` for the schema node that carries it; the rule must be a bool.
    public static func compile(_ source: String, selfSchema: JSON, isRoot: Bool) throws(CELCompileError) -> CELProgram {
        let program = try CELProgram.compile(source, self: .schema(selfSchema, isRoot: isRoot))
        guard program.resultType == .bool else { throw CELCompileError(reason: .notBool(program.resultType)) }
        return program
    }
}

/// A CEL result as plain data.
public enum CELValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case list([CELValue])
    /// Entries in iteration order; object keys are the escaped property names.
    case map([CELMapEntry])
    /// Data CEL can only compare (`x-kubernetes-preserve-unknown-fields` without a type).
    case opaque(JSON)

    init(_ value: Value) throws(CELEvalError) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .opaque(let json): self = .opaque(json)
        case .list(let list):
            var items: [CELValue] = []
            for i in 0..<list.count { items.append(try CELValue(list.element(i).get())) }
            self = .list(items)
        case .map(let map):
            var entries: [CELMapEntry] = []
            for key in map.keys {
                guard let found = map.find(key) else { continue }  // a null property is absent
                entries.append(CELMapEntry(key: try CELValue(key), value: try CELValue(found.get())))
            }
            self = .map(entries)
        }
    }

    static func from(_ value: Value) -> Result<CELValue, CELEvalError> {
        Result { () throws(CELEvalError) -> CELValue in try CELValue(value) }
    }
}

public struct CELMapEntry: Sendable, Equatable {
    public let key: CELValue
    public let value: CELValue
}
