import GRPCCore
import GRPCPredictV2
import InferenceGRPC
import InferenceProtocol
import ONNXRuntime
import Tracing

/// The Open Inference Protocol's gRPC service (`inference.GRPCInferenceService`) over the
/// same registry, batcher, metrics and tracing as the HTTP routes (`V2Routes`).
///
/// Errors are `RPCError`s with the codes `GRPCStatusMapping` gives each `InferenceError`.
/// Request size is limited by the transport (`--max-body-bytes` is its largest message).
/// The canary header route (`X-Canary`) is HTTP's only: gRPC calls are served here.
public struct V2GRPCService: Inference_GRPCInferenceService.SimpleServiceProtocol {
    public let registry: ModelRegistry
    public let metrics: ServerMetrics
    /// nil: tracing off.
    public let tracing: ServerTracing?
    static let serviceName = "inference.GRPCInferenceService"

    public init(registry: ModelRegistry, metrics: ServerMetrics, tracing: ServerTracing? = nil) {
        self.registry = registry
        self.metrics = metrics
        self.tracing = tracing
    }

    public func serverLive(request: Inference_ServerLiveRequest, context: ServerContext) async throws -> Inference_ServerLiveResponse {
        var response = Inference_ServerLiveResponse()
        response.live = true
        return response
    }

    public func serverReady(request: Inference_ServerReadyRequest, context: ServerContext) async throws -> Inference_ServerReadyResponse {
        var response = Inference_ServerReadyResponse()
        response.ready = registry.isReady
        return response
    }

    public func modelReady(request: Inference_ModelReadyRequest, context: ServerContext) async throws -> Inference_ModelReadyResponse {
        guard request.name == registry.modelName else { throw GRPCStatusMapping.rpcError(for: .modelNotFound(request.name)) }
        try checkVersion(request.version)
        var response = Inference_ModelReadyResponse()
        response.ready = registry.isReady
        return response
    }

    public func serverMetadata(request: Inference_ServerMetadataRequest, context: ServerContext) async throws
        -> Inference_ServerMetadataResponse
    {
        var response = Inference_ServerMetadataResponse()
        response.name = V2Routes.serverName
        response.version = ServerInfo.version
        return response
    }

    public func modelMetadata(request: Inference_ModelMetadataRequest, context: ServerContext) async throws
        -> Inference_ModelMetadataResponse
    {
        let runner: ModelRunner
        do {
            runner = try registry.loadedRunner(named: request.name)
        } catch {
            throw GRPCStatusMapping.rpcError(for: error)
        }
        try checkVersion(request.version)
        let describe = { (info: TensorInfo) -> Inference_ModelMetadataResponse.TensorMetadata in
            var tensor = Inference_ModelMetadataResponse.TensorMetadata()
            tensor.name = info.name
            tensor.datatype = info.elementType.map(V2Datatype.name(of:)) ?? "UNSUPPORTED"
            tensor.shape = info.shape
            return tensor
        }
        var response = Inference_ModelMetadataResponse()
        response.name = registry.modelName
        response.versions = [registry.modelVersion]
        response.platform = "onnxruntime_onnx"
        response.inputs = runner.session.info.inputs.map(describe)
        response.outputs = runner.session.info.outputs.map(describe)
        return response
    }

    /// The metadata-less form the simple protocol asks for; the server calls the one below.
    public func modelInfer(request: Inference_ModelInferRequest, context: ServerContext) async throws -> Inference_ModelInferResponse {
        try await modelInfer(request: ServerRequest(metadata: [:], message: request), context: context).message
    }

    /// `ModelInfer` with the request's metadata (W3C trace context) and the response's
    /// (the model version, as HTTP's header).
    public func modelInfer(request: ServerRequest<Inference_ModelInferRequest>, context: ServerContext) async throws
        -> ServerResponse<Inference_ModelInferResponse>
    {
        guard let tracing else { return try await infer(request.message, span: nil) }
        var parent = ServiceContext.topLevel
        tracing.tracer.extract(request.metadata, into: &parent, using: GRPCMetadataExtractor())
        let span = tracing.tracer.startSpan("\(Self.serviceName)/ModelInfer", context: parent, ofKind: .server)
        defer { span.end() }
        span.attributes[TraceAttribute.rpcSystem] = "grpc"
        span.attributes[TraceAttribute.rpcService] = Self.serviceName
        span.attributes[TraceAttribute.rpcMethod] = "ModelInfer"
        span.attributes[TraceAttribute.model] = request.message.modelName
        do {
            let response = try await infer(request.message, span: span)
            span.attributes[TraceAttribute.grpcStatusCode] = 0
            return response
        } catch let error as RPCError {
            span.attributes[TraceAttribute.grpcStatusCode] = Int(error.code.rawValue)
            // Server errors only, as OpenTelemetry's RPC conventions say for a server span.
            if [.internalError, .unavailable, .unknown, .dataLoss, .unimplemented, .deadlineExceeded].contains(error.code) {
                span.setStatus(SpanStatus(code: .error))
            }
            throw error
        }
    }

    func infer(_ message: Inference_ModelInferRequest, span: (any Span)?) async throws -> ServerResponse<Inference_ModelInferResponse> {
        let started = ContinuousClock.now
        let served = message.modelName == registry.modelName
        if served { metrics.inFlight.increment() }
        defer { if served { metrics.inFlight.decrement() } }
        do {
            try checkInferVersion(message.modelVersion)
            let runner = try registry.runner(named: message.modelName)
            let decoded = try GRPCInferDecoder.decode(message)
            let result = try await runner.infer(decoded, trace: span?.context)
            if let span {
                span.attributes[TraceAttribute.queueWaitMs] = result.queueWait.milliseconds
                span.attributes[TraceAttribute.batchSize] = result.batchSize
                if let batch = result.batchTrace { span.addLink(SpanLink(context: batch, attributes: [:])) }
            }
            let response = GRPCInferEncoder.encode(modelName: registry.modelName, modelVersion: registry.modelVersion,
                                                   id: decoded.id, outputs: result.outputs)
            metrics.requestDuration(outcome: "success", protocol: .grpc).record(ContinuousClock.now - started)
            span?.attributes[TraceAttribute.outcome] = "success"
            var metadata = Metadata()
            if let version = metrics.version { metadata.addString(version, forKey: ModelVersionHeader.name.lowercased()) }
            return ServerResponse(message: response, metadata: metadata)
        } catch {
            if served { metrics.requestDuration(outcome: error.outcome, protocol: .grpc).record(ContinuousClock.now - started) }
            span?.attributes[TraceAttribute.outcome] = error.outcome
            throw GRPCStatusMapping.rpcError(for: error)
        }
    }

    private func checkInferVersion(_ version: String) throws(InferenceError) {
        if !version.isEmpty, version != registry.modelVersion {
            throw .modelNotFound("\(registry.modelName) version \(version)")
        }
    }

    private func checkVersion(_ version: String) throws {
        do {
            try checkInferVersion(version)
        } catch {
            throw GRPCStatusMapping.rpcError(for: error)
        }
    }
}

/// Reads propagation keys (`traceparent`, `tracestate`, `baggage`) from gRPC metadata.
struct GRPCMetadataExtractor: Extractor {
    func extract(key: String, from carrier: Metadata) -> String? {
        carrier[stringValues: key].first(where: { _ in true })
    }
}
