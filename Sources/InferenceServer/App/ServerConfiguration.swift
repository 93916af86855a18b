import Batching
import ONNXRuntime

/// Everything `serve` needs. Each setting has a flag and an environment variable;
/// `Setting` lists them with their defaults (the `--help` text is generated from it).
public struct ServerConfiguration: Sendable, Equatable {
    public var model: String
    public var modelName: String
    /// Labels every metric series `version` (the operator passes `canary` to a
    /// canary's candidate pods, so analysis queries tell the versions apart); nil: no label.
    public var modelVersion: String?
    /// The candidate of a canary rollout (`http://{name}-canary:80`): infer
    /// requests with `X-Canary: true` go there (`CanaryRoute`); nil: none are forwarded.
    public var canaryURL: String?
    public var host: String = "0.0.0.0"
    public var port: Int = 8080
    /// The v2 protocol's gRPC service (`inference.GRPCInferenceService`) listens here, on `host`;
    /// nil: no gRPC listener. 0: a port the system picks (logged).
    public var grpcPort: Int?
    public var batching = BatchingConfiguration()
    /// `.setting` when a flag or the environment set `batching.maxBatchSize`; otherwise
    /// `serve` takes the size `warmup` chose for the model (`Warmup.Report`), or the fallback.
    public var maxBatchSizeSource = BatchSizeSource.fallback
    /// `.setting` when a flag or the environment set the concurrent batches, the intra-op threads
    /// or the largest batch; otherwise `serve` runs the layout `warmup` chose (`RunLayout`), or
    /// one batch at a time on every core.
    public var runLayoutSource = RunLayoutSource.fallback
    public var session = SessionConfiguration()
    /// 64 MiB: large enough for image batches, small enough to refuse abuse (413).
    public var maxBodyBytes: Int = 64 << 20
    public var ortLibrary: String?
    /// Time between readiness going false and the HTTP server closing, so load balancers stop sending
    /// (Kubernetes endpoints take a few seconds to update). 0 in tests.
    public var drainDelay: Duration = .zero
    /// OTLP/HTTP endpoint (base URL) for traces; tracing is off when nil.
    public var otlpEndpoint: String?
    /// `service.name` of the exported spans.
    public var serviceName: String = "inference-server"
    /// HTTP event-loop threads; nil: `defaultEventLoops`.
    public var eventLoops: Int?

    /// One event loop per core that ONNX Runtime's intra-op threads leave free, at least one.
    /// Those threads spin-wait for each other at every operator, so a runnable event loop on
    /// their cores delays them all: on 2 cores with 2 intra-op threads, one loop instead of two
    /// served the OCR classifier 6% faster at concurrency 32 (MiniLM: no change; docs/inference-server.md).
    public static func defaultEventLoops(cores: Int, intraOpThreads: Int) -> Int {
        let onnxRuntime = intraOpThreads > 0 ? intraOpThreads : cores
        return max(1, cores - onnxRuntime)
    }

    public init(model: String, modelName: String? = nil) {
        self.model = model
        self.modelName = modelName ?? ServerConfiguration.defaultName(for: model)
    }

    /// "models/minilm.onnx" -> "minilm".
    public static func defaultName(for model: String) -> String {
        var base = model.split(separator: "/").last.map(String.init) ?? model
        for suffix in [".optimized.onnx", ".onnx"] where base.hasSuffix(suffix) {
            base.removeLast(suffix.count)
            break
        }
        return base.isEmpty ? "model" : base
    }
}

/// The settings `serve` understands: flag name, environment variable, default, meaning.
public enum Setting: String, CaseIterable, NamedSetting {
    case model, modelName, httpHost, httpPort, maxBatchSize, maxQueueDelayMs, maxQueueSize, maxConcurrentBatches
    case intraOpThreads, interOpThreads, graphOptimization, useCuda, maxBodyBytes, ortLibrary, drainDelayMs, otlpEndpoint
    case otelServiceName, intraOpSpinning, modelVersion, canaryUrl, eventLoops, grpcPort

    public var environmentVariable: String {
        switch self {
        case .model: return "MODEL"
        case .modelName: return "MODEL_NAME"
        case .httpHost: return "HTTP_HOST"
        case .httpPort: return "HTTP_PORT"
        case .maxBatchSize: return "MAX_BATCH_SIZE"
        case .maxQueueDelayMs: return "MAX_QUEUE_DELAY_MS"
        case .maxQueueSize: return "MAX_QUEUE_SIZE"
        case .maxConcurrentBatches: return "MAX_CONCURRENT_BATCHES"
        case .intraOpThreads: return "INTRA_OP_THREADS"
        case .interOpThreads: return "INTER_OP_THREADS"
        case .graphOptimization: return "GRAPH_OPTIMIZATION"
        case .useCuda: return "USE_CUDA"
        case .maxBodyBytes: return "MAX_BODY_BYTES"
        case .ortLibrary: return "ORT_LIBRARY"
        case .drainDelayMs: return "DRAIN_DELAY_MS"
        case .otlpEndpoint: return "OTEL_EXPORTER_OTLP_ENDPOINT"
        case .otelServiceName: return "OTEL_SERVICE_NAME"
        case .intraOpSpinning: return "INTRA_OP_SPINNING"
        case .modelVersion: return "MODEL_VERSION"
        case .canaryUrl: return "CANARY_URL"
        case .eventLoops: return "EVENT_LOOPS"
        case .grpcPort: return "GRPC_PORT"
        }
    }

