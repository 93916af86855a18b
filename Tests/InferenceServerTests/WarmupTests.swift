import Foundation
import InferenceServer
import ONNXRuntime
import Testing

@Suite struct WarmupTests {
    private func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("warmup-\(name)-\(getpid())").path
    }

    @Test func savesTheOptimisedModelAndRunsEachBatchSize() async throws {
        let out = scratch("matmul")
        let runtime = try Fixtures.runtime.get()
        let report = try await Warmup.run(source: "file://" + Fixtures.path("matmul"), outputDirectory: out, maxBatchSize: 3,
                                          session: SessionConfiguration(), ortLibrary: runtime.libraryPath)
        #expect(report.runSeconds.count == 3)
        #expect(FileManager.default.fileExists(atPath: "\(out)/model.onnx"))
        #expect(FileManager.default.fileExists(atPath: "\(out)/warmup.json"))
        let resolved = ModelLocation.resolve(out, fileExists: { FileManager.default.fileExists(atPath: $0) }, isDirectory: { _ in true })
        #expect(resolved.optimized)
        let session = try runtime.makeSession(modelPath: resolved.path)
        #expect(session.info.outputs.map(\.name) == ["y"])
    }

    @Test func modelWithoutBatchDimensionWarmsOnce() async throws {
        let report = try await Warmup.run(source: Fixtures.path("reshape"), outputDirectory: scratch("reshape"), maxBatchSize: 8,
                                          session: SessionConfiguration(), ortLibrary: try Fixtures.runtime.get().libraryPath)
        #expect(report.runSeconds.count == 1)
    }

    @Test func unsupportedSchemeIsAnError() async throws {
        await #expect(throws: Warmup.Failure.self) {
            try await Warmup.run(source: "ftp://example/model.onnx", outputDirectory: scratch("ftp"), maxBatchSize: 1,
                                 session: SessionConfiguration(), ortLibrary: nil)
        }
    }
}
