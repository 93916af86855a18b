import ControllerRuntime
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP
import Hummingbird
import KubeAPI
import KubeClient
import Locking
import Logging
import Prometheus
import Rendering
import ServiceLifecycle

/// Everything `inference-operator run` configures.
public struct OperatorOptions: Sendable {
    /// Namespaces to watch; nil for all.
    public var namespaces: [String]?
    public var prometheusURL: String
    public var followFallback = false
    public var workers = 4
    public var leaderElection = true
    public var leaseName = "inference-operator"
    public var leaseNamespace = "default"
    public var identity: String
    public var leaseDuration: Duration = .seconds(15)
    public var renewDeadline: Duration = .seconds(10)
    public var retryPeriod: Duration = .seconds(2)
    public var metricsHost = "0.0.0.0"
    public var metricsPort = 8080
    public var scalingTick: Duration = .seconds(1)
    /// Render a ServiceMonitor per InferenceService with these extra labels
    /// (nil: none). Only where the cluster serves monitoring.coreos.com/v1.
    public var serviceMonitorLabels: [String: String]?
    /// Bound on graceful shutdown (finishing reconciles, releasing the lease).
    public var shutdownGracePeriod: Duration = .seconds(20)

    public init(prometheusURL: String, identity: String) {
        self.prometheusURL = prometheusURL
        self.identity = identity
    }
}

/// Wires informers, the controller, leader election, the scaling loop and
/// the health server into one service group with graceful shutdown: on
/// SIGTERM intake stops, in-flight reconciles finish, the lease is
/// released, and the process exits 0.
public final class OperatorRuntime: Sendable {
    let client: KubeClient
    let transport: any HTTPTransport
    let options: OperatorOptions
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    let services: Informer<InferenceServiceResource>
    let deployments: Informer<Deployment>
    let serviceObjects: Informer<KubeAPI.Service>
    /// Present with `serviceMonitorLabels`; run only once discovery finds the kind.
    let serviceMonitors: Informer<ServiceMonitorResource>?
    private let serviceMonitorsServed = Locked<Bool>(false)
    /// The canary HTTPRoutes (`spec.canary.gatewayRef`); run only once discovery finds the kind.
    let httpRoutes: Informer<HTTPRouteResource>
    private let httpRoutesServed = Locked<Bool>(false)
    /// The pods of the operator's Deployments (their labels), for `ModelFetchFailed`.
    let pods: Informer<Pod>
    let records = ScalingRecords()
    let recorder: EventRecorder
    let elector: LeaderElector?
    /// The queue of the current leadership term (nil while not leading).
    private let currentQueue = Locked<WorkQueue?>(nil)

    public init(client: KubeClient, transport: any HTTPTransport, options: OperatorOptions,
                registry: PrometheusCollectorRegistry, logger: Logger) {
        self.client = client
        self.transport = transport
        self.options = options
        self.registry = registry
        self.logger = logger
        services = Informer(client: client, options: .init(namespaces: options.namespaces), logger: logger)
        let owned = "\(PredictorLabels.managedBy)=\(PredictorLabels.manager)"
        var ownedOptions = Informer<Deployment>.Options(namespaces: options.namespaces, labelSelector: owned)
        ownedOptions.resyncPeriod = nil
        deployments = Informer(client: client, options: ownedOptions, logger: logger)
        serviceObjects = Informer(client: client, options: .init(namespaces: options.namespaces, labelSelector: owned), logger: logger)
        serviceMonitors = options.serviceMonitorLabels == nil ? nil
            : Informer(client: client, options: .init(namespaces: options.namespaces, labelSelector: owned), logger: logger)
        httpRoutes = Informer(client: client, options: .init(namespaces: options.namespaces, labelSelector: owned), logger: logger)
        var podOptions = Informer<Pod>.Options(namespaces: options.namespaces, labelSelector: owned)
        podOptions.resyncPeriod = nil
        pods = Informer(client: client, options: podOptions, logger: logger)
        recorder = EventRecorder(client: client, configuration: .init(reportingController: "serving.swiftinfer.io/inference-operator",
                                                                      reportingInstance: options.identity), logger: logger)
        elector = options.leaderElection
            ? LeaderElector(client: client, configuration: .init(
                leaseName: options.leaseName, namespace: options.leaseNamespace, identity: options.identity,
                leaseDuration: options.leaseDuration, renewDeadline: options.renewDeadline, retryPeriod: options.retryPeriod),
                            logger: logger)
            : nil
    }

    /// Ready once every cache synced and, with leader election, the role is known.
    public var isReady: Bool {
        guard services.hasSynced, deployments.hasSynced, serviceObjects.hasSynced, pods.hasSynced else { return false }
        if let monitors = activeServiceMonitors, !monitors.hasSynced { return false }
        if let routes = activeHTTPRoutes, !routes.hasSynced { return false }
        if let elector { return elector.role != .unknown }
        return true
    }

