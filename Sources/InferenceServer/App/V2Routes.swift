import HTTPTypes
import Hummingbird
import InferenceProtocol
import JSONValue
import NIOCore
import ONNXRuntime
import Tracing

/// The Open Inference Protocol (KServe v2) routes and `/metrics`.
public struct V2Routes: Sendable {
    public let registry: ModelRegistry
    public let metrics: ServerMetrics
    /// Largest accepted request body.
    public let maxBodyBytes: Int
    /// nil: tracing off, and the request path does no tracing work at all.
    public let tracing: ServerTracing?
    /// The header route of a canary (`--canary-url`); nil: every request is served here.
    public let canaryRoute: CanaryRoute?
    public static let serverName = "inference-server"

    public init(registry: ModelRegistry, metrics: ServerMetrics, maxBodyBytes: Int, tracing: ServerTracing? = nil,
                canaryRoute: CanaryRoute? = nil) {
        self.registry = registry
        self.metrics = metrics
        self.maxBodyBytes = maxBodyBytes
        self.tracing = tracing
        self.canaryRoute = canaryRoute
    }

    public func register(on router: Router<BasicRequestContext>) {
        router.get("/v2/health/live") { _, _ in Self.json(.ok, ["live": true]) }
        router.get("/v2/health/ready") { _, _ in
            let ready = registry.isReady
            return Self.json(ready ? .ok : .serviceUnavailable, ["ready": .bool(ready)])
        }
        router.get("/v2") { _, _ in
            Self.json(.ok, ["name": .string(Self.serverName), "version": .string(ServerInfo.version),
                            "extensions": ["binary_tensor_data"]])
        }
        router.get("/v2/models/:model") { _, context in metadata(context) }
        router.get("/v2/models/:model/versions/:version") { _, context in metadata(context) }
        router.get("/v2/models/:model/ready") { _, context in modelReady(context) }
        router.get("/v2/models/:model/versions/:version/ready") { _, context in modelReady(context) }
        router.post("/v2/models/:model/infer") { request, context in
            await traced("POST /v2/models/{model}/infer", request, context)
        }
        router.post("/v2/models/:model/versions/:version/infer") { request, context in
            await traced("POST /v2/models/{model}/versions/{version}/infer", request, context)
        }
        router.get("/metrics") { _, _ in
            let depth: Int
            switch registry.current {
            case .ready(let runner), .draining(let runner): depth = runner.queueDepth
            default: depth = 0
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render(queueDepth: depth))))
        }
    }

    // MARK: - Handlers

    func metadata(_ context: BasicRequestContext) -> Response {
        let name = context.parameters.get("model") ?? ""
        do {
            let runner = try registry.loadedRunner(named: name)
            try checkVersion(context)
            let describe: (TensorInfo) -> JSON = { info in
                ["name": .string(info.name),
                 "datatype": .string(info.elementType.map(V2Datatype.name(of:)) ?? "UNSUPPORTED"),
                 "shape": .array(info.shape.map { .int($0) })]
            }
            return Self.json(.ok, [
                "name": .string(registry.modelName), "versions": [.string(registry.modelVersion)],
                "platform": "onnxruntime_onnx",
                "inputs": .array(runner.session.info.inputs.map(describe)),
                "outputs": .array(runner.session.info.outputs.map(describe)),
                // An extension of the v2 metadata: how the batcher's largest batch was chosen.
                "batching": [
                    "enabled": .bool(runner.batchingEnabled),
                    "max_batch_size": .int(Int64(runner.maxBatchSize)),
                    "max_batch_size_source": .string(runner.batchSizeSource.rawValue),
                    "throughput": .array(runner.batchThroughput.map { point in
                        ["batch_size": .int(Int64(point.batchSize)), "items_per_second": .double(point.itemsPerSecond)]
                    }),
                    "concurrent_batches": .int(Int64(runner.concurrentBatches)),
                    "intra_op_threads": .int(Int64(runner.layout.intraOpThreads)),
                    "layout_source": .string(runner.layout.source.rawValue),
                    "layouts": .array(runner.layout.measured.map { layout in
                        ["concurrent_batches": .int(Int64(layout.concurrentBatches)),
                         "intra_op_threads": .int(Int64(layout.intraOpThreads)),
                         "max_batch_size": .int(Int64(layout.maxBatchSize)),
                         "items_per_second": .double(layout.itemsPerSecond)]
                    }),
                ],
            ])
        } catch {
            return Self.error(error)
        }
    }

    func modelReady(_ context: BasicRequestContext) -> Response {
        let name = context.parameters.get("model") ?? ""
        guard name == registry.modelName else { return Self.error(InferenceError.modelNotFound(name)) }
        if let version = context.parameters.get("version"), version != registry.modelVersion {
            return Self.error(InferenceError.modelNotFound("\(name) version \(version)"))
        }
        let ready = registry.isReady
        return Self.json(ready ? .ok : .serviceUnavailable, ["name": .string(name), "ready": .bool(ready)])
    }

    /// `infer` inside a server span named after the route template, a child of the caller's
    /// `traceparent` when there is one.
    func traced(_ route: String, _ request: Request, _ context: BasicRequestContext) async -> Response {
        guard let tracing else { return await infer(request, context, span: nil) }
        let span = tracing.tracer.startSpan(route, context: tracing.extract(from: request.headers), ofKind: .server)
        defer { span.end() }
        span.attributes[TraceAttribute.method] = "POST"
        span.attributes[TraceAttribute.route] = String(route.dropFirst("POST ".count))
        span.attributes[TraceAttribute.model] = context.parameters.get("model") ?? ""
        let response = await infer(request, context, span: span)
        span.attributes[TraceAttribute.statusCode] = Int(response.status.code)
        if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
        return response
    }

    func infer(_ request: Request, _ context: BasicRequestContext, span: (any Span)?) async -> Response {
        if let canaryRoute, CanaryRoute.wants(request.headers), context.parameters.get("model") == registry.modelName {
            var request = request
            // Over the limit: served (and refused with 413) here, as any request.
            if let body = try? await request.collectBody(upTo: maxBodyBytes) {
                if let answer = await canaryRoute.forward(path: request.uri.path, headers: request.headers, body: body) {
                    span?.attributes[TraceAttribute.outcome] = "forwarded_to_canary"
                    return answer
                }
                request.body = .init(buffer: body)
            }
            return await serve(request, context, span: span)
        }
        return await serve(request, context, span: span)
    }

    func serve(_ request: Request, _ context: BasicRequestContext, span: (any Span)?) async -> Response {
        let started = ContinuousClock.now
        let name = context.parameters.get("model") ?? ""
        let served = name == registry.modelName
        if served { metrics.inFlight.increment() }
        defer { if served { metrics.inFlight.decrement() } }
        do {
            try checkVersion(context)
            let runner = try registry.runner(named: name)
            if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBodyBytes {
                throw InferenceError.payloadTooLarge(limit: maxBodyBytes)
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch {
                throw InferenceError.payloadTooLarge(limit: maxBodyBytes)
            }
            var headerLength: Int?
            if let field = request.headers.first(where: { $0.name.canonicalName == "inference-header-content-length" }) {
                guard let length = Int(field.value) else {
                    throw InferenceError.badRequest("Inference-Header-Content-Length must be an integer")
                }
                headerLength = length
            }
            let decoded = try InferRequestDecoder.decode(body: body, headerLength: headerLength)
            let result = try await runner.infer(decoded, trace: span?.context)
            if let span {
                span.attributes[TraceAttribute.queueWaitMs] = result.queueWait.milliseconds
                span.attributes[TraceAttribute.batchSize] = result.batchSize
                if let batch = result.batchTrace { span.addLink(SpanLink(context: batch, attributes: [:])) }
            }
            let outputs = result.outputs
            let binaryFor: (String) -> Bool = { output in
                decoded.outputs?.first { $0.name == output }?.binary ?? decoded.binaryOutputByDefault
            }
            let encoded = InferResponseEncoder.encode(
                modelName: registry.modelName, modelVersion: registry.modelVersion, id: decoded.id,
                outputs: outputs.map { ($0, binary: binaryFor($0.name)) })
            metrics.requestDuration(outcome: "success", protocol: .http).record(ContinuousClock.now - started)
            span?.attributes[TraceAttribute.outcome] = "success"
            var headers = HTTPFields()
            if let version = metrics.version, let field = HTTPField.Name(ModelVersionHeader.name) { headers[field] = version }
            if let length = encoded.jsonHeaderLength {
                headers[.contentType] = "application/octet-stream"
                if let field = HTTPField.Name("Inference-Header-Content-Length") { headers[field] = String(length) }
            } else {
                headers[.contentType] = "application/json"
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: encoded.body))
        } catch {
            let failure = (error as? InferenceError) ?? .inferenceFailed("\(error)")
            if served { metrics.requestDuration(outcome: failure.outcome, protocol: .http).record(ContinuousClock.now - started) }
            // The span status turns to error for 5xx only (in `traced`), as OpenTelemetry's HTTP conventions say.
            span?.attributes[TraceAttribute.outcome] = failure.outcome
            return Self.error(failure)
        }
    }

    private func checkVersion(_ context: BasicRequestContext) throws(InferenceError) {
        if let version = context.parameters.get("version"), version != registry.modelVersion {
            throw .modelNotFound("\(registry.modelName) version \(version)")
        }
    }

    // MARK: - Responses

    static func json(_ status: HTTPResponse.Status, _ value: JSON) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.serialized())))
    }

    static func error(_ error: any Error) -> Response {
        let failure = (error as? InferenceError) ?? .inferenceFailed("\(error)")
        var response = json(HTTPResponse.Status(code: failure.statusCode), ["error": .string(failure.description)])
        if case .overloaded(let seconds) = failure {
            response.headers[.retryAfter] = String(seconds)
        }
        return response
    }
}

/// Version reported by `/v2`.
public enum ServerInfo {
    public static let version = "0.1.0"
}
