#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import DecimalText
import HTTP
import Hummingbird
import Logging
import ModelFetch
import NIOCore
import NIOPosix
import ONNXRuntime
import ServiceLifecycle
import Tracing

/// Wires the server: model service, HTTP app, the gRPC listener (with `grpcPort`), and the
/// readiness gate, in one ServiceGroup that handles SIGTERM/SIGINT. Shutdown runs in reverse
/// order: readiness goes false (and waits `drainDelay`), the gRPC and HTTP servers finish
/// in-flight requests, then the batcher runs what is still queued.
public enum InferenceServerApp {
    public static func run(_ given: ServerConfiguration, logger: Logger) async throws {
        var configuration = given
        // warmup's layout sets the threads, so it is read before any start. A remote model has
        // none yet (it is fetched by the model service); its batch size is resolved after the fetch.
        let choice = ModelService.isRemote(configuration.model) ? nil
            : ServedBatchSize.resolve(configuration, modelPath: ModelService.locate(configuration.model).path)
        if let layout = choice?.layout {
            configuration.batching.maxConcurrentBatches = layout.concurrentBatches
            configuration.session.intraOpThreads = layout.intraOpThreads
            configuration.runLayoutSource = .measured
        }
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
        let loops = configuration.eventLoops
            ?? ServerConfiguration.defaultEventLoops(cores: System.coreCount, intraOpThreads: configuration.session.intraOpThreads)
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: V2Routes.serverName),
            onServerRunning: { channel in
                logger.info("listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")", "event_loops": "\(loops)"])
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
        let model = ModelService(configuration: configuration, registry: registry, metrics: metrics, threadPool: threadPool,
                                 tracer: tracing?.tracer, logger: logger, choice: choice)
        let gate = ReadinessGate(registry: registry, drainDelay: configuration.drainDelay, logger: logger)
        // Services stop in reverse order: the span exporter goes last, so it flushes the drained requests' spans.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let tracing { services.append(.init(service: tracing.exporter)) }
        services += [.init(service: model), .init(service: app)]
        if let grpcPort = configuration.grpcPort {
            let service = V2GRPCService(registry: registry, metrics: metrics, tracing: tracing)
            services.append(.init(service: GRPCListener(host: configuration.host, port: grpcPort, maxMessageBytes: configuration.maxBodyBytes,
                                                        service: service, eventLoopGroup: eventLoopGroup, logger: logger)))
        }
        services.append(.init(service: gate))
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await eventLoopGroup.shutdownGracefully()
            throw error
        }
        try await threadPool.shutdownGracefully()
        try? await eventLoopGroup.shutdownGracefully()
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
    /// The batch size and layout, resolved before the threads started; nil: resolved here.
    let choice: ServedBatchSize.Choice?

    /// Where `model` (a path or a directory `warmup` wrote) has its file.
    static func locate(_ model: String) -> (path: String, optimized: Bool) {
        ModelLocation.resolve(
            model,
            fileExists: { FileManager.default.fileExists(atPath: $0) },
            isDirectory: { path in
                (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeDirectory
            })
    }

    func run() async throws {
        let started = ContinuousClock.now
        var configuration = self.configuration
        if Self.isRemote(configuration.model) {
            // The same fetcher as `warmup` (the init container): a pod without
            // an init container, or a server run by hand, can load from a store.
            let environment = ProcessInfo.processInfo.environment
            let directory = environment["MODEL_CACHE_DIR"]
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("inference-server-model").path
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
        let presolved = self.choice
        let runner: ModelRunner
        let phases: StartPhases
        do {
            (runner, phases) = try await threadPool.runIfActive { () throws -> (ModelRunner, StartPhases) in
                var phases = StartPhases()
                var mark = ContinuousClock.now
                let runtime = try ORTRuntime.load(locator: LibraryLocator(explicitPath: loadConfiguration.ortLibrary))
                phases.runtime = (ContinuousClock.now - mark).seconds
                mark = ContinuousClock.now
                let location = Self.locate(loadConfiguration.model)
                let session = try runtime.makeSession(modelPath: location.path, configuration: loadConfiguration.session)
                phases.session = (ContinuousClock.now - mark).seconds
                phases.optimizedModel = location.optimized
                let choice = presolved ?? ServedBatchSize.resolve(loadConfiguration, modelPath: location.path, layouts: false)
                if let warning = choice.warning { logger.warning("warmup report ignored", metadata: ["error": "\(warning)"]) }
                var batching = loadConfiguration.batching
                batching.maxBatchSize = choice.size
                let runner = ModelRunner(name: loadConfiguration.modelName, session: session, batching: batching,
                                         threadPool: pool, metrics: metrics, tracer: tracer,
                                         batchSizeSource: choice.source, batchThroughput: choice.curve,
                                         layout: RunnerLayout(source: loadConfiguration.runLayoutSource,
                                                              intraOpThreads: loadConfiguration.session.intraOpThreads,
                                                              measured: choice.layouts))
                mark = ContinuousClock.now
                try runner.warm(upTo: runner.maxBatchSize)
                phases.warmUp = (ContinuousClock.now - mark).seconds
                return (runner, phases)
            }
        } catch {
            registry.markFailed("\(error)")
            logger.error("model failed to load", metadata: ["error": "\(error)"])
            throw error
        }
        registry.markReady(runner)
        logger.info("model ready", metadata: [
            "model": "\(loadConfiguration.modelName)", "seconds": "\((ContinuousClock.now - started).seconds)",
            "phases": "\(phases)", "since_process_start": "\(ProcessAge.seconds().map { formatFixed($0, 3) } ?? "unknown")",
            "batching": "\(runner.batchingEnabled)", "max_batch_size": "\(runner.maxBatchSize) (\(runner.batchSizeSource.rawValue))",
            "layout": "\(runner.concurrentBatches) batch(es) at once, intra-op threads \(runner.layout.intraOpThreads) (\(runner.layout.source.rawValue))",
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

/// Where a model's start goes, for the "model ready" log line.
struct StartPhases: CustomStringConvertible {
    var runtime = 0.0
    var session = 0.0
    var optimizedModel = false
    var warmUp = 0.0

    var description: String {
        let f = { (seconds: Double) in formatFixed(seconds, 3) + " s" }
        return "runtime load \(f(runtime)), session \(f(session)) (\(optimizedModel ? "saved optimised model" : "original model, optimised now")), warm-up runs \(f(warmUp))"
    }
}

/// Seconds since this process started (Linux: /proc/self/stat's start time against /proc/uptime).
enum ProcessAge {
    static func seconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, starttime field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
              let up = uptime.split(separator: " ").first.flatMap({ Double($0) }) else { return nil }
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard hertz > 0 else { return nil }
        return up - ticks / hertz
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