    public var isLeader: Bool { elector?.isLeader ?? true }

    /// The ServiceMonitor informer once discovery found the kind.
    var activeServiceMonitors: Informer<ServiceMonitorResource>? {
        serviceMonitorsServed.withLock { $0 } ? serviceMonitors : nil
    }

    /// Asks the API server whether it serves ServiceMonitors; without them the
    /// operator runs as if `--service-monitors` were off (and says so).
    private func discoverServiceMonitors() async {
        guard serviceMonitors != nil else { return }
        do {
            let served = try await client.serves(ServiceMonitorResource.resourceType)
            serviceMonitorsServed.withLock { $0 = served }
            if served {
                logger.info("rendering a ServiceMonitor per InferenceService")
            } else {
                logger.warning("--service-monitors: the cluster does not serve monitoring.coreos.com/v1 servicemonitors; rendering none")
            }
        } catch {
            logger.warning("--service-monitors: API discovery failed; rendering no ServiceMonitors", metadata: ["error": "\(error)"])
        }
    }

    /// The HTTPRoute informer once discovery found the kind.
    var activeHTTPRoutes: Informer<HTTPRouteResource>? {
        httpRoutesServed.withLock { $0 } ? httpRoutes : nil
    }

    /// Asks the API server whether it serves Gateway API HTTPRoutes, which
    /// canaries with `spec.canary.gatewayRef` split their traffic with;
    /// without them those canaries split by replica shares (and say so in an
    /// Event when a run starts). Asked once, at start, like ServiceMonitors.
    private func discoverHTTPRoutes() async {
        do {
            let served = try await client.serves(HTTPRouteResource.resourceType)
            httpRoutesServed.withLock { $0 = served }
            if served {
                logger.info("the cluster serves gateway.networking.k8s.io/v1 httproutes: canaries with a gatewayRef are split by an HTTPRoute")
            } else {
                logger.info("the cluster does not serve gateway.networking.k8s.io/v1 httproutes: canaries with a gatewayRef are split by replica shares")
            }
        } catch {
            logger.warning("API discovery of gateway.networking.k8s.io/v1 failed: canaries with a gatewayRef are split by replica shares",
                           metadata: ["error": "\(error)"])
        }
    }

