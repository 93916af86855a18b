import Prometheus

/// The server's Prometheus metrics. Labels are bounded: model name, the
/// optional version (`--model-version`), the wire protocol and outcome only.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let model: String
    public let version: String?
    let queueWait: DurationHistogram
    let compute: DurationHistogram
    let batchSize: ValueHistogram
    let inFlight: Gauge
    let queueDepth: Gauge
    private let gpu: NVML?

    /// Request latency buckets: fine between 50 and 500 ms, where the p95 alerts sit
    /// (the operator scales at p95 > 200 ms; the HPA baseline targets 150 ms).
    public static let latencyBuckets: [Duration] = [
        5, 10, 25, 50, 75, 100, 125, 150, 175, 200, 225, 250, 300, 350, 400, 450, 500, 750, 1000, 2500, 5000, 10000,
    ].map { .milliseconds($0) }
    static let computeBuckets: [Duration] = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2500].map { .milliseconds($0) }
    static let batchBuckets: [Double] = [1, 2, 3, 4, 6, 8, 12, 16, 32, 64]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), model: String, version: String? = nil,
                gpu: NVML? = NVML.load()) {
        self.registry = registry
        self.model = model
        self.version = version
        self.gpu = gpu
        let labels = Self.labels(model: model, version: version)
        queueWait = registry.makeDurationHistogram(
            descriptor: .init(metricName: "inference_queue_wait", unitName: "seconds",
                              helpText: "Time a request waited in the batching queue before its batch ran."),
            labels: labels, buckets: Self.computeBuckets)
        compute = registry.makeDurationHistogram(
            descriptor: .init(metricName: "inference_compute_duration", unitName: "seconds",
                              helpText: "Time ONNX Runtime spent running one batch."),
            labels: labels, buckets: Self.computeBuckets)
        batchSize = registry.makeValueHistogram(
            descriptor: .init(metricName: "inference_batch", unitName: "size", helpText: "Requests per executed batch."),
            labels: labels, buckets: Self.batchBuckets)
        inFlight = registry.makeGauge(
            descriptor: .init(metricName: "inference_requests_in_flight", unitName: "", helpText: "Inference requests being served now."),
            labels: labels)
        queueDepth = registry.makeGauge(
            descriptor: .init(metricName: "inference_queue_depth", unitName: "", helpText: "Requests waiting for a batch."),
            labels: labels)
        // Created up front so dashboards see zero rather than nothing, and kept: the success
        // path then skips the registry's lookup (a lock and a label-keyed dictionary).
        successDuration = Dictionary(uniqueKeysWithValues: WireProtocol.allCases.map { wire in
            (wire, Self.requestDuration(registry, model: model, version: version, outcome: "success", protocol: wire))
        })
    }

    static func labels(model: String, version: String?) -> [(String, String)] {
        [("model", model)] + (version.map { [("version", $0)] } ?? [])
    }

    /// How a request reached the server: the `protocol` label of `inference_request_duration_seconds`.
    public enum WireProtocol: String, Sendable, CaseIterable {
        case http, grpc
    }

    private let successDuration: [WireProtocol: DurationHistogram]

    func requestDuration(outcome: String, protocol wire: WireProtocol = .http) -> DurationHistogram {
        if outcome == "success", let cached = successDuration[wire] { return cached }
        return Self.requestDuration(registry, model: model, version: version, outcome: outcome, protocol: wire)
    }

    private static func requestDuration(_ registry: PrometheusCollectorRegistry, model: String, version: String?, outcome: String,
                                        protocol wire: WireProtocol) -> DurationHistogram
    {
        registry.makeDurationHistogram(
            descriptor: .init(metricName: "inference_request_duration", unitName: "seconds",
                              helpText: "Inference request latency from body received to response ready, by model and outcome."),
            labels: labels(model: model, version: version) + [("protocol", wire.rawValue), ("outcome", outcome)],
            buckets: Self.latencyBuckets)
    }

    /// Refreshes sampled gauges (queue depth, GPU utilisation) and renders the exposition text.
    public func render(queueDepth depth: Int) -> [UInt8] {
        queueDepth.set(Double(depth))
        if let gpu {
            for (index, percent) in gpu.utilization() {
                registry.makeGauge(
                    descriptor: .init(metricName: "inference_gpu_utilization", unitName: "percent",
                                      helpText: "GPU utilisation (0-100) reported by NVML."),
                    labels: [("gpu", String(index))] + (version.map { [("version", $0)] } ?? [])
                ).set(percent)
            }
        }
        return registry.emitToBuffer()
    }
}
