@testable import InferenceServer
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsMatchTheSeedRules() throws {
        let config = try ServerConfiguration.resolve(flags: [.model: "/m/minilm.onnx"], environment: [:])
        #expect(config.modelName == "minilm")
        #expect(config.port == 8080)
        #expect(config.batching.maxBatchSize == 8 && config.maxBatchSizeSource == .fallback)
        #expect(config.batching.maxQueueDelay == .milliseconds(50))
        #expect(config.otlpEndpoint == nil)
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverDefaults() throws {
        let config = try ServerConfiguration.resolve(
            flags: [.httpPort: "9000"],
            environment: ["MODEL": "/m/a.onnx", "HTTP_PORT": "7000", "MAX_BATCH_SIZE": "4", "MAX_QUEUE_DELAY_MS": "10",
                          "USE_CUDA": "true", "GRAPH_OPTIMIZATION": "basic"])
        #expect(config.port == 9000)
        #expect(config.batching.maxBatchSize == 4 && config.maxBatchSizeSource == .setting)
        #expect(config.batching.maxQueueDelay == .milliseconds(10))
        #expect(config.session.preferCUDA)
        #expect(config.session.graphOptimization == .basic)
    }

    /// ONNX Runtime's intra-op threads spin-wait for each other; the HTTP event loops get the cores they leave.
    @Test func eventLoopsDefaultToTheCoresONNXRuntimeLeavesFree() throws {
        #expect(ServerConfiguration.defaultEventLoops(cores: 2, intraOpThreads: 0) == 1)
        #expect(ServerConfiguration.defaultEventLoops(cores: 2, intraOpThreads: 2) == 1)
        #expect(ServerConfiguration.defaultEventLoops(cores: 16, intraOpThreads: 4) == 12)
        #expect(ServerConfiguration.defaultEventLoops(cores: 4, intraOpThreads: 8) == 1)
        let unset = try ServerConfiguration.resolve(flags: [.model: "m.onnx"], environment: [:])
        #expect(unset.eventLoops == nil)
        let set = try ServerConfiguration.resolve(flags: [.model: "m.onnx"], environment: ["EVENT_LOOPS": "3"])
        #expect(set.eventLoops == 3)
    }

    @Test(arguments: [
        ([Setting.httpPort: "70000"], ConfigurationError.invalid(.httpPort, "70000")),
        ([.maxBatchSize: "0"], .invalid(.maxBatchSize, "0")),
        ([.maxQueueDelayMs: "soon"], .invalid(.maxQueueDelayMs, "soon")),
        ([.useCuda: "maybe"], .invalid(.useCuda, "maybe")),
        ([.graphOptimization: "max"], .invalid(.graphOptimization, "max")),
        ([.modelVersion: "v 2"], .invalid(.modelVersion, "v 2")),
        ([.eventLoops: "0"], .invalid(.eventLoops, "0")),
        ([.modelVersion: "v2\"}"], .invalid(.modelVersion, "v2\"}")),
        ([.modelVersion: String(repeating: "a", count: 64)], .invalid(.modelVersion, String(repeating: "a", count: 64))),
    ])
    func invalidValuesNameTheSetting(flags: [Setting: String], expected: ConfigurationError) {
        var all = flags
        all[.model] = "m.onnx"
        #expect(throws: expected) { try ServerConfiguration.resolve(flags: all, environment: [:]) }
    }

    @Test func tracingAndSpinningSettings() throws {
        let defaults = try ServerConfiguration.resolve(flags: [.model: "m.onnx"], environment: [:])
        #expect(defaults.serviceName == "inference-server")
        #expect(defaults.session.intraOpSpinning)
        let config = try ServerConfiguration.resolve(
            flags: [.model: "m.onnx", .intraOpSpinning: "false"],
            environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SERVICE_NAME": "minilm-predictor"])
        #expect(config.otlpEndpoint == "http://collector:4318")
        #expect(config.serviceName == "minilm-predictor")
        #expect(!config.session.intraOpSpinning)
        #expect(throws: ConfigurationError.invalid(.intraOpSpinning, "often")) {
            try ServerConfiguration.resolve(flags: [.model: "m.onnx", .intraOpSpinning: "often"], environment: [:])
        }
    }

    /// `--model-version` labels every series, so a canary's analysis can tell the versions apart.
    @Test func modelVersionLabelsEverySeries() throws {
        let config = try ServerConfiguration.resolve(flags: [.model: "m.onnx"], environment: ["MODEL_VERSION": "canary"])
        #expect(config.modelVersion == "canary")
        #expect(try ServerConfiguration.resolve(flags: [.model: "m.onnx"], environment: [:]).modelVersion == nil)
        let metrics = ServerMetrics(model: "m", version: "canary", gpu: nil)
        metrics.requestDuration(outcome: "error").record(.milliseconds(3))
        let text = String(decoding: metrics.render(queueDepth: 0), as: UTF8.self)
        let series = text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.hasPrefix("inference_") }
        #expect(!series.isEmpty)
        for line in series { #expect(line.contains("version=\"canary\""), "\(line)") }
        #expect(text.contains(#"inference_request_duration_seconds_count{model="m",version="canary",protocol="http",outcome="error"} 1"#), "\(text)")
        let unlabelled = String(decoding: ServerMetrics(model: "m", gpu: nil).render(queueDepth: 0), as: UTF8.self)
        #expect(!unlabelled.contains("version="))
    }

    @Test func modelIsRequired() {
        #expect(throws: ConfigurationError.missing(.model)) { try ServerConfiguration.resolve(flags: [:], environment: [:]) }
    }

    @Test func flagNamesAreKebabCase() {
        #expect(Setting.maxQueueDelayMs.flagName == "max-queue-delay-ms")
        #expect(Setting.otlpEndpoint.environmentVariable == "OTEL_EXPORTER_OTLP_ENDPOINT")
    }

    @Test(arguments: [
        ("/w", true, ["/w/model.optimized.onnx"], "/w/model.optimized.onnx", true),
        ("/w/", true, [], "/w/model.onnx", false),
        ("/m/a.onnx", false, ["/m/a.optimized.onnx"], "/m/a.optimized.onnx", true),
        ("/m/a.onnx", false, [], "/m/a.onnx", false),
    ])
    func servingPrefersTheWarmedOptimisedModel(path: String, directory: Bool, files: [String], expected: String, optimized: Bool) {
        let resolved = ModelLocation.resolve(path, fileExists: { files.contains($0) }, isDirectory: { _ in directory })
        #expect(resolved.path == expected)
        #expect(resolved.optimized == optimized)
    }
}

