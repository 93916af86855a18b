import Batching
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InferenceServer
import NIOCore
import NIOPosix
import ONNXRuntime
import Prometheus

/// Tiny models (built with the venv's `onnx`) and the real ONNX Runtime from the venv.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory: String = {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("server-test-models-\(getpid())").path
        // system(3) rather than Process: Process.waitUntilExit can stall when every
        // cooperative thread is busy (2-core machines), and this runs inside a test.
        let python = root.appendingPathComponent(".venv/bin/python").path
        let script = root.appendingPathComponent("Tests/ONNXRuntimeTests/Fixtures/make_models.py").path
        if system("'\(python)' '\(script)' '\(out)'") != 0 {
            print("make_models.py failed: run `make bootstrap` first")
        }
        return out
    }()
    static let runtime = Result { () throws(ORTError) in try ORTRuntime.load(locator: LibraryLocator(workingDirectory: root.path)) }
    static func path(_ model: String) -> String { "\(directory)/\(model).onnx" }
}

/// A served model plus the Hummingbird app in front of it; the batcher runs while `body` runs.
struct ServerHarness {
    let registry: ModelRegistry
    let metrics: ServerMetrics
    let runner: ModelRunner?
    let app: Application<RouterResponder<BasicRequestContext>>

    static func with<T: Sendable>(
        model: String, batching: BatchingConfiguration = BatchingConfiguration(maxQueueDelay: .milliseconds(5)),
        maxBodyBytes: Int = 1 << 20, loaded: Bool = true, tracing: ServerTracing? = nil,
        batchSizeSource: BatchSizeSource = .setting, batchThroughput: [BatchThroughput] = [], layout: RunnerLayout = RunnerLayout(),
        _ body: @Sendable (ServerHarness, any TestClientProtocol) async throws -> T
    ) async throws -> T {
        try await ServedModel.with(model: model, batching: batching, loaded: loaded, tracing: tracing,
                                   batchSizeSource: batchSizeSource, batchThroughput: batchThroughput, layout: layout) { registry, metrics, runner in
            let router = Router(context: BasicRequestContext.self)
            V2Routes(registry: registry, metrics: metrics, maxBodyBytes: maxBodyBytes, tracing: tracing).register(on: router)
            let harness = ServerHarness(registry: registry, metrics: metrics, runner: runner, app: Application(router: router))
            return try await harness.app.test(.router) { client in try await body(harness, client) }
        }
    }
}

/// A model's registry, metrics and runner (loaded on the real ONNX Runtime unless `loaded` is
/// false), with the runner's batcher running while `body` runs: what the HTTP and gRPC harnesses share.
enum ServedModel {
    static func with<T: Sendable>(
        model: String, batching: BatchingConfiguration, loaded: Bool, tracing: ServerTracing?,
        batchSizeSource: BatchSizeSource = .setting, batchThroughput: [BatchThroughput] = [], layout: RunnerLayout = RunnerLayout(),
        _ body: (ModelRegistry, ServerMetrics, ModelRunner?) async throws -> T
    ) async throws -> T {
        let registry = ModelRegistry(modelName: model)
        let metrics = ServerMetrics(registry: PrometheusCollectorRegistry(), model: model, gpu: nil)
        let pool = NIOThreadPool(numberOfThreads: batching.maxConcurrentBatches)
        pool.start()
        defer { pool.shutdownGracefully { _ in } }
        var runner: ModelRunner?
        if loaded {
            let session = try Fixtures.runtime.get().makeSession(modelPath: Fixtures.path(model))
            let made = ModelRunner(name: model, session: session, batching: batching, threadPool: pool, metrics: metrics,
                                   tracer: tracing?.tracer, batchSizeSource: batchSizeSource, batchThroughput: batchThroughput,
                                   layout: layout)
            registry.markReady(made)
            runner = made
        }
        let served = runner
        let batcherTask = Task { await served?.run() }
        defer {
            served?.shutdown()
            batcherTask.cancel()
        }
        return try await body(registry, metrics, runner)
    }
}

extension TestClientProtocol {
    func post(_ uri: String, json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }
    func get(_ uri: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .get)
    }
}

extension TestResponse {
    var json: JSONValueBox { JSONValueBox(body) }
}

/// Parses a response body with the project's JSON parser.
import JSONValue
struct JSONValueBox {
    let value: JSON?
    init(_ buffer: ByteBuffer) { value = try? JSON.parse(buffer.readableBytesView) }
    subscript(_ path: String...) -> JSON? {
        var current = value
        for key in path {
            if let index = Int(key) { current = current?[index] } else { current = current?[key] }
        }
        return current
    }
}
