import Batching
import Foundation
import HTTPTypes
import HummingbirdTesting
import InferenceServer
import JSONValue
import NIOCore
import TestSupport
import Testing

@Suite struct V2RoutesTests {
    static let addRequest = """
        {"id":"req-7","inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3,4,5,6]},
        {"name":"y","shape":[2,3],"datatype":"FP32","data":[[10,20,30],[40,50,60]]}]}
        """

    @Test func healthAndServerMetadata() async throws {
        try await ServerHarness.with(model: "add") { _, client async throws in
            #expect(try await client.get("/v2/health/live").status == .ok)
            #expect(try await client.get("/v2/health/ready").status == .ok)
            let server = try await client.get("/v2")
            #expect(server.json["name"] == "inference-server")
            #expect(server.json["extensions"] == ["binary_tensor_data"])
            #expect(try await client.get("/v2/models/add/ready").status == .ok)
        }
    }

    @Test func notReadyUntilTheModelIsLoaded() async throws {
        try await ServerHarness.with(model: "add", loaded: false) { _, client async throws in
            #expect(try await client.get("/v2/health/live").status == .ok)
            #expect(try await client.get("/v2/health/ready").status == .serviceUnavailable)
            #expect(try await client.get("/v2/models/add/ready").status == .serviceUnavailable)
            let infer = try await client.post("/v2/models/add/infer", json: Self.addRequest)
            #expect(infer.status == .serviceUnavailable)
            #expect(infer.json["error"]?.stringValue?.contains("loading") == true)
        }
    }

    /// Readiness goes false so load balancers stop sending; what they still send meanwhile is served.
    @Test func drainingTurnsReadinessOffAndStillServesWhatArrives() async throws {
        try await ServerHarness.with(model: "add") { harness, client async throws in
            harness.registry.startDraining()
            #expect(try await client.get("/v2/health/ready").status == .serviceUnavailable)
            #expect(try await client.get("/v2/models/add/ready").status == .serviceUnavailable)
            #expect(try await client.post("/v2/models/add/infer", json: Self.addRequest).status == .ok)
            #expect(try await client.get("/v2/models/add").status == .ok)
        }
    }

    @Test func modelMetadataMarksDynamicDimensions() async throws {
        try await ServerHarness.with(model: "add") { _, client async throws in
            let response = try await client.get("/v2/models/add")
            #expect(response.status == .ok)
            #expect(response.json["name"] == "add")
            #expect(response.json["platform"] == "onnxruntime_onnx")
            #expect(response.json["inputs", "0"] == ["name": "x", "datatype": "FP32", "shape": [-1, 3]])
            #expect(response.json["outputs", "0", "name"] == "z")
            #expect(try await client.get("/v2/models/add/versions/1").status == .ok)
        }
    }

    @Test func modelMetadataSaysHowTheLargestBatchWasChosen() async throws {
        let curve = [BatchThroughput(batchSize: 1, itemsPerSecond: 300), BatchThroughput(batchSize: 2, itemsPerSecond: 520)]
        try await ServerHarness.with(model: "add", batching: BatchingConfiguration(maxBatchSize: 2, maxQueueDelay: .milliseconds(5)),
                                     batchSizeSource: .measured, batchThroughput: curve) { _, client async throws in
            let response = try await client.get("/v2/models/add")
            #expect(response.json["batching", "enabled"] == true)
            #expect(response.json["batching", "max_batch_size"] == 2)
            #expect(response.json["batching", "max_batch_size_source"] == "measured")
            #expect(response.json["batching", "throughput", "1", "batch_size"] == 2)
            #expect(response.json["batching", "concurrent_batches"] == 1 && response.json["batching", "layout_source"] == "fallback")
            #expect(response.json["batching", "layouts"] == [])
        }
        // warmup's layout: two batches at once on a thread each, and what it measured.
        let layouts = [RunLayout(concurrentBatches: 1, intraOpThreads: 2, maxBatchSize: 4, itemsPerSecond: 900),
                       RunLayout(concurrentBatches: 2, intraOpThreads: 1, maxBatchSize: 2, itemsPerSecond: 1100)]
        try await ServerHarness.with(model: "add", batching: BatchingConfiguration(maxBatchSize: 2, maxQueueDelay: .milliseconds(5), maxConcurrentBatches: 2),
                                     batchSizeSource: .measured, layout: RunnerLayout(source: .measured, intraOpThreads: 1, measured: layouts)) { _, client async throws in
            let response = try await client.get("/v2/models/add")
            #expect(response.json["batching", "concurrent_batches"] == 2 && response.json["batching", "intra_op_threads"] == 1)
            #expect(response.json["batching", "layout_source"] == "measured")
            #expect(response.json["batching", "layouts", "1", "concurrent_batches"] == 2)
            #expect(response.json["batching", "layouts", "1", "max_batch_size"] == 2)
        }
        // A model without a batch dimension: batching off, largest batch 1, whatever was set.
        try await ServerHarness.with(model: "reshape", batching: BatchingConfiguration(maxBatchSize: 8)) { _, client async throws in
            let response = try await client.get("/v2/models/reshape")
            #expect(response.json["batching", "enabled"] == false)
            #expect(response.json["batching", "max_batch_size"] == 1)
            #expect(response.json["batching", "max_batch_size_source"] == "setting")
        }
    }

