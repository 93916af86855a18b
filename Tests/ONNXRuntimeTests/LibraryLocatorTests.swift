import Testing
@testable import ONNXRuntime

@Suite struct LibraryLocatorTests {
    private func locator(explicit: String? = nil, env: [String: String] = [:], files: [String: [String]] = [:]) -> LibraryLocator {
        LibraryLocator(explicitPath: explicit, environment: env, workingDirectory: "/srv/app",
                       executablePath: "/srv/app/.build/release/inference-server",
                       listDirectory: { files[$0] ?? [] })
    }

    @Test func explicitPathIsTheOnlyCandidate() {
        #expect(locator(explicit: "/x/libonnxruntime.so", env: ["ORT_LIBRARY": "/y.so"]).candidates() == ["/x/libonnxruntime.so"])
    }

    @Test func environmentVariableIsUsedWithoutAFlag() {
        #expect(locator(env: ["ORT_LIBRARY": "/y/libonnxruntime.so.1.32.0"]).candidates() == ["/y/libonnxruntime.so.1.32.0"])
    }

    @Test func venvWheelComesBeforeSystemPaths() {
        let files = [
            "/srv/app/.venv/lib": ["python3.11"],
            "/srv/app/.venv/lib/python3.11/site-packages/onnxruntime/capi": ["libonnxruntime.so.1.32.0", "other.py", "libonnxruntime_providers_shared.so"],
        ]
        let candidates = locator(files: files).candidates()
        #expect(candidates.first == "/srv/app/.venv/lib/python3.11/site-packages/onnxruntime/capi/libonnxruntime.so.1.32.0")
        #expect(candidates.contains("libonnxruntime.so.1"))
        #expect(candidates.firstIndex(of: "libonnxruntime.so.1")! > 0)
        #expect(!candidates.contains { $0.hasSuffix("providers_shared.so") })
    }

    @Test func activeVirtualEnvComesFirst() {
        let files = [
            "/opt/venv/lib": ["python3.12"],
            "/opt/venv/lib/python3.12/site-packages/onnxruntime/capi": ["libonnxruntime.so.1.32.0"],
            "/srv/app/.venv/lib": ["python3.11"],
            "/srv/app/.venv/lib/python3.11/site-packages/onnxruntime/capi": ["libonnxruntime.so.1.31.0"],
        ]
        let candidates = locator(env: ["VIRTUAL_ENV": "/opt/venv"], files: files).candidates()
        #expect(Array(candidates.prefix(2)) == [
            "/opt/venv/lib/python3.12/site-packages/onnxruntime/capi/libonnxruntime.so.1.32.0",
            "/srv/app/.venv/lib/python3.11/site-packages/onnxruntime/capi/libonnxruntime.so.1.31.0",
        ])
    }

    @Test func missingLibraryErrorListsEveryPlaceTried() {
        let result = Result { () throws(ORTError) in
            try ORTRuntime.load(locator: LibraryLocator(explicitPath: "/nonexistent/libonnxruntime.so"))
        }
        guard case .failure(.libraryNotFound(let attempts)) = result else {
            Issue.record("expected libraryNotFound, got \(result)")
            return
        }
        #expect(attempts.map(\.path) == ["/nonexistent/libonnxruntime.so"])
        #expect(ORTError.libraryNotFound(attempts: attempts).description.contains("/nonexistent/libonnxruntime.so"))
    }

    @Test func aLibraryWithoutTheEntryPointIsRejected() {
        let result = Result { () throws(ORTError) in
            try ORTRuntime.load(locator: LibraryLocator(explicitPath: "libc.so.6"))
        }
        guard case .failure(.notAnONNXRuntimeLibrary(let path)) = result else {
            Issue.record("expected notAnONNXRuntimeLibrary, got \(result)")
            return
        }
        #expect(path == "libc.so.6")
    }
}