    public var defaultDescription: String {
        switch self {
        case .model: return "required"
        case .modelName: return "file name without .onnx"
        case .httpHost: return "0.0.0.0"
        case .httpPort: return "8080"
        case .maxBatchSize: return "the size warmup chose from the model's measured throughput (warmup.json beside the model), else 8"
        case .maxQueueDelayMs: return "50 (the seed's rule)"
        case .maxQueueSize: return "256"
        case .maxConcurrentBatches: return "the layout warmup chose (warmup.json beside the model), else 1"
        case .intraOpThreads: return "the layout warmup chose, else 0 = one per core"
        case .interOpThreads: return "0 = ONNX Runtime's choice"
        case .graphOptimization: return "all"
        case .useCuda: return "false"
        case .maxBodyBytes: return "67108864 (64 MiB)"
        case .ortLibrary: return "venv wheel, then system paths"
        case .drainDelayMs: return "0"
        case .otlpEndpoint: return "unset = tracing off"
        case .otelServiceName: return "inference-server"
        case .intraOpSpinning: return "true (ONNX Runtime's default)"
        case .modelVersion: return "unset = no version label"
        case .canaryUrl: return "unset = no header route"
        case .eventLoops: return "the cores ONNX Runtime's intra-op threads leave free, at least 1"
        case .grpcPort: return "unset = no gRPC listener (the operator's pods use 8081)"
        }
    }
}

public typealias ConfigurationError = SettingError<Setting>

extension ServerConfiguration {
    /// Builds the configuration from flags (first) and environment variables (second); pure.
    public static func resolve(flags: [Setting: String], environment: [String: String]) throws(ConfigurationError) -> ServerConfiguration {
        let settings = SettingLookup(flags: flags, environment: environment)
        var config = ServerConfiguration(model: try settings.required(.model), modelName: settings.string(.modelName))
        if let version = settings.string(.modelVersion) {
            // A label value: bounded and printable, so a typo cannot blow up series cardinality or the exposition format.
            guard !version.isEmpty, version.count <= 63,
                  version.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) })
            else { throw .invalid(.modelVersion, version) }
            config.modelVersion = version
        }
        if let url = settings.string(.canaryUrl) {
            guard (url.hasPrefix("http://") || url.hasPrefix("https://")), url.count > 8, !url.contains(where: \.isWhitespace) else {
                throw .invalid(.canaryUrl, url)
            }
            config.canaryURL = url
        }
        if let host = settings.string(.httpHost) { config.host = host }
        if let port = try settings.int(.httpPort, min: 0, max: 65535) { config.port = port }
        config.grpcPort = try settings.int(.grpcPort, min: 0, max: 65535)
        var batching = config.batching
        if let n = try settings.int(.maxBatchSize, min: 1) {
            batching.maxBatchSize = n
            config.maxBatchSizeSource = .setting
            config.runLayoutSource = .setting
        }
        if let n = try settings.int(.maxQueueDelayMs, min: 0) { batching.maxQueueDelay = .milliseconds(n) }
        if let n = try settings.int(.maxQueueSize, min: 1) { batching.maxQueueSize = n }
        if let n = try settings.int(.maxConcurrentBatches, min: 1) {
            batching.maxConcurrentBatches = n
            config.runLayoutSource = .setting
        }
        config.batching = batching
        if let n = try settings.int(.intraOpThreads, min: 0) {
            config.session.intraOpThreads = n
            config.runLayoutSource = .setting
        }
        if let n = try settings.int(.interOpThreads, min: 0) { config.session.interOpThreads = n }
        if let raw = settings.string(.graphOptimization) {
            guard let level = SessionConfiguration.GraphOptimization(rawValue: raw) else { throw .invalid(.graphOptimization, raw) }
            config.session.graphOptimization = level
        }
        if let cuda = try settings.bool(.useCuda) { config.session.preferCUDA = cuda }
        if let spinning = try settings.bool(.intraOpSpinning) { config.session.intraOpSpinning = spinning }
        if let n = try settings.int(.maxBodyBytes, min: 1) { config.maxBodyBytes = n }
        if let n = try settings.int(.eventLoops, min: 1, max: 1024) { config.eventLoops = n }
        config.ortLibrary = settings.string(.ortLibrary)
        if let n = try settings.int(.drainDelayMs, min: 0) { config.drainDelay = .milliseconds(n) }
        config.otlpEndpoint = settings.string(.otlpEndpoint)
        if let name = settings.string(.otelServiceName) { config.serviceName = name }
        return config
    }
}
