import Foundation
import HTTP
import Hummingbird
import Logging
import ModelFetch
import NIOPosix
import ONNXRuntime
import ServiceLifecycle
import Tracing

/// Wires the server: model service, HTTP app, and the readiness gate, in one ServiceGroup
/// that handles SIGTERM/SIGINT. Shutdown runs in reverse order: readiness goes false
/// (and waits `drainDelay`), the HTTP server finishes in-flight requests, then the
/// batcher runs what is still queued.
public enum InferenceServerApp {
    public static func run(_ configuration: ServerConfiguration, logger: Logger) async throws {
        let registry = ModelRegistry(modelName: configuration.modelName)
        let metrics = ServerMetrics(model: configuration.modelName, version: configuration.modelVersion)
        let threadPool = NIOThreadPool(numberOfThreads: configuration.batching.maxConcurrentBatches)
        threadPool.start()
        let tracing = try ServerTracing.make(endpoint: configuration.otlpEndpoint, serviceName: configuration.serviceName, logger: logger)
        if let endpoint = configuration.otlpEndpoint, tracing != nil {
            logger.info("tracing on", metadata: ["otlp": "\(ServerTracing.tracesURL(base: endpoint))"])
        }
        let router = Router(context: BasicRequestContext.self)
        let canaryRoute = try configuration.canaryURL.map { url in
            CanaryRoute(baseURL: url, transport: try CurlTransport(), registry: metrics.registry)
        }
        V2Routes(registry: registry, metrics: metrics, maxBodyBytes: configuration.maxBodyBytes, tracing: tracing,
                 canaryRoute: canaryRoute).register(on: router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: V2Routes.serverName),
            onServerRunning: { channel in
                logger.info("listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
            },
            logger: logger)
        let model = ModelService(configuration: configuration, registry: registry, metrics: metrics, threadPool: threadPool,
                                 tracer: tracing?.tracer, logger: logger)
        let gate = ReadinessGate(registry: registry, drainDelay: configuration.drainDelay, logger: logger)
        // Services stop in reverse order: the span exporter goes last, so it flushes the drained requests' spans.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let tracing { services.append(.init(service: tracing.exporter)) }
        services += [.init(service: model), .init(service: app), .init(service: gate)]
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        try await threadPool.shutdownGracefully()
    }
}

/// Loads and warms the model, marks it ready, then runs its batcher until shutdown.
struct ModelService: Service {
    let configuration: ServerConfiguration
    let registry: ModelRegistry
    let metrics: ServerMetrics
    let threadPool: NIOThreadPool
    let tracer: (any Tracer)?
    let logger: Logger

    func run() async throws {
        let started = ContinuousClock.now
        var configuration = self.configuration
        if Self.isRemote(configuration.model) {
            // The same fetcher as `warmup` (the init container): a pod without
            // an init container, or a server run by hand, can load from a store.
            let environment = ProcessInfo.processInfo.environment
            let directory = environment["MODEL_CACHE_DIR"] ?? (NSTemporaryDirectory() + "inference-server-model")
            do {
                let report = try await ModelFetcher(environment: environment).fetch(configuration.model, intoDirectory: directory)
                logger.info("model fetched", metadata: ["source": "\(report.source)", "bytes": "\(report.bytes)", "directory": "\(directory)",
                                                        "credentials": "\(report.credentials)"])
            } catch {
                registry.markFailed(error.description)
                logger.error("model fetch failed", metadata: ["error": "\(error.description)"])
                throw error
            }
            configuration.model = directory
        }
        let loadConfiguration = configuration
        let metrics = self.metrics
        let pool = self.threadPool
        let tracer = self.tracer
        let runner: ModelRunner
        do {
            runner = try await threadPool.runIfActive { () throws -> ModelRunner in
                let runtime = try ORTRuntime.load(locator: LibraryLocator(explicitPath: loadConfiguration.ortLibrary))
                let location = ModelLocation.resolve(
                    loadConfiguration.model,
                    fileExists: { FileManager.default.fileExists(atPath: $0) },
                    isDirectory: { path in
                        var directory: ObjCBool = false
                        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
                    })
                let session = try runtime.makeSession(modelPath: location.path, configuration: loadConfiguration.session)
                let choice = ServedBatchSize.resolve(loadConfiguration, modelPath: location.path)
                if let warning = choice.warning { logger.warning("warmup report ignored", metadata: ["error": "\(warning)"]) }
                var batching = loadConfiguration.batching
                batching.maxBatchSize = choice.size
                let runner = ModelRunner(name: loadConfiguration.modelName, session: session, batching: batching,
                                         threadPool: pool, metrics: metrics, tracer: tracer,
                                         batchSizeSource: choice.source, batchThroughput: choice.curve)
                try runner.warm(upTo: runner.maxBatchSize)
                return runner
            }
        } catch {
            registry.markFailed("\(error)")
            logger.error("model failed to load", metadata: ["error": "\(error)"])
            throw error
        }
        registry.markReady(runner)
        logger.info("model ready", metadata: [
            "model": "\(loadConfiguration.modelName)", "seconds": "\((ContinuousClock.now - started).seconds)",
            "batching": "\(runner.batchingEnabled)", "max_batch_size": "\(runner.maxBatchSize) (\(runner.batchSizeSource.rawValue))",
            "cuda": "\(runner.session.usesCUDA)",
            "onnxruntime": "\(runner.session.runtime.version)",
        ])
        await withGracefulShutdownHandler {
            await runner.run()
        } onGracefulShutdown: {
            runner.shutdown()
        }
    }
}

/// Turns readiness off first when shutdown starts, then waits for load balancers to notice.
struct ReadinessGate: Service {
    let registry: ModelRegistry
    let drainDelay: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        registry.startDraining()
        logger.info("draining: readiness is now false")
        if drainDelay > .zero { try? await Task.sleep(for: drainDelay) }
    }
}

extension Duration {
    /// Seconds as a Double, for logs and reports.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }

    /// Milliseconds as a Double, for span attributes.
    var milliseconds: Double { seconds * 1000 }
}

extension ModelService {

    /// Sources `serve` fetches before loading (into MODEL_CACHE_DIR, default $TMPDIR/inference-server-model); paths load in place.
    static func isRemote(_ model: String) -> Bool {
        let lower = model.lowercased()
        return ["s3://", "hf://", "http://", "https://"].contains { lower.hasPrefix($0) }
    }
}
