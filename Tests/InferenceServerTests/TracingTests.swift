import Batching
import HTTPTypes
import HummingbirdTesting
import InferenceServer
import Logging
import ServiceLifecycle
import Testing

/// Spans of real inferences (the tiny `add` model on the real ONNX Runtime), exported by
/// swift-otel over OTLP/HTTP protobuf to a real receiver in the test.
@Suite struct TracingTests {
    static let logger: Logger = {
        var logger = Logger(label: "tracing-test")
        logger.logLevel = .warning
        return logger
    }()

    static func request(_ value: Float) -> String {
        """
        {"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[\(value),\(value),\(value)]},
        {"name":"y","shape":[1,3],"datatype":"FP32","data":[1,1,1]}]}
        """
    }

    /// W3C trace ids / parent ids the "callers" send.
    static let callers: [(trace: String, parent: String)] = [
        ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"),
        ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"),
        ("a3ce929d0e0e47364bf92f3577b34da6", "53995c3f42cd8ad8"),
    ]

    @Test func requestSpansContinueTheCallersTraceAndTheBatchSpanLinksThem() async throws {
        try await OTLPReceiver.with { receiver, endpoint in
            let tracing = try #require(try ServerTracing.make(endpoint: endpoint, serviceName: "tracing-test", logger: Self.logger))
            let exporter = ServiceGroup(services: [tracing.exporter], gracefulShutdownSignals: [], logger: Self.logger)
            async let exporting: Void = exporter.run()

            // Three requests fill one batch of three (the delay is long, so size decides).
            let batching = BatchingConfiguration(maxBatchSize: 3, maxQueueDelay: .seconds(30))
            try await ServerHarness.with(model: "add", batching: batching, tracing: tracing) { _, client async throws in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, caller) in Self.callers.enumerated() {
                        group.addTask {
                            var headers = HTTPFields()
                            headers[HTTPField.Name("traceparent")!] = "00-\(caller.trace)-\(caller.parent)-01"
                            let response = try await client.post("/v2/models/add/infer", json: Self.request(Float(index)), headers: headers)
                            #expect(response.status == .ok)
                            #expect(response.json["outputs", "0", "data"] == .array(Array(repeating: .double(Double(index) + 1), count: 3)))
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Graceful shutdown flushes the batch span processor.
            await exporter.triggerGracefulShutdown()
            try await exporting

            #expect(receiver.decodeErrors.isEmpty, "\(receiver.decodeErrors)")
            #expect(receiver.contentTypes.allSatisfy { $0 == "application/x-protobuf" }, "\(receiver.contentTypes)")
            let spans = receiver.spans
            let requestSpans = spans.filter { $0.name == "POST /v2/models/{model}/infer" }
            let batchSpans = spans.filter { $0.name == "inference batch" }
            try #require(requestSpans.count == 3, "\(spans.map(\.name))")
            try #require(batchSpans.count == 1, "\(spans.map(\.name))")
            let batch = batchSpans[0]

            for caller in Self.callers {
                let span = try #require(requestSpans.first { $0.traceID == caller.trace }, "no span in trace \(caller.trace)")
                #expect(span.parentSpanID == caller.parent)
                #expect(span.kind == 2)  // SPAN_KIND_SERVER
                #expect(span.attributes["inference.model"] == .string("add"))
                #expect(span.attributes["inference.outcome"] == .string("success"))
                #expect(span.attributes["inference.batch.size"] == .int(3))
                #expect(span.attributes["http.route"] == .string("/v2/models/{model}/infer"))
                #expect(span.attributes["http.response.status_code"] == .int(200))
                if case .double(let wait)? = span.attributes["inference.queue_wait_ms"] {
                    #expect(wait >= 0)
                } else {
                    Issue.record("no queue wait on \(span.attributes)")
                }
                // Request -> batch, and batch -> request.
                #expect(span.links.contains { $0.traceID == batch.traceID && $0.spanID == batch.spanID })
                #expect(batch.links.contains { $0.traceID == caller.trace && $0.spanID == span.spanID })
            }
            #expect(batch.links.count == 3)
            #expect(batch.parentSpanID.isEmpty || batch.parentSpanID == "0000000000000000")
            #expect(!Self.callers.map(\.trace).contains(batch.traceID))
            #expect(batch.attributes["inference.batch.size"] == .int(3))
            #expect(batch.attributes["inference.batch.rows"] == .int(3))
            #expect(batch.attributes["inference.outcome"] == .string("success"))
            #expect(batch.attributes["inference.model"] == .string("add"))
        }
    }

    @Test func failedRequestsAreMarkedButClientErrorsAreNotSpanErrors() async throws {
        try await OTLPReceiver.with { receiver, endpoint in
            let tracing = try #require(try ServerTracing.make(endpoint: endpoint, serviceName: "tracing-test", logger: Self.logger))
            let exporter = ServiceGroup(services: [tracing.exporter], gracefulShutdownSignals: [], logger: Self.logger)
            async let exporting: Void = exporter.run()
            try await ServerHarness.with(model: "add", tracing: tracing) { _, client async throws in
                let response = try await client.post("/v2/models/add/infer", json: #"{"inputs":[]}"#)
                #expect(response.status == .badRequest)
            }
            await exporter.triggerGracefulShutdown()
            try await exporting
            let span = try #require(receiver.spans.first { $0.name == "POST /v2/models/{model}/infer" }, "\(receiver.spans.map(\.name))")
            #expect(span.attributes["inference.outcome"] == .string("client_error"))
            #expect(span.attributes["http.response.status_code"] == .int(400))
            #expect(span.statusCode != 2)  // not STATUS_CODE_ERROR: 4xx is the caller's fault
            #expect(span.parentSpanID.isEmpty)  // no traceparent: a new trace
            #expect(receiver.spans.allSatisfy { $0.name != "inference batch" })  // nothing was queued
        }
    }

    @Test func withoutAnEndpointThereIsNoTracerAndNothingIsExported() async throws {
        #expect(try ServerTracing.make(endpoint: nil, serviceName: "x", logger: Self.logger) == nil)
        #expect(try ServerTracing.make(endpoint: "", serviceName: "x", logger: Self.logger) == nil)
        try await OTLPReceiver.with { receiver, _ in
            try await ServerHarness.with(model: "add", tracing: nil) { _, client async throws in
                var headers = HTTPFields()
                headers[HTTPField.Name("traceparent")!] = "00-\(Self.callers[0].trace)-\(Self.callers[0].parent)-01"
                let response = try await client.post("/v2/models/add/infer", json: Self.request(1), headers: headers)
                #expect(response.status == .ok)
            }
            #expect(receiver.requests == 0)
        }
    }

    @Test(arguments: [
        ("http://collector:4318", "http://collector:4318/v1/traces"),
        ("http://collector:4318/", "http://collector:4318/v1/traces"),
        ("https://otel.example/v1/traces", "https://otel.example/v1/traces"),
    ])
    func endpointIsABaseURLAsInTheOTelEnvironmentRule(base: String, expected: String) {
        #expect(ServerTracing.tracesURL(base: base) == expected)
    }
}
