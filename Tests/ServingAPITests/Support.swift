import Foundation
import TestSupport
import JSONValue
import ServingAPI
import Testing
import YAML

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

let crdPath = packageRoot.appendingPathComponent("CRDs/serving.swiftinfer.io_inferenceservices.yaml").path
let samplesDirectory = packageRoot.appendingPathComponent("manifests/samples")
let validatorScript = packageRoot.appendingPathComponent("scripts/validate_crd.py").path

/// The venv that `make bootstrap` (and so `make test`) builds from scripts/requirements.txt.
let venvPython = packageRoot.appendingPathComponent(".venv/bin/python").path
let venvMissing = !FileManager.default.isExecutableFile(atPath: venvPython)
let venvMissingMessage: Comment = "skipped: .venv is missing; run `make bootstrap` (make test does) to install kubernetes-validate and cel-python"

struct ProcessResult {
    let status: Int32
    let output: String
}

/// Runs a program to completion and returns its exit status and combined output.
func run(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    let result = try await Subprocess.run(executable, arguments, currentDirectory: packageRoot)
    return ProcessResult(status: result.status, output: result.output)
}

/// Writes objects as JSON documents (JSON is YAML) to a temporary file.
func temporaryFile(_ objects: [JSON]) throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("infsvc-\(UUID().uuidString).yaml").path
    let text = objects.map { $0.serialized() }.joined(separator: "\n---\n") + "\n"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A minimal valid object, as JSON, for tests to mutate.
func minimalObject(name: String = "resnet50") -> JSON {
    [
        "apiVersion": "serving.swiftinfer.io/v1alpha1",
        "kind": "InferenceService",
        "metadata": ["name": .string(name), "namespace": "default"],
        "spec": ["model": ["name": "resnet50", "uri": "pvc://models/resnet50/model.onnx"]],
    ]
}

extension JSON {
    /// Sets a nested value, creating objects on the way (`nil` removes the key).
    mutating func set(_ path: [String], _ value: JSON?) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value
            return
        }
        var child = self[first] ?? .object([:])
        child.set(Array(path.dropFirst()), value)
        self[first] = child
    }
}

func minimalSpec() -> InferenceServiceSpec {
    InferenceServiceSpec(model: ModelSpec(name: "resnet50", uri: "pvc://models/resnet50/model.onnx"))
}

struct TestSupportError: Error, CustomStringConvertible {
    let description: String
}

/// Reads a sample manifest through our YAML module.
func sampleObject(_ file: String) async throws -> JSON {
    try YAML.parse(String(contentsOf: samplesDirectory.appendingPathComponent(file), encoding: .utf8))
}
