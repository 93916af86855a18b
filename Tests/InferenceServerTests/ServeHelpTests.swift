import Foundation
import InferenceServer
import TestSupport
import Testing

/// `inference-server serve --help` documents every setting: its flag, environment variable and default.
@Suite struct ServeHelpTests {
    static let binary = Fixtures.root.appendingPathComponent(".build/debug/inference-server").path

    @Test(.disabled(if: !FileManager.default.isExecutableFile(atPath: binary), "skipped: build inference-server first (make test does)"))
    func helpNamesEveryFlagWithItsEnvironmentVariableAndDefault() async throws {
        let help = try await Subprocess.run(Self.binary, ["serve", "--help"])
        #expect(help.status == 0)
        // The help text wraps at 80 columns: compare with whitespace runs folded into one space.
        let text = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for setting in Setting.allCases {
            #expect(text.contains("--\(setting.flagName) "), "no --\(setting.flagName) in the help")
            #expect(text.contains("env: \(setting.environmentVariable); default: \(setting.defaultDescription))"),
                    "--\(setting.flagName): environment variable or default missing from the help")
        }
    }
}

/// `inference-server warmup --help` names every warmup setting's flag and environment variable,
/// and the environment alone configures a run.
@Suite struct WarmupHelpTests {
    @Test(.disabled(if: !FileManager.default.isExecutableFile(atPath: ServeHelpTests.binary), "skipped: build inference-server first (make test does)"))
    func helpNamesEveryFlagWithItsEnvironmentVariable() async throws {
        let help = try await Subprocess.run(ServeHelpTests.binary, ["warmup", "--help"])
        #expect(help.status == 0)
        let text = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for setting in WarmupConfiguration.Setting.allCases {
            #expect(text.contains("--\(setting.flagName)"), "no --\(setting.flagName) in the help")
            #expect(text.contains("env: \(setting.environmentVariable);"), "--\(setting.flagName): environment variable missing")
        }
    }

    @Test(.disabled(if: !FileManager.default.isExecutableFile(atPath: ServeHelpTests.binary), "skipped: build inference-server first (make test does)"))
    func missingOutputIsAClearErrorNamingFlagAndVariable() async throws {
        let result = try await Subprocess.run(ServeHelpTests.binary, ["warmup", "--model", "/nonexistent.onnx"])
        #expect(result.status != 0)
        #expect(result.output.contains("--out (or WARMUP_OUT) is required"), "\(result.output)")
    }

    /// A measuring warmup (no --max-batch-size), as the operator's init container runs
    /// it, writes the batcher serve will run to its termination message file.
    @Test(.disabled(if: !FileManager.default.isExecutableFile(atPath: ServeHelpTests.binary), "skipped: build inference-server first (make test does)"))
    func aMeasuringWarmupReportsItsBatcherInTheTerminationMessage() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("warmup-termination-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let message = out + "/termination-log"
        let result = try await Subprocess.run(ServeHelpTests.binary, [
            "warmup", "--model", Fixtures.path("matmul"), "--out", out, "--ort-library", try Fixtures.runtime.get().libraryPath,
            "--probe-dimensions", "4", "--termination-message", message,
        ])
        #expect(result.status == 0, "\(result.output)")
        let report = try #require(try Warmup.report(inDirectory: out))
        let written = try String(contentsOfFile: message, encoding: .utf8)
        #expect(written == (try #require(Warmup.terminationMessage(report))) + "\n")
        #expect(result.output.contains("warmup: reported {\"maxBatchSize\":"), "\(result.output)")
        // A file that cannot be written is a warning: the model is still there for serve.
        let unwritable = try await Subprocess.run(ServeHelpTests.binary, [
            "warmup", "--model", Fixtures.path("matmul"), "--out", out, "--ort-library", try Fixtures.runtime.get().libraryPath,
            "--max-batch-size", "2", "--termination-message", out + "/no/such/dir/log",
        ])
        #expect(unwritable.status == 0, "\(unwritable.output)")
        #expect(unwritable.output.contains("warmup: warning: could not write the batcher to \(out)/no/such/dir/log"), "\(unwritable.output)")
    }
}
