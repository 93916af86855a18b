import Foundation
import ONNXRuntime

/// Builds the tiny fixture models once per test process (with the venv's `onnx`
/// package) and loads ONNX Runtime from the venv's wheel.
enum TestModels {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let directory: String = {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ort-test-models-\(getpid())").path
        // system(3) rather than Process: Process.waitUntilExit can stall when every
        // cooperative thread is busy (2-core machines), and this runs inside a test.
        let python = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        let script = repositoryRoot.appendingPathComponent("Tests/ONNXRuntimeTests/Fixtures/make_models.py").path
        if system("'\(python)' '\(script)' '\(out)'") != 0 {
            print("make_models.py failed: run `make bootstrap` first")
        }
        return out
    }()

    static func path(_ name: String) -> String { "\(directory)/\(name).onnx" }

    static let runtime: Result<ORTRuntime, ORTError> = Result { () throws(ORTError) in
        try ORTRuntime.load(locator: LibraryLocator(workingDirectory: repositoryRoot.path))
    }
}
