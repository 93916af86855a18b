import Foundation
import TestSupport
import Testing

/// `scripts/gpu-check.sh` runs everywhere `make test` runs: without an NVIDIA GPU it
/// says so and passes; with one but no CUDA-enabled ONNX Runtime it fails and says
/// what to install. (On a GPU machine it runs the CUDA path itself; docs/inference-server.md.)
@Suite struct GPUCheckScriptTests {
    static let script = Fixtures.root.appendingPathComponent("scripts/gpu-check.sh").path

    private func run(path: String) async throws -> Subprocess.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = path
        environment["ORT_GPU_LIBRARY"] = nil
        return try await Subprocess.run("/bin/bash", [Self.script], currentDirectory: Fixtures.root, environment: environment)
    }

    @Test func withoutAGPUItSkipsWithAClearMessage() async throws {
        let result = try await run(path: "/usr/bin:/bin")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("gpu-check: skipped: no NVIDIA GPU on this machine (nvidia-smi not found)"), "\(result.output)")
    }

    @Test func aGPUWithoutCUDAEnabledONNXRuntimeFailsNamingWhatToInstall() async throws {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("fake-nvidia-smi-\(getpid())")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fake = bin.appendingPathComponent("nvidia-smi")
        try "#!/bin/sh\necho 'GPU 0: Test GPU (UUID: GPU-00000000-0000-0000-0000-000000000000)'\n"
            .write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        // The project's .venv has the CPU-only onnxruntime wheel.
        let result = try await run(path: "\(bin.path):/usr/bin:/bin")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("1 GPU(s) found but no ONNX Runtime with the CUDA execution provider"), "\(result.output)")
        #expect(result.output.contains("pip install onnxruntime-gpu"), "\(result.output)")
    }

    @Test func aGPUListNamingNoneIsNoGPU() async throws {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("empty-nvidia-smi-\(getpid())")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fake = bin.appendingPathComponent("nvidia-smi")
        try "#!/bin/sh\necho 'No devices were found' >&2\nexit 6\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let result = try await run(path: "\(bin.path):/usr/bin:/bin")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("gpu-check: skipped: no NVIDIA GPU on this machine (nvidia-smi lists none)"), "\(result.output)")
    }
}
