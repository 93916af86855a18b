import Foundation
import JSONValue
import Rendering
import ServingAPI
import Testing
import YAML

/// Rendered objects compared byte for byte with `Fixtures/*.json`.
/// Regenerate after an intended change with `UPDATE_GOLDEN=1 swift test --filter RenderingTests`
/// and review the diff.
@Suite struct GoldenTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let service: InferenceService
        let replicas: Int
        let lastWarmed: String?
        var description: String { name }
    }

    static let cases: [Case] = {
        let gpu = service(name: "bert-large", namespace: "ml", gpuSpec())
        var fileModel = cpuSpec()
        fileModel.model = ModelSpec(name: "mobilenet", uri: "file:///opt/models/mobilenet/model.onnx")
        fileModel.image = "ghcr.io/swiftinfer/inference-server-mobilenet@sha256:4f1b7c2d9e0a8b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"
        fileModel.warmup.enabled = false
        return [
            Case(name: "minimal-cpu", service: service(cpuSpec()), replicas: 2, lastWarmed: nil),
            Case(name: "gpu-warming", service: gpu, replicas: 3, lastWarmed: nil),
            Case(name: "gpu-warmed", service: gpu, replicas: 3, lastWarmed: WarmupFingerprint(spec: gpu.spec).value),
            Case(name: "file-model-no-warmup", service: service(name: "mobilenet", fileModel), replicas: 2, lastWarmed: nil),
        ]
    }()

    @Test(arguments: cases)
    func renderedObjectsMatchGoldenFiles(_ c: Case) throws {
        let rendered = try PredictorRenderer.render(c.service, replicas: c.replicas, lastWarmedFingerprint: c.lastWarmed)
        for (suffix, object) in [("deployment", rendered.deployment), ("service", rendered.service)] {
            let file = fixturesDirectory.appendingPathComponent("\(c.name)-\(suffix).json")
            let text = object.prettySerialized() + "\n"
            if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
                try text.write(to: file, atomically: true, encoding: .utf8)
            }
            let golden = try String(contentsOf: file, encoding: .utf8)
            let same = text == golden
            #expect(same, "\(file.lastPathComponent) differs; rerun with UPDATE_GOLDEN=1 and review the diff:\n\(text)")
        }
    }

    @Test(.disabled(if: venvMissing, "skipped: .venv is missing; run `make bootstrap` (make test does)"))
    func goldenFilesPassKubernetesValidate() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: fixturesDirectory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count == Self.cases.count * 2)
        let result = try await run(venvPython, [validatorScript, "builtin"] + files.map { fixturesDirectory.appendingPathComponent($0).path })
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.split(separator: "\n").filter { $0.hasPrefix("OK ") }.count == files.count, "\(result.output)")
    }
}

/// Every sample under manifests/samples renders to objects Kubernetes accepts.
@Suite struct SampleRenderingTests {
    @Test(.disabled(if: venvMissing, "skipped: .venv is missing; run `make bootstrap` (make test does)"))
    func samplesRenderToValidDeploymentsAndServices() async throws {
        let samples = packageRoot.appendingPathComponent("manifests/samples")
        let names = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names.count >= 3)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rendered-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String] = []
        for name in names {
            var object = try YAML.parse(String(contentsOf: samples.appendingPathComponent(name), encoding: .utf8))
            var metadata = object["metadata"] ?? [:]
            metadata["uid"] = "00000000-0000-0000-0000-000000000001"
            object["metadata"] = metadata
            let service = try InferenceService.decodeValidated(object)
            let rendered = try PredictorRenderer.render(service, replicas: service.spec.replicas.min, lastWarmedFingerprint: nil)
            for (kind, json) in [("deployment", rendered.deployment), ("service", rendered.service)] {
                let file = directory.appendingPathComponent("\(name)-\(kind).json")
                try json.prettySerialized().write(to: file, atomically: true, encoding: .utf8)
                files.append(file.path)
            }
        }
        let result = try await run(venvPython, [validatorScript, "builtin"] + files)
        #expect(result.status == 0, "\(result.output)")
    }
}
