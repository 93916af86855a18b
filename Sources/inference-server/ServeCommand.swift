import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import InferenceServer
import Logging

/// `inference-server serve`: every flag can also come from the environment variable named in its help.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve one ONNX model over HTTP and optionally gRPC (KServe v2 protocol, /metrics).",
        discussion: "Flags win over environment variables, which win over defaults.")

    @Option(help: help(.model, "Model file, warmed model directory (from `warmup --out`), or .onnx path."))
    var model: String?
    @Option(help: help(.modelName, "Name in /v2/models/{name}."))
    var modelName: String?
    @Option(help: help(.modelVersion, "Adds the label version=VALUE to every metric series (letters, digits, '-', '_', '.'; at most 63)."))
    var modelVersion: String?
    @Option(help: help(.canaryUrl, "A canary's candidate: infer requests with X-Canary: true are forwarded there, and served here when it cannot be reached."))
    var canaryUrl: String?
    @Option(help: help(.httpHost, "Address to listen on."))
    var httpHost: String?
    @Option(help: help(.httpPort, "Port to listen on."))
    var httpPort: String?
    @Option(help: help(.grpcPort, "Port of the v2 protocol's gRPC service (inference.GRPCInferenceService), on --http-host; 0 picks a free one."))
    var grpcPort: String?
    @Option(help: help(.maxBatchSize, "Largest dynamic batch; 1 turns batching off."))
    var maxBatchSize: String?
    @Option(help: help(.maxQueueDelayMs, "Longest a request waits for its batch to fill."))
    var maxQueueDelayMs: String?
    @Option(help: help(.maxQueueSize, "Waiting requests beyond which the server answers 429."))
    var maxQueueSize: String?
    @Option(help: help(.maxConcurrentBatches, "Batches run at once (model instances)."))
    var maxConcurrentBatches: String?
    @Option(help: help(.intraOpThreads, "ONNX Runtime threads inside an operator."))
    var intraOpThreads: String?
    @Option(help: help(.interOpThreads, "ONNX Runtime threads across operators."))
    var interOpThreads: String?
    @Option(help: help(.intraOpSpinning, "Let idle ONNX Runtime threads busy-wait for work (false frees the cores between batches)."))
    var intraOpSpinning: String?
    @Option(help: help(.graphOptimization, "disable, basic, extended or all."))
    var graphOptimization: String?
    @Option(help: help(.useCuda, "Use the CUDA execution provider when the library has it."))
    var useCuda: String?
    @Option(help: help(.eventLoops, "HTTP event-loop threads."))
    var eventLoops: String?
    @Option(help: help(.maxBodyBytes, "Largest request body; larger ones get 413."))
    var maxBodyBytes: String?
    @Option(help: help(.ortLibrary, "Path of libonnxruntime.so."))
    var ortLibrary: String?
    @Option(help: help(.drainDelayMs, "On SIGTERM, time between readiness going false and closing the listener."))
    var drainDelayMs: String?
    @Option(help: help(.otlpEndpoint, "OTLP/HTTP base URL for traces (spans go to {url}/v1/traces, protobuf); other OTEL_* variables apply too. The one exception to flags winning: an OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT in the environment wins, because swift-otel applies OTEL_* variables last."))
    var otlpEndpoint: String?
    @Option(help: help(.otelServiceName, "service.name of the exported spans; OTEL_SERVICE_NAME in the environment wins over this flag (swift-otel reads it last)."))
    var otelServiceName: String?

    static func help(_ setting: Setting, _ text: String) -> ArgumentHelp {
        ArgumentHelp("\(text) (env: \(setting.environmentVariable); default: \(setting.defaultDescription))")
    }

    var flags: [Setting: String] {
        let pairs: [(Setting, String?)] = [
            (.model, model), (.modelName, modelName), (.httpHost, httpHost), (.httpPort, httpPort),
            (.maxBatchSize, maxBatchSize), (.maxQueueDelayMs, maxQueueDelayMs), (.maxQueueSize, maxQueueSize),
            (.maxConcurrentBatches, maxConcurrentBatches), (.intraOpThreads, intraOpThreads),
            (.interOpThreads, interOpThreads), (.intraOpSpinning, intraOpSpinning), (.graphOptimization, graphOptimization), (.useCuda, useCuda),
            (.maxBodyBytes, maxBodyBytes), (.ortLibrary, ortLibrary), (.drainDelayMs, drainDelayMs),
            (.otlpEndpoint, otlpEndpoint), (.otelServiceName, otelServiceName), (.modelVersion, modelVersion), (.canaryUrl, canaryUrl), (.eventLoops, eventLoops),
            (.grpcPort, grpcPort),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    func run() async throws {
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        var logger = Logger(label: "inference-server")
        logger.logLevel = .info
        try await InferenceServerApp.run(configuration, logger: logger)
    }
}
