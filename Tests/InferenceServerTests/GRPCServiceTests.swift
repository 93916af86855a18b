import Batching
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import GRPCPredictV2
import InferenceServer
import Logging
import NIOPosix
import ONNXRuntime
import Prometheus
import ServiceLifecycle
import Testing

/// A served model behind a real gRPC server (HTTP/2 on loopback), called with grpc-swift's client.
struct GRPCHarness {
    typealias Client = Inference_GRPCInferenceService.Client<HTTP2ClientTransport.Posix>

    static func with<T: Sendable>(
        model: String, batching: BatchingConfiguration = BatchingConfiguration(maxQueueDelay: .milliseconds(5)),
        loaded: Bool = true, tracing: ServerTracing? = nil, maxMessageBytes: Int = 1 << 20,
        _ body: @Sendable (ServerMetrics, Client) async throws -> T
    ) async throws -> T {
        try await ServedModel.with(model: model, batching: batching, loaded: loaded, tracing: tracing) { registry, metrics, _ in
            let transport = HTTP2ServerTransport.Posix(
                address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext,
                config: .defaults { $0.rpc.maxRequestPayloadSize = maxMessageBytes })
            let server = GRPCServer(transport: transport, services: [V2GRPCService(registry: registry, metrics: metrics, tracing: tracing)])
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await server.serve()
                    return nil
                }
                defer { server.beginGracefulShutdown() }
                let port = try #require(try await transport.listeningAddress.ipv4?.port)
                let clientTransport = try HTTP2ClientTransport.Posix(target: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext)
                return try await withGRPCClient(transport: clientTransport) { client in
                    try await body(metrics, Client(wrapping: client))
                }
            }
        }
    }
}

/// The v2 gRPC service on real models and the real ONNX Runtime.
@Suite struct GRPCServiceTests {
    static func tensor(_ name: String, _ datatype: String, _ shape: [Int64]) -> Inference_ModelInferRequest.InferInputTensor {
        var tensor = Inference_ModelInferRequest.InferInputTensor()
        tensor.name = name
        tensor.datatype = datatype
        tensor.shape = shape
        return tensor
    }

    static func floats(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }

    static func addRequest(_ x: [Float], _ y: [Float], id: String = "") -> Inference_ModelInferRequest {
        var request = Inference_ModelInferRequest()
        request.modelName = "add"
        request.id = id
        request.inputs = [tensor("x", "FP32", [Int64(x.count / 3), 3]), tensor("y", "FP32", [Int64(y.count / 3), 3])]
        request.rawInputContents = [floats(x), floats(y)]
        return request
    }

