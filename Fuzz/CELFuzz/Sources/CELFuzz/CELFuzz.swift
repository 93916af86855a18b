import CEL
import JSONValue

/// One fuzz input: a CEL expression, a 0 byte, then a JSON value for `self`.
/// The expression is compiled twice, for `self` typed by a small schema and
/// for `self` as plain JSON (`dyn`). Compiling answers a program or a
/// `CELCompileError` (cel-go's `ERROR: <input>:L:C:` issues or one of the
/// server's fixed messages); nothing crashes. A program evaluated twice gives
/// the same answer, and a bool program obeys CEL's logic with errors:
/// `(P) || true` is true and `(P) && false` is false whatever P does, and
/// `!(P)` is the negation of P's value or P's error.
@_cdecl("LLVMFuzzerTestOneInput")
public func celFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let source = String(decoding: bytes[..<split], as: UTF8.self)
    let valueText = split < bytes.count ? Array(bytes[(split + 1)...]) : Array("{}".utf8)
    guard let value = try? JSON.parse(valueText) else { return 0 }
    for declaration in [CELSelf.schema(schema, isRoot: false), CELSelf.dynamic] {
        check(source, declaration, value)
    }
    return 0
}

/// `self` as a small structural schema: integers, a bounded string, a list and a map.
private let schema: JSON = [
    "type": "object",
    "properties": [
        "min": ["type": "integer"], "max": ["type": "integer"], "ratio": ["type": "number"],
        "policy": ["type": "string", "maxLength": 16],
        "names": ["type": "array", "maxItems": 8, "items": ["type": "string"]],
        "labels": ["type": "object", "additionalProperties": ["type": "string"]],
        "nested": ["type": "object", "properties": ["flag": ["type": "boolean"]]],
    ],
]

private func check(_ source: String, _ declaration: CELSelf, _ value: JSON) {
    let program: CELProgram
    do {
        program = try CELProgram.compile(source, self: declaration)
    } catch {
        let text = error.description
        let known = ["cel expression must evaluate to a bool", "rule declared on schema that does not support validation rules"]
        if !text.hasPrefix("ERROR: <input>:") && !known.contains(where: text.hasPrefix) {
            fail("a compile error in no known form: \(text.debugDescription)", source)
        }
        return
    }
    let first = program.evaluate(self: value)
    if first != program.evaluate(self: value) { fail("two evaluations differ", source) }
    if case .failure(let error) = first, error.message.isEmpty { fail("an evaluation error without a message", source) }
    guard program.resultType == .bool else { return }
    let outcome = program.validate(self: value)
    expect("(\(source)) || true", declaration, value, .success(true), source)
    expect("(\(source)) && false", declaration, value, .success(false), source)
    switch outcome {
    case .success(let b): expect("!(\(source))", declaration, value, .success(!b), source)
    case .failure(let error): expect("!(\(source))", declaration, value, .failure(error), source)
    }
}

private func expect(_ derived: String, _ declaration: CELSelf, _ value: JSON, _ wanted: Result<Bool, CELEvalError>, _ source: String) {
    // Wrapping can exceed the nesting limit the original just met; that is a compile error, not a finding.
    guard let program = try? CELProgram.compile(derived, self: declaration) else { return }
    let got = program.validate(self: value)
    if got != wanted { fail("\(derived) gave \(got), expected \(wanted)", source) }
}

private func fail(_ problem: String, _ source: String) -> Never {
    fatalError("\(problem)\n--- expression\n\(source.debugDescription)")
}