@Suite struct WarmupConfigurationTests {
    @Test func flagsWinOverServesEnvironmentVariablesWhichWinOverDefaults() throws {
        let environment = ["MODEL": "/m/env.onnx", "WARMUP_OUT": "/warm", "MAX_BATCH_SIZE": "4", "INTRA_OP_THREADS": "2",
                           "ORT_LIBRARY": "/lib/libonnxruntime.so", "WARMUP_FETCH_ONLY": "yes"]
        let fromEnvironment = try WarmupConfiguration.resolve(flags: [:], environment: environment)
        #expect(fromEnvironment.model == "/m/env.onnx" && fromEnvironment.outputDirectory == "/warm")
        #expect(fromEnvironment.maxBatchSize == 4 && fromEnvironment.session.intraOpThreads == 2)
        #expect(fromEnvironment.ortLibrary == "/lib/libonnxruntime.so" && fromEnvironment.fetchOnly)

        let fromFlags = try WarmupConfiguration.resolve(flags: [.model: "/m/flag.onnx", .maxBatchSize: "16"], environment: environment)
        #expect(fromFlags.model == "/m/flag.onnx" && fromFlags.maxBatchSize == 16 && fromFlags.outputDirectory == "/warm")

        let defaults = try WarmupConfiguration.resolve(flags: [.model: "m.onnx", .out: "d"], environment: [:])
        #expect(defaults.maxBatchSize == nil && !defaults.fetchOnly && defaults.ortLibrary == nil)
        #expect(defaults.probe.dynamicDimensions == [16])
        let probed = try WarmupConfiguration.resolve(flags: [.model: "m.onnx", .out: "d"], environment: ["WARMUP_PROBE_DIMENSIONS": "48, 192"])
        #expect(probed.probe.dynamicDimensions == [48, 192])
    }

    @Test func badOrMissingValuesNameTheFlagAndVariable() {
        #expect(throws: WarmupConfiguration.Failure.missing(.out)) {
            try WarmupConfiguration.resolve(flags: [.model: "m.onnx"], environment: [:])
        }
        #expect(throws: WarmupConfiguration.Failure.invalid(.maxBatchSize, "0")) {
            try WarmupConfiguration.resolve(flags: [.model: "m.onnx", .out: "d"], environment: ["MAX_BATCH_SIZE": "0"])
        }
        for bad in ["0", "48,", "x", "16,70000"] {
            #expect(throws: WarmupConfiguration.Failure.invalid(.probeDimensions, bad)) {
                try WarmupConfiguration.resolve(flags: [.model: "m.onnx", .out: "d", .probeDimensions: bad], environment: [:])
            }
        }
        #expect(throws: WarmupConfiguration.Failure.invalid(.fetchOnly, "maybe")) {
            try WarmupConfiguration.resolve(flags: [.model: "m.onnx", .out: "d"], environment: ["WARMUP_FETCH_ONLY": "maybe"])
        }
        #expect(WarmupConfiguration.Failure.invalid(.maxBatchSize, "0").description == "invalid value '0' for --max-batch-size / MAX_BATCH_SIZE")
    }
}
