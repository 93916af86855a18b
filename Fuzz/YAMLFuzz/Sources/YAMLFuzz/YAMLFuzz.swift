import JSONValue
import YAML

/// One fuzz input: any bytes as YAML text. Parsing may fail but must not
/// crash; what parses must survive emit -> parse unchanged. The same bytes
/// as a string value and key must also survive emit -> parse.
@_cdecl("LLVMFuzzerTestOneInput")
public func yamlFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = data.map { String(decoding: UnsafeBufferPointer(start: $0, count: size), as: UTF8.self) } ?? ""
    // A small alias budget keeps each run fast; the limit itself is tested.
    let limits = YAMLLimits(maxAliasedNodes: 20_000)

    // The input as string content: as a value, a key and a root document it
    // must be written (quoted, block or plain) so that it reads back exactly.
    let asString: JSON = ["value": .string(text), text: [.string(text)]]
    for value in [asString, JSON.string(text)] {
        let written = YAML.emit(value)
        do {
            let back = try YAML.parse(written)
            if back != value { fail("a string reads back differently", input: text, emitted: written) }
        } catch {
            fail("an emitted string does not parse: \(error)", input: text, emitted: written)
        }
    }

    _ = try? YAML.parse(text, limits: limits)
    guard let documents = try? YAML.parseAll(text, limits: limits) else { return 0 }

    let emitted = YAML.emitAll(documents)
    let reparsed: [JSON]
    do {
        reparsed = try YAML.parseAll(emitted)
    } catch {
        fail("emitted YAML does not parse: \(error)", input: text, emitted: emitted)
    }
    if !sameValues(reparsed, documents) {
        fail("emitted YAML reads back differently", input: text, emitted: emitted)
    }
    if YAML.emitAll(reparsed) != emitted {
        fail("emitting the re-read value gives different text", input: text, emitted: emitted)
    }
    return 0
}

private func fail(_ problem: String, input: String, emitted: String) -> Never {
    fatalError("\(problem)\n--- input\n\(input.debugDescription)\n--- emitted\n\(emitted.debugDescription)")
}

/// Equality where NaN equals NaN (it reads back as NaN, which never equals itself).
private func sameValues(_ a: [JSON], _ b: [JSON]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy(sameValue)
}

private func sameValue(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case (.double(let x), .double(let y)): return x == y || (x.isNaN && y.isNaN)
    case (.array(let x), .array(let y)): return sameValues(x, y)
    case (.object(let x), .object(let y)):
        return x.keys == y.keys && sameValues(x.values, y.values)
    default: return a == b
    }
}
