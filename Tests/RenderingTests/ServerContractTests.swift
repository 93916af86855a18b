import Foundation
import JSONValue
import Rendering
import ServingAPI
import TestSupport
import Testing

/// The rendered command lines use only flags the built `inference-server` accepts.
@Suite struct ServerContractTests {
    static let binary = packageRoot.appendingPathComponent(".build/debug/inference-server").path

    static func flags(_ arguments: [String]) -> [String] { arguments.filter { $0.hasPrefix("--") } }

    @Test(.disabled(if: !FileManager.default.isExecutableFile(atPath: binary), "skipped: build inference-server first (make test does)"),
          arguments: [false, true])
    func everyRenderedFlagIsOneTheServerKnows(warm: Bool) async throws {
        let document: JSON = ["model": ["name": "m", "uri": "http://models.example/m.onnx"], "resources": ["gpu": 1]]
        let spec = try document.decode(InferenceServiceSpec.self)
        let plan = WarmupPlan(spec: spec, lastWarmedFingerprint: warm ? nil : WarmupFingerprint(spec: spec).value)
        #expect(plan.warm == warm)
        let uri = try ModelURI.parse(spec.model.uri).get()
        for (command, arguments) in [("serve", ServerCommandLine.serveArguments(spec)),
                                     ("serve", ServerCommandLine.serveArguments(spec, modelVersion: "cv1-0123456789abcdef",
                                                                                canaryURL: CanaryRenderer.headerRouteURL(forObjectNamed: "m"))),
                                     ("warmup", ServerCommandLine.warmupArguments(spec, uri: uri, plan: plan))] {
            #expect(arguments.first == command)
            let help = try await Subprocess.run(Self.binary, [command, "--help"])
            for flag in Self.flags(arguments) {
                #expect(help.output.contains(flag + " ") || help.output.contains(flag + "\n"), "\(command) does not accept \(flag)")
            }
        }
    }
}
