import HTTPTypes
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry tracing for the server. It exists only when an OTLP endpoint is configured;
/// without one the server holds `nil` and skips every tracing step (no header parsing, no spans).
///
/// Spans:
/// - one per inference request, `POST /v2/models/{model}/infer` (kind server), a child of the
///   caller's trace when the request carries a W3C `traceparent` header; over gRPC,
///   `inference.GRPCInferenceService/ModelInfer`, a child of the `traceparent` in the call's metadata;
/// - one per executed batch, `inference batch` (kind internal), linked to the spans of the requests
///   it carried (a batch has many parents, so links rather than parenthood, as OpenTelemetry's
///   messaging conventions do for batch receives); each request span links back to its batch.
public struct ServerTracing: Sendable {
    public let tracer: any Tracer
    /// Batches and exports spans in the background; it belongs in the server's `ServiceGroup`
    /// and flushes what is left on graceful shutdown.
    public let exporter: any Service

    public init(tracer: any Tracer, exporter: any Service) {
        self.tracer = tracer
        self.exporter = exporter
    }

    /// swift-otel's tracer with its OTLP/HTTP (protobuf) exporter, or nil when `endpoint` is nil or empty.
    ///
    /// `endpoint` is a base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` is: spans go to `{endpoint}/v1/traces`.
    /// swift-otel then applies the standard `OTEL_*` environment variables (sampler, headers,
    /// `OTEL_EXPORTER_OTLP_PROTOCOL`, batch processor delays, ...).
    public static func make(endpoint: String?, serviceName: String, logger: Logger) throws -> ServerTracing? {
        guard let endpoint, !endpoint.isEmpty else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.endpoint = tracesURL(base: endpoint)
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return ServerTracing(tracer: backend.factory, exporter: backend.service)
    }

    /// The OTLP/HTTP traces URL for a base endpoint (the OpenTelemetry exporter rule for
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`); a URL that already ends in `/v1/traces` is kept.
    public static func tracesURL(base: String) -> String {
        if base.hasSuffix("/v1/traces") { return base }
        return base.hasSuffix("/") ? base + "v1/traces" : base + "/v1/traces"
    }

    /// The caller's trace context from the request headers (`traceparent`, `tracestate`, `baggage`).
    func extract(from headers: HTTPFields) -> ServiceContext {
        var context = ServiceContext.topLevel
        tracer.extract(headers, into: &context, using: HTTPFieldsExtractor())
        return context
    }
}

/// Reads propagation headers from Hummingbird's request headers.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        guard let name = HTTPField.Name(key) else { return nil }
        return carrier[name]
    }
}

/// Span attribute names. Standard ones follow OpenTelemetry's HTTP and RPC semantic conventions;
/// `inference.*` are ours.
enum TraceAttribute {
    static let method = "http.request.method"
    static let route = "http.route"
    static let statusCode = "http.response.status_code"
    static let rpcSystem = "rpc.system"
    static let rpcService = "rpc.service"
    static let rpcMethod = "rpc.method"
    static let grpcStatusCode = "rpc.grpc.status_code"
    static let model = "inference.model"
    static let outcome = "inference.outcome"
    static let batchSize = "inference.batch.size"
    static let batchRows = "inference.batch.rows"
    static let queueWaitMs = "inference.queue_wait_ms"
    static let maxQueueWaitMs = "inference.batch.max_queue_wait_ms"
    static let computeMs = "inference.compute_ms"
}