    static func values(_ data: Data) -> [Float] {
        data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func code(_ call: () async throws -> Void) async -> RPCError.Code? {
        do {
            try await call()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }

    @Test func rawAndTypedContentsInferTheSameAnswer() async throws {
        try await GRPCHarness.with(model: "add") { metrics, client in
            let raw = try await client.modelInfer(Self.addRequest([1, 2, 3], [10, 20, 30], id: "r-1"))
            #expect(raw.modelName == "add" && raw.modelVersion == "1" && raw.id == "r-1")
            #expect(raw.outputs.map(\.name) == ["z"] && raw.outputs[0].datatype == "FP32" && raw.outputs[0].shape == [1, 3])
            #expect(raw.rawOutputContents.count == 1 && Self.values(raw.rawOutputContents[0]) == [11, 22, 33])

            var typed = Self.addRequest([1, 2, 3], [10, 20, 30])
            typed.rawInputContents = []
            typed.inputs[0].contents.fp32Contents = [1, 2, 3]
            typed.inputs[1].contents.fp32Contents = [10, 20, 30]
            let answer = try await client.modelInfer(typed)
            #expect(Self.values(answer.rawOutputContents[0]) == [11, 22, 33] && answer.id.isEmpty)

            let text = String(decoding: metrics.render(queueDepth: 0), as: UTF8.self)
            #expect(text.contains(#"inference_request_duration_seconds_count{model="add",protocol="grpc",outcome="success"} 2"#), "\(text)")
        }
    }

    @Test func everyDatatypeRoundTripsThroughRawContents() async throws {
        // The `types` model: one Identity per datatype, inputs in_<type> [batch, 2].
        let samples: [(String, String, Data)] = [
            ("bool", "BOOL", Data([1, 0])), ("uint8", "UINT8", Data([7, 255])), ("uint16", "UINT16", Data([1, 2, 3, 4])),
            ("uint32", "UINT32", Data((0..<8).map { UInt8($0) })), ("uint64", "UINT64", Data((0..<16).map { UInt8($0) })),
            ("int8", "INT8", Data([0xFF, 1])), ("int16", "INT16", Data([1, 0x80, 2, 0])), ("int32", "INT32", Data((8..<16).map { UInt8($0) })),
            ("int64", "INT64", Data((16..<32).map { UInt8($0) })), ("float16", "FP16", Data([0x00, 0x3C, 0x00, 0xC0])),
            ("float32", "FP32", Self.floats([1.5, -2])), ("float64", "FP64", [0.25, 8.0].withUnsafeBytes { Data($0) }),
            ("string", "BYTES", Data([2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0])),
        ]
        var request = Inference_ModelInferRequest()
        request.modelName = "types"
        request.inputs = samples.map { Self.tensor("in_\($0.0)", $0.1, [1, 2]) }
        request.rawInputContents = samples.map(\.2)
        let message = request
        try await GRPCHarness.with(model: "types") { _, client in
            let response = try await client.modelInfer(message)
            for (name, datatype, data) in samples {
                let index = try #require(response.outputs.firstIndex { $0.name == "out_\(name)" }, "no out_\(name)")
                #expect(response.outputs[index].datatype == datatype && response.outputs[index].shape == [1, 2])
                #expect(response.rawOutputContents[index] == data, "out_\(name)")
            }
        }
    }

    @Test func batchedCallsEachGetTheirOwnRows() async throws {
        let batching = BatchingConfiguration(maxBatchSize: 4, maxQueueDelay: .seconds(30))
        try await GRPCHarness.with(model: "add", batching: batching) { _, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<4 {
                    group.addTask {
                        let value = Float(n)
                        let response = try await client.modelInfer(Self.addRequest([value, value, value], [1, 1, 1], id: "c\(n)"))
                        #expect(response.id == "c\(n)" && Self.values(response.rawOutputContents[0]) == [value + 1, value + 1, value + 1])
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func healthAndMetadata() async throws {
        try await GRPCHarness.with(model: "add") { _, client in
            let live = try await client.serverLive(Inference_ServerLiveRequest())
            let serverReady = try await client.serverReady(Inference_ServerReadyRequest())
            var ready = Inference_ModelReadyRequest()
            ready.name = "add"
            let modelReady = try await client.modelReady(ready)
            #expect(live.live && serverReady.ready && modelReady.ready)
            ready.name = "other"
            #expect(await Self.code { _ = try await client.modelReady(ready) } == .notFound)
            let server = try await client.serverMetadata(Inference_ServerMetadataRequest())
            #expect(server.name == "inference-server" && !server.version.isEmpty)
            var metadataRequest = Inference_ModelMetadataRequest()
            metadataRequest.name = "add"
            let metadata = try await client.modelMetadata(metadataRequest)
            #expect(metadata.name == "add" && metadata.versions == ["1"] && metadata.platform == "onnxruntime_onnx")
            #expect(metadata.inputs.map(\.name) == ["x", "y"] && metadata.inputs.map(\.datatype) == ["FP32", "FP32"])
            #expect(metadata.inputs[0].shape == [-1, 3] && metadata.outputs.map(\.name) == ["z"])
            metadataRequest.version = "2"
            #expect(await Self.code { _ = try await client.modelMetadata(metadataRequest) } == .notFound)
        }
    }

    @Test func failuresMapToStatusCodes() async throws {
        try await GRPCHarness.with(model: "add", maxMessageBytes: 4096) { metrics, client in
            var unknown = Self.addRequest([1, 2, 3], [1, 2, 3])
            unknown.modelName = "nope"
            #expect(await Self.code { _ = try await client.modelInfer(unknown) } == .notFound)
            var version = Self.addRequest([1, 2, 3], [1, 2, 3])
            version.modelVersion = "7"
            #expect(await Self.code { _ = try await client.modelInfer(version) } == .notFound)
            var short = Self.addRequest([1, 2, 3], [1, 2, 3])
            short.rawInputContents[1] = Self.floats([1, 2])
            #expect(await Self.code { _ = try await client.modelInfer(short) } == .invalidArgument)
            var missing = Self.addRequest([1, 2, 3], [1, 2, 3])
            missing.inputs.removeLast()
            missing.rawInputContents.removeLast()
            #expect(await Self.code { _ = try await client.modelInfer(missing) } == .invalidArgument)
            // Over the message limit: the transport refuses it before our handler sees it. grpc-swift's
            // server ends the stream without a status, so the client reports UNAVAILABLE rather than
            // RESOURCE_EXHAUSTED; either way it is never decoded, queued or counted, and the next call works.
            let huge = Self.addRequest(Array(repeating: 1, count: 3000), Array(repeating: 1, count: 3000))
            let hugeCode = await Self.code { _ = try await client.modelInfer(huge) }
            #expect(hugeCode != nil, "a message over the limit was served")
            let after = try await client.modelInfer(Self.addRequest([1, 2, 3], [1, 2, 3]))
            #expect(Self.values(after.rawOutputContents[0]) == [2, 4, 6])
            let text = String(decoding: metrics.render(queueDepth: 0), as: UTF8.self)
            #expect(text.contains(#"inference_request_duration_seconds_count{model="add",protocol="grpc",outcome="client_error"} 3"#), "\(text)")
        }
        try await GRPCHarness.with(model: "add", loaded: false) { _, client in
            #expect(await Self.code { _ = try await client.modelInfer(Self.addRequest([1, 2, 3], [1, 2, 3])) } == .unavailable)
            let ready = try await client.serverReady(Inference_ServerReadyRequest())
            #expect(ready.ready == false)
        }
    }

    @Test func callsContinueTheTraceInTheirMetadata() async throws {
        let logger = { () -> Logger in
            var logger = Logger(label: "grpc-tracing-test")
            logger.logLevel = .warning
            return logger
        }()
        try await OTLPReceiver.with { receiver, endpoint in
            let tracing = try #require(try ServerTracing.make(endpoint: endpoint, serviceName: "grpc-tracing-test", logger: logger))
            let exporter = ServiceGroup(services: [tracing.exporter], gracefulShutdownSignals: [], logger: logger)
            async let exporting: Void = exporter.run()
            try await GRPCHarness.with(model: "add", tracing: tracing) { _, client in
                let metadata: Metadata = ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]
                _ = try await client.modelInfer(Self.addRequest([1, 2, 3], [1, 2, 3]), metadata: metadata)
                var bad = Self.addRequest([1, 2, 3], [1, 2, 3])
                bad.modelName = "nope"
                _ = await Self.code { _ = try await client.modelInfer(bad) }
            }
            await exporter.triggerGracefulShutdown()
            try await exporting
            let spans = receiver.spans.filter { $0.name == "inference.GRPCInferenceService/ModelInfer" }
            try #require(spans.count == 2, "\(receiver.spans.map(\.name))")
            let traced = try #require(spans.first { $0.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" })
            #expect(traced.parentSpanID == "00f067aa0ba902b7" && traced.kind == 2)
            #expect(traced.attributes["rpc.system"] == .string("grpc") && traced.attributes["rpc.method"] == .string("ModelInfer"))
            #expect(traced.attributes["rpc.grpc.status_code"] == .int(0) && traced.attributes["inference.outcome"] == .string("success"))
            #expect(traced.links.count == 1)  // to its batch
            let failed = try #require(spans.first { $0.traceID != "4bf92f3577b34da6a3ce929d0e0e4736" })
            #expect(failed.attributes["rpc.grpc.status_code"] == .int(5))  // NOT_FOUND
            #expect(failed.statusCode != 2)  // the caller's fault, not a span error
        }
    }
}
