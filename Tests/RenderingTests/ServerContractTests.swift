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

    /// Every plan's flags: warming with a set batch size, measuring, fetching with a
    /// recorded measurement, fetching with nothing known.
    static func plans(_ spec: InferenceServiceSpec, warm: Bool) -> [WarmupPlan] {
        let fingerprint = WarmupFingerprint(spec: spec).value
        var sized = spec
        sized.batching.maxBatchSize = 16
        let key = WarmupPlan(spec: spec, lastWarmedFingerprint: nil).measurementKey
        let recorded = MeasuredBatching(key: key, maxBatchSize: 4, concurrentBatches: 2, intraOpThreads: 1)
        return [WarmupPlan(spec: sized, lastWarmedFingerprint: warm ? nil : fingerprint),
                WarmupPlan(spec: spec, lastWarmedFingerprint: warm ? nil : fingerprint),
                WarmupPlan(spec: spec, lastWarmedFingerprint: warm ? nil : fingerprint, measured: recorded)]
    }

    @Test(.disabled(if: !FileManager.default.isExecutableFile(atPath: binary), "skipped: build inference-server first (make test does)"),
          arguments: [false, true])
    func everyRenderedFlagIsOneTheServerKnows(warm: Bool) async throws {
        let document: JSON = ["model": ["name": "m", "uri": "http://models.example/m.onnx"], "resources": ["gpu": 1],
                              "warmup": ["probeDimensions": [48, 192]]]
        let spec = try document.decode(InferenceServiceSpec.self)
        let uri = try ModelURI.parse(spec.model.uri).get()
        let plans = Self.plans(spec, warm: warm)
        #expect(plans.map(\.warm) == [warm, true, warm])
        #expect(plans.map(\.measures) == [false, true, false])
        var seen = Set<String>()
        for plan in plans {
            for (command, arguments) in [("serve", ServerCommandLine.serveArguments(spec, plan: plan)),
                                         ("serve", ServerCommandLine.serveArguments(spec, plan: plan, modelVersion: "cv1-0123456789abcdef",
                                                                                    canaryURL: CanaryRenderer.headerRouteURL(forObjectNamed: "m"))),
                                         ("warmup", ServerCommandLine.warmupArguments(uri: uri, plan: plan))] {
                #expect(arguments.first == command)
                let help = try await Subprocess.run(Self.binary, [command, "--help"])
                for flag in Self.flags(arguments) {
                    seen.insert(flag)
                    #expect(help.output.contains(flag + " ") || help.output.contains(flag + "\n"), "\(command) does not accept \(flag)")
                }
            }
        }
        // The batch flags of every kind of plan were among those checked.
        for flag in ["--max-batch-size", "--max-concurrent-batches", "--intra-op-threads"] { #expect(seen.contains(flag)) }
        #expect(seen.contains("--termination-message") && seen.contains("--probe-dimensions"))
        if !warm { #expect(seen.contains("--fetch-only")) }
    }
}
