import CEL
import Foundation
import JSONValue
import TestSupport
import Testing

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The venv that `make bootstrap` (and so `make test`) builds from scripts/requirements.txt; it has cel-python.
let venvPython = packageRoot.appendingPathComponent(".venv/bin/python").path
let venvMissing = !FileManager.default.isExecutableFile(atPath: venvPython)
let venvMissingMessage: Comment = "skipped: .venv is missing; run `make bootstrap` (make test does) to install cel-python"

/// An object schema from `name: type` pairs, e.g. `object(["a": "integer"])`.
func object(_ properties: [String: String], extra: JSON = [:]) -> JSON {
    var schema: JSON = ["type": "object", "properties": .object(JSONObject(
        properties.sorted { $0.key < $1.key }.map { ($0.key, ["type": .string($0.value)]) }))]
    for (key, value) in extra.objectValue ?? [:] { schema[key] = value }
    return schema
}

/// The description of the error compiling `source`, or nil when it compiles.
func compileError(_ source: String, _ declaration: CELSelf = .dynamic) -> String? {
    do {
        _ = try CELProgram.compile(source, self: declaration)
        return nil
    } catch {
        return error.description
    }
}

/// What an evaluation produced, in a form tests compare.
enum Outcome: Equatable, CustomStringConvertible {
    case value(CELValue)
    case evalError(String)
    case compileError(String)

    var description: String {
        switch self {
        case .value(let v): return "value \(v)"
        case .evalError(let m): return "eval error: \(m)"
        case .compileError(let m): return "compile error: \(m)"
        }
    }
}

func outcome(_ source: String, self value: JSON = .null, _ declaration: CELSelf = .dynamic) -> Outcome {
    do {
        let program = try CELProgram.compile(source, self: declaration)
        switch program.evaluate(self: value) {
        case .success(let v): return .value(v)
        case .failure(let e): return .evalError(e.message)
        }
    } catch {
        return .compileError(error.description)
    }
}

/// Parses JSON text written in a test table.
func json(_ text: String) -> JSON {
    do {
        return try JSON.parse(Array(text.utf8))
    } catch {
        Issue.record("bad JSON in test table: \(text): \(error)")
        return .null
    }
}
