import Batching
import Foundation
import InferenceProtocol
import InferenceServer
import MallocInterposerSwift
import NIOCore
import NIOPosix
import ONNXRuntime
import Prometheus

/// Zero-copy benchmark: runs the server's request path without HTTP (binary-extension body ->
/// `InferRequestDecoder` -> `ModelRunner` (dynamic batch of `--batch` requests, ONNX Runtime) ->
/// per-request output slices -> `InferResponseEncoder`) at several tensor sizes, and prints
/// per request: heap allocations and bytes (every thread, ONNX Runtime's included, counted by
/// ordo-one/malloc-interposer) and the bytes the server copied at each of its copy points.
///
///   LD_PRELOAD=.build/release/libMallocInterposerSwift.so .build/release/server-bench --model scale.onnx
/// (scripts/bench-zero-copy.sh builds the model and runs it). The model must map float32 [batch, n]
/// to float32 [batch, n] (`scale.onnx` from Tests/ONNXRuntimeTests/Fixtures/make_models.py).
@main
struct ServerBench {
    static func main() async throws {
        var arguments = CommandLine.arguments.dropFirst()
        var model: String?
        var batch = 8
        var iterations = 50
        var sizes = [1 << 10, 16 << 10, 256 << 10, 1 << 20, 4 << 20]
        while let flag = arguments.popFirst() {
            switch flag {
            case "--model": model = arguments.popFirst()
            case "--batch": batch = arguments.popFirst().flatMap(Int.init) ?? batch
            case "--iterations": iterations = arguments.popFirst().flatMap(Int.init) ?? iterations
            case "--sizes": sizes = arguments.popFirst()?.split(separator: ",").compactMap { Int($0) } ?? sizes
            default:
                print("usage: server-bench --model scale.onnx [--batch 8] [--iterations 50] [--sizes 1024,16384,...]")
                exit(2)
            }
        }
        guard let model else {
            print("server-bench: --model is required")
            exit(2)
        }
        let runtime = try ORTRuntime.load(locator: LibraryLocator(workingDirectory: FileManager.default.currentDirectoryPath))
        var options = SessionConfiguration()
        options.intraOpThreads = 1
        let session = try runtime.makeSession(modelPath: model, configuration: options)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let metrics = ServerMetrics(registry: PrometheusCollectorRegistry(), model: "bench", gpu: nil)
        // The batch leaves when full: `batch` requests always share one batch.
        let runner = ModelRunner(name: "bench", session: session,
                                 batching: BatchingConfiguration(maxBatchSize: batch, maxQueueDelay: .seconds(60)),
                                 threadPool: pool, metrics: metrics)
        let batcher = Task { await runner.run() }
        defer { runner.shutdown(); batcher.cancel() }

        print("# server-bench batch=\(batch) iterations=\(iterations) (binary tensor extension in and out; per request)")
        print(row(["tensor", "mallocs", "malloc bytes", "bytes - 2x tensor", "batch copy", "response copy", "json convert", "check"]))
        print(row(Array(repeating: "---", count: 8)))
        for size in sizes {
            let bodies = (0..<batch).map { makeBody(floats: size / 4, seed: Float($0)) }
            // Warm: ORT's arena, the buffer pool and the batcher reach steady state.
            var check = true
            for _ in 0..<3 { check = try await round(bodies, runner: runner) && check }
            let copiesBefore = DataMovement.snapshot()
            MallocInterposerSwift.reset()
            MallocInterposerSwift.hook()
            for _ in 0..<iterations { check = try await round(bodies, runner: runner) && check }
            MallocInterposerSwift.unhook()
            let stats = MallocInterposerSwift.getStatistics()
            let copies = DataMovement.snapshot()
            let requests = Double(iterations * batch)
            let mallocs = Double(stats.mallocCount) / requests
            let bytes = Double(stats.mallocBytesCount) / requests
            print(row([
                label(size), String(format: "%.1f", mallocs), String(format: "%.0f", bytes),
                String(format: "%.0f", bytes - 2 * Double(size)),
                String(format: "%.0f", Double(copies.batchAssemblyBytes - copiesBefore.batchAssemblyBytes) / requests),
                String(format: "%.0f", Double(copies.responseBinaryBytes - copiesBefore.responseBinaryBytes) / requests),
                String(format: "%.0f", Double(copies.jsonInputBytes - copiesBefore.jsonInputBytes) / requests),
                check ? "ok" : "WRONG",
            ]))
        }
        try await pool.shutdownGracefully()
    }

    /// One batch: `bodies.count` concurrent requests through decode, batcher, ORT and encode.
    /// Returns whether every response holds 2 * input.
    static func round(_ bodies: [ByteBuffer], runner: ModelRunner) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for body in bodies {
                group.addTask {
                    let headerLength = Int(body.getInteger(at: body.writerIndex - 4, endianness: .little, as: UInt32.self)!)
                    let payload = body.getSlice(at: 0, length: body.writerIndex - 4)!
                    let request = try InferRequestDecoder.decode(body: payload, headerLength: headerLength)
                    let result = try await runner.infer(request)
                    let encoded = InferResponseEncoder.encode(
                        modelName: "bench", modelVersion: "1", id: nil, outputs: result.outputs.map { ($0, binary: true) })
                    // Spot check: the first output float is twice the first input float.
                    guard let jsonLength = encoded.jsonHeaderLength,
                          let out = encoded.body.getInteger(at: jsonLength, endianness: .little, as: UInt32.self),
                          let input = payload.getInteger(at: headerLength, endianness: .little, as: UInt32.self)
                    else { return false }
                    return Float(bitPattern: out) == 2 * Float(bitPattern: input)
                }
            }
            var allGood = true
            for try await good in group { allGood = allGood && good }
            return allGood
        }
    }

    /// A binary-extension body (JSON header + raw float32 row) with the header length appended
    /// as 4 bytes (sliced off before decoding), as the HTTP layer would hand it over.
    static func makeBody(floats: Int, seed: Float) -> ByteBuffer {
        let header = """
            {"inputs":[{"name":"x","shape":[1,\(floats)],"datatype":"FP32","parameters":{"binary_data_size":\(floats * 4)}}],\
            "parameters":{"binary_data_output":true}}
            """
        var body = ByteBufferAllocator().buffer(capacity: header.utf8.count + floats * 4 + 4)
        body.writeString(header)
        for index in 0..<floats { body.writeInteger((seed + Float(index % 1000)).bitPattern, endianness: .little) }
        body.writeInteger(UInt32(header.utf8.count), endianness: .little)
        return body
    }

    static func label(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
    }

    static func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }
}
