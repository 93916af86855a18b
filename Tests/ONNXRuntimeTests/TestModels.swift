import Foundation
import ONNXRuntime

/// Builds the tiny fixture models once per test process (with the venv's `onnx`
/// package) and loads ONNX Runtime from the venv's wheel.
enum TestModels {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let directory: String = {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ort-test-models-\(getpid())").path
        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent(".venv/bin/python")
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/ONNXRuntimeTests/Fixtures/make_models.py").path, out]
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            print("could not run make_models.py (run `make bootstrap` first): \(error)")
        }
        return out
    }()

    static func path(_ name: String) -> String { "\(directory)/\(name).onnx" }

    static let runtime: Result<ORTRuntime, ORTError> = Result { () throws(ORTError) in
        try ORTRuntime.load(locator: LibraryLocator(workingDirectory: repositoryRoot.path))
    }
}