    @Test(arguments: ["/v2/models/other", "/v2/models/other/ready", "/v2/models/add/versions/9"])
    func unknownModelIs404(uri: String) async throws {
        try await ServerHarness.with(model: "add") { _, client async throws in
            let response = try await client.get(uri)
            #expect(response.status == .notFound)
            #expect(response.json["error"] != nil)
        }
    }

    @Test func infersWithJSONTensorsFlatOrNested() async throws {
        try await ServerHarness.with(model: "add") { _, client async throws in
            let response = try await client.post("/v2/models/add/infer", json: Self.addRequest)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.json["model_name"] == "add")
            #expect(response.json["id"] == "req-7")
            #expect(response.json["outputs", "0", "name"] == "z")
            #expect(response.json["outputs", "0", "datatype"] == "FP32")
            #expect(response.json["outputs", "0", "shape"] == [2, 3])
            #expect(response.json["outputs", "0", "data"] == [11.0, 22.0, 33.0, 44.0, 55.0, 66.0])
        }
    }

    @Test func versionedInferRouteWorks() async throws {
        try await ServerHarness.with(model: "add") { _, client async throws in
            #expect(try await client.post("/v2/models/add/versions/1/infer", json: Self.addRequest).status == .ok)
            #expect(try await client.post("/v2/models/add/versions/2/infer", json: Self.addRequest).status == .notFound)
        }
    }

    static let datatypeCases: [(String, String, JSON)] = [
        ("BOOL", "bool", [true, false, false, true]),
        ("UINT8", "uint8", [0, 1, 254, 255]),
        ("UINT16", "uint16", [0, 1, 65534, 65535]),
        ("UINT32", "uint32", [0, 1, 7, 4294967295]),
        ("UINT64", "uint64", [0, 1, 2, 9007199254740991]),
        ("INT8", "int8", [-128, -1, 0, 127]),
        ("INT16", "int16", [-32768, -1, 0, 32767]),
        ("INT32", "int32", [-2147483648, -1, 0, 2147483647]),
        ("INT64", "int64", [-9223372036854775807, -1, 0, 9223372036854775807]),
        ("FP16", "float16", [0.5, -2.0, 1024.0, 0.0]),
        ("FP32", "float32", [0.25, -1.5, 3.0, 1e10]),
        ("FP64", "float64", [0.1, -1e300, 2.5, 0.0]),
        ("BYTES", "string", ["a", "", "héllo", "{\"q\":1}"]),
    ]

    @Test(arguments: datatypeCases)
    func everyDatatypeRoundTripsThroughJSON(datatype: String, suffix: String, data: JSON) async throws {
        try await ServerHarness.with(model: "types") { _, client async throws in
            // The types model needs every input; fill the others with zeros of their type.
            var inputs: [JSON] = []
            for (otherType, otherSuffix, sample) in Self.datatypeCases {
                let values: JSON = otherSuffix == suffix ? data : sample
                inputs.append(["name": .string("in_\(otherSuffix)"), "shape": [2, 2], "datatype": .string(otherType), "data": values])
            }
            let body: JSON = ["inputs": .array(inputs), "outputs": [["name": .string("out_\(suffix)")]]]
            let response = try await client.post("/v2/models/types/infer", json: body.serialized())
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(response.json["outputs", "0", "datatype"] == .string(datatype))
            #expect(response.json["outputs", "0", "shape"] == [2, 2])
            let returned = response.json["outputs", "0", "data"]
            #expect(returned.map { $0.isEquivalent(to: data) } == true, "\(String(describing: returned))")
        }
    }

    @Test func binaryTensorsInAndOut() async throws {
        try await ServerHarness.with(model: "add") { _, client async throws in
            let x: [Float] = [1, 2, 3]
            let y: [Float] = [0.5, 0.5, 0.5]
            let header = """
                {"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}},
                {"name":"y","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}],
                "outputs":[{"name":"z","parameters":{"binary_data":true}}]}
                """
            var body = ByteBuffer(string: header)
            for v in x + y { body.writeInteger(v.bitPattern, endianness: .little) }
            var headers = HTTPFields()
            headers[HTTPField.Name("Inference-Header-Content-Length")!] = String(header.utf8.count)
            let response = try await client.execute(uri: "/v2/models/add/infer", method: .post, headers: headers, body: body)
            #expect(response.status == .ok)
            let jsonLength = try #require(response.headers[HTTPField.Name("Inference-Header-Content-Length")!].flatMap { Int($0) })
            var reply = response.body
            let replyHeader = try JSON.parse(Array(reply.readBytes(length: jsonLength) ?? []))
            #expect(replyHeader["outputs"]?[0]?["parameters"]?["binary_data_size"] == 12)
            #expect(replyHeader["outputs"]?[0]?["data"] == nil)
            var values: [Float] = []
            while let bits = reply.readInteger(endianness: .little, as: UInt32.self) { values.append(Float(bitPattern: bits)) }
            #expect(values == [1.5, 2.5, 3.5])
        }
    }

    @Test func binaryBytesTensorsUseLengthPrefixes() async throws {
        try await ServerHarness.with(model: "types") { _, client async throws in
            var inputs: [JSON] = []
            for (type, suffix, sample) in Self.datatypeCases where suffix != "string" {
                inputs.append(["name": .string("in_\(suffix)"), "shape": [2, 2], "datatype": .string(type), "data": sample])
            }
            var payload = ByteBuffer()
            for s in ["ab", "", "c", "日本"] {
                payload.writeInteger(UInt32(s.utf8.count), endianness: .little)
                payload.writeString(s)
            }
            inputs.append(["name": "in_string", "shape": [2, 2], "datatype": "BYTES",
                           "parameters": ["binary_data_size": .int(Int64(payload.readableBytes))]])
            let header: JSON = ["inputs": .array(inputs), "parameters": ["binary_data_output": true],
                                "outputs": [["name": "out_string"]]]
            var body = ByteBuffer(string: header.serialized())
            let headerLength = body.readableBytes
            body.writeImmutableBuffer(payload)
            var headers = HTTPFields()
            headers[HTTPField.Name("Inference-Header-Content-Length")!] = String(headerLength)
            let response = try await client.execute(uri: "/v2/models/types/infer", method: .post, headers: headers, body: body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let jsonLength = try #require(response.headers[HTTPField.Name("Inference-Header-Content-Length")!].flatMap { Int($0) })
            var reply = response.body
            reply.moveReaderIndex(forwardBy: jsonLength)
            #expect(reply == payload)
        }
    }

    static let badRequests: [(String, String)] = [
        ("{not json", "malformed JSON"),
        ("[1,2]", "must be a JSON object"),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#, "missing input 'y'"),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"INT32","data":[1,2,3]},{"name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#, "must be FP32"),
        (#"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]},{"name":"y","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#, "the model expects"),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2]},{"name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#, "data has 2"),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,"3"]},{"name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#, "not a number"),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FLOAT","data":[1,2,3]}]}"#, "unknown datatype"),
        (#"{"inputs":[{"name":"x","shape":[1,-3],"datatype":"FP32","data":[1,2,3]}]}"#, "non-negative"),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"w","shape":[1],"datatype":"FP32","data":[1]}]}"#, "no input 'w'"),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"outputs":[{"name":"q"}]}"#, "no output 'q'"),
        (#"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3,4,5,6]},{"name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#, "same batch"),
    ]

    @Test(arguments: badRequests)
    func badRequestsGet400WithAnErrorMessage(body: String, fragment: String) async throws {
        try await ServerHarness.with(model: "add") { _, client async throws in
            let response = try await client.post("/v2/models/add/infer", json: body)
            #expect(response.status == .badRequest)
            let message = response.json["error"]?.stringValue ?? ""
            #expect(message.contains(fragment), "\(message)")
        }
    }

    @Test func bodyOverTheLimitGets413() async throws {
        try await ServerHarness.with(model: "add", maxBodyBytes: 64) { _, client async throws in
            let response = try await client.post("/v2/models/add/infer", json: Self.addRequest)
            #expect(response.status == .contentTooLarge)
            #expect(response.json["error"] != nil)
        }
    }

    @Test func fullQueueGets429WithRetryAfter() async throws {
        let batching = BatchingConfiguration(maxBatchSize: 8, maxQueueDelay: .seconds(30), maxQueueSize: 1)
        try await ServerHarness.with(model: "add", batching: batching) { harness, client async throws in
            let runner = try #require(harness.runner)
            let first = Task { try await client.post("/v2/models/add/infer", json: Self.addRequest) }
            try #require(await eventually(timeout: .seconds(30), every: .milliseconds(1)) { runner.queueDepth >= 1 })
            let refused = try await client.post("/v2/models/add/infer", json: Self.addRequest)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "1")
            runner.shutdown()  // flushes the queued request at once
            #expect(try await first.value.status == .ok)
        }
    }

    @Test func concurrentRequestsAreBatchedAndEachGetsItsOwnRows() async throws {
        let batching = BatchingConfiguration(maxBatchSize: 4, maxQueueDelay: .seconds(5))
        try await ServerHarness.with(model: "matmul", batching: batching) { harness, client async throws in
            try await withThrowingTaskGroup(of: (Int, JSON?).self) { group in
                for i in 0..<4 {
                    group.addTask {
                        // Row i of W is [2i, 2i+1]; a one-hot x picks it.
                        var x: [JSON] = [0, 0, 0, 0]
                        x[i] = 1
                        let body: JSON = ["inputs": [["name": "x", "shape": [1, 4], "datatype": "FP32", "data": .array(x)]]]
                        let response = try await client.post("/v2/models/matmul/infer", json: body.serialized())
                        return (i, response.json["outputs", "0", "data"])
                    }
                }
                for try await (i, data) in group {
                    #expect(data == [.double(Double(2 * i)), .double(Double(2 * i + 1))])
                }
            }
            let metrics = String(decoding: harness.metrics.render(queueDepth: 0), as: UTF8.self)
            #expect(metrics.contains(#"inference_batch_size_bucket{model="matmul",le="4.0"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"inference_batch_size_count{model="matmul"} 1"#))
        }
    }

    @Test func metricsExposeLatencyByModelAndOutcome() async throws {
        try await ServerHarness.with(model: "add") { _, client async throws in
            _ = try await client.post("/v2/models/add/infer", json: Self.addRequest)
            _ = try await client.post("/v2/models/add/infer", json: "{bad")
            let response = try await client.get("/metrics")
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text.contains(#"inference_request_duration_seconds_count{model="add",protocol="http",outcome="success"} 1"#), "\(text)")
            #expect(text.contains(#"inference_request_duration_seconds_count{model="add",protocol="http",outcome="client_error"} 1"#))
            #expect(text.contains(#"inference_request_duration_seconds_bucket{model="add",protocol="http",outcome="success",le="0.15"}"#))
            #expect(text.contains(#"inference_requests_in_flight{model="add"} 0"#))
            #expect(text.contains(#"inference_queue_depth{model="add"}"#))
            #expect(text.contains("inference_compute_duration_seconds_count"))
            #expect(text.contains("inference_queue_wait_seconds_count"))
            #expect(!text.contains("inference_gpu_utilization"))
        }
    }
}