    /// Runs until SIGTERM/SIGINT (or cancellation).
    public func run(onMetricsPort: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        await discoverServiceMonitors()
        await discoverHTTPRoutes()
        var list: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: TaskService("informer-inferenceservices") { await self.services.run() }),
            .init(service: TaskService("informer-deployments") { await self.deployments.run() }),
            .init(service: TaskService("informer-services") { await self.serviceObjects.run() }),
            .init(service: TaskService("informer-pods") { await self.pods.run() }),
            .init(service: TaskService("event-pump") { await self.pumpEvents() }),
            .init(service: HealthService(application: HealthServer.application(
                host: options.metricsHost, port: options.metricsPort, registry: registry,
                ready: { [weak self] in self?.isReady ?? false }, logger: logger, onRunning: onMetricsPort))),
        ]
        if let monitors = activeServiceMonitors {
            list.append(.init(service: TaskService("informer-servicemonitors") { await monitors.run() }))
        }
        if let routes = activeHTTPRoutes {
            list.append(.init(service: TaskService("informer-httproutes") { await routes.run() }))
        }
        if let elector {
            list.append(.init(service: TaskService("leader-election") { await elector.run() }))
        }
        list.append(.init(service: TaskService("leader-work") { await self.leaderWork() }))
        var configuration = ServiceGroupConfiguration(services: list, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // In-flight reconciles get this long to finish before they are cancelled
        // (Kubernetes' default termination grace period is 30 s).
        configuration.maximumGracefulShutdownDuration = options.shutdownGracePeriod
        configuration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }

    /// Maps informer deltas to keys of the current term's queue.
    private func pumpEvents() async {
        let isvcDeltas = services.subscribe()
        let deploymentDeltas = deployments.subscribe()
        let serviceDeltas = serviceObjects.subscribe()
        let monitorDeltas = activeServiceMonitors?.subscribe()
        let routeDeltas = activeHTTPRoutes?.subscribe()
        let podDeltas = pods.subscribe()
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await delta in isvcDeltas {
                    if case .deleted(let object) = delta {
                        await self.records.remove(object.key)
                        ObjectGauges.forget(object, deleted: true)
                    }
                    await self.enqueue(delta.object.key)
                }
            }
            group.addTask {
                for await delta in deploymentDeltas { await self.enqueueOwner(of: delta.object.metadata) }
            }
            group.addTask {
                for await delta in serviceDeltas { await self.enqueueOwner(of: delta.object.metadata) }
            }
            if let monitorDeltas {
                group.addTask {
                    for await delta in monitorDeltas { await self.enqueueOwner(of: delta.object.metadata) }
                }
            }
            group.addTask {
                // Pods belong to ReplicaSets; their instance label names the object. Only a change in
                // what they say about the model fetch matters here.
                for await delta in podDeltas {
                    let changed: Bool
                    switch delta {
                    case .added(let pod), .deleted(let pod):
                        changed = ModelFetchCondition.failure(in: [pod]) != nil || ModelFetchCondition.fetched(in: [pod])
                    case .updated(let old, let new):
                        changed = (ModelFetchCondition.failure(in: [old]) != nil) != (ModelFetchCondition.failure(in: [new]) != nil)
                            || ModelFetchCondition.fetched(in: [old]) != ModelFetchCondition.fetched(in: [new])
                    }
                    guard changed, let instance = delta.object.metadata.labels?[PredictorLabels.instance] else { continue }
                    await self.enqueue(objectKey(namespace: delta.object.metadata.namespace, name: instance))
                }
            }
            if let routeDeltas {
                group.addTask {
                    for await delta in routeDeltas { await self.enqueueOwner(of: delta.object.metadata) }
                }
            }
        }
    }

    private func enqueue(_ key: String) async {
        guard let queue = currentQueue.withLock({ $0 }) else { return }
        await queue.add(key)
    }

    /// Owned objects map to their controller owner's key.
    private func enqueueOwner(of metadata: KubeAPI.ObjectMeta) async {
        guard let owner = metadata.controllerReference, owner.kind == InferenceServiceResource.resourceType.kind,
              owner.apiVersion == InferenceServiceResource.resourceType.apiVersion else { return }
        await enqueue(objectKey(namespace: metadata.namespace, name: owner.name))
    }

    /// Reconciles and scales only while leading; every replica keeps its caches warm.
    private func leaderWork() async {
        guard let elector else {
            await term()
            return
        }
        var running: Task<Void, Never>?
        for await role in elector.roles() {
            if role == .leader, running == nil {
                running = Task { await self.term() }
            } else if role != .leader, let task = running {
                logger.warning("lost leadership; stopping reconciles and scaling")
                task.cancel()
                await task.value
                running = nil
            }
        }
        running?.cancel()
        await running?.value
    }

    /// One leadership term: a fresh queue with every known object, the
    /// controller and the scaling loop, until cancelled.
    private func term() async {
        _ = await services.waitForSync()
        _ = await deployments.waitForSync()
        _ = await serviceObjects.waitForSync()
        _ = await pods.waitForSync()
        let monitors = activeServiceMonitors
        if let monitors { _ = await monitors.waitForSync() }
        let routes = activeHTTPRoutes
        if let routes { _ = await routes.waitForSync() }
        let queue = WorkQueue(name: "inferenceservices")
        currentQueue.withLock { $0 = queue }
        defer { currentQueue.withLock { $0 = nil } }
        for key in services.store.keys { await queue.add(key) }
        let reconciler = Reconciler(client: client, services: services.store, deployments: deployments.store,
                                    serviceObjects: serviceObjects.store,
                                    serviceMonitors: monitors.map { Reconciler.ServiceMonitors(store: $0.store, labels: options.serviceMonitorLabels ?? [:]) },
                                    httpRoutes: routes?.store, pods: pods.store, hubRevisions: HubRevisionResolver(client: client),
                                    records: records, recorder: recorder, logger: logger)
        let controller = Controller(name: "inferenceservice", queue: queue, workers: options.workers, logger: logger) { key in
            try await reconciler.reconcile(key)
        }
        let loop = ScalingLoop(
            configuration: .init(defaultPrometheusURL: options.prometheusURL, followFallback: options.followFallback, tick: options.scalingTick),
            transport: transport, services: services.store, deployments: deployments.store, records: records,
            recorder: recorder, logger: logger, secrets: AuthSecretCache(client: client), httpRoutesServed: routes != nil,
            httpRoutes: routes?.store
        ) { keys in
            for key in keys { await queue.add(key) }
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await controller.run() }
            group.addTask { await loop.run() }
        }
        // The term is over (leadership lost or shutdown) and nothing records
        // any more: a follower's frozen gauges would keep alerts firing or
        // hide them, so they go until this replica leads again.
        for key in services.store.keys {
            if let object = services.store.get(key) { ObjectGauges.forget(object, deleted: false) }
        }
    }
}

/// A long-running task as a lifecycle `Service` that stops on graceful shutdown.
struct TaskService: ServiceLifecycle.Service, CustomStringConvertible {
    let description: String
    let body: @Sendable () async -> Void

    init(_ name: String, _ body: @escaping @Sendable () async -> Void) {
        self.description = name
        self.body = body
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await body()
        }
    }
}

/// The Hummingbird application as a lifecycle service.
struct HealthService<App: ApplicationProtocol>: ServiceLifecycle.Service, CustomStringConvertible {
    let application: App
    var description: String { "health-server" }
    func run() async throws { try await application.run() }
}
