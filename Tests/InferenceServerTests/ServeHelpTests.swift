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
}
