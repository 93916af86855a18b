@testable import ControllerRuntime
import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Locking
import Logging
@testable import Operator
import Rendering
import Rollout
import ServingAPI
import TestAPIServer
import TestSupport
import Testing

/// `spec.canary.gatewayRef` in the reconciler, against the test API server
/// serving the transcribed HTTPRoute CRD: the route carries the weight the
/// run is at, the replicas follow `TrafficSplit.gatewayReplicas`, and the
/// route goes with `gatewayRef` or `spec.canary`. The caches are filled from
/// the API between reconciles, as the informers would.
@Suite struct CanaryGatewayReconcilerTests {
    static let key = "ml/demo"
    static let canary: JSON = [
        "model": ["name": "demo", "uri": "file:///models/demo-v2.onnx"], "steps": [30, 60, 100], "stepSeconds": 3600,
        "gatewayRef": ["name": "edge", "namespace": "infra", "sectionName": "http"],
    ]

    static func inferenceService() -> JSON {
        var object = FaultInjectionTests.inferenceService()
        object["spec"]?["replicas"] = ["min": 4, "max": 8]
        object["spec"]?["canary"] = canary
        return object
    }

    /// The cluster, the caches and a reconciler over them (`routes` nil: the cluster does not serve HTTPRoutes).
    struct Harness {
        let cluster: Cluster
        let services = Store<InferenceServiceResource>()
        let deployments = Store<Deployment>()
        let serviceObjects = Store<KubeAPI.Service>()
        let routes: Store<HTTPRouteResource>?
        let records = ScalingRecords()
        let reconciler: Reconciler

        init(cluster: Cluster, servesRoutes: Bool) {
            self.cluster = cluster
            routes = servesRoutes ? Store<HTTPRouteResource>() : nil
            let logger = Logger(label: "gateway-reconciler-test")
            let recorder = EventRecorder(client: cluster.client, configuration: .init(reportingController: "test", reportingInstance: "test"),
                                         logger: logger)
            reconciler = Reconciler(client: cluster.client, services: services, deployments: deployments, serviceObjects: serviceObjects,
                                    httpRoutes: routes, records: records, recorder: recorder, logger: logger)
        }

        /// Caches refreshed from the API, then one reconcile.
        @discardableResult
        func reconcile() async throws -> ReconcileOutcome {
            let client = cluster.client
            _ = services.replace(with: try await client.list(InferenceServiceResource.self, namespace: "ml").items, scope: "ml")
            _ = deployments.replace(with: try await client.list(Deployment.self, namespace: "ml").items, scope: "ml")
            _ = serviceObjects.replace(with: try await client.list(KubeAPI.Service.self, namespace: "ml").items, scope: "ml")
            if let routes { _ = routes.replace(with: try await client.list(HTTPRouteResource.self, namespace: "ml").items, scope: "ml") }
            return try await reconciler.reconcileReturningOutcome(CanaryGatewayReconcilerTests.key)
        }

        /// The run at `phase`/`step` with `liveWeight` in effect, as the scaling loop would record it.
        func runAt(_ phase: CanaryPhase, step: Int, liveWeight: Int) async throws {
            let object = try #require(services.get(CanaryGatewayReconcilerTests.key))
            let spec = try InferenceService.decodeValidated(object.document).spec
            let fingerprint = try #require(CanaryRenderer.candidateFingerprint(spec))
            var state = CanaryState.start(candidate: fingerprint, now: 1_800_000_000)
            state.phase = phase
            state.step = step
            state.liveWeight = liveWeight
            state.trafficSince = liveWeight > 0 ? 1_800_000_000 : nil
            let run = state
            await records.update(CanaryGatewayReconcilerTests.key) { $0.canary = run }
        }

        func route() async -> JSON? { try? await cluster.client.get(HTTPRouteResource.resourceType, name: "demo", namespace: "ml") }

        func replicas(_ name: String) async throws -> Int64? {
            try await cluster.client.get(.deployments, name: name, namespace: "ml")[path: "spec", "replicas"]?.intValue
        }

        func expectReplicas(stable: Int64, candidate: Int64, _ comment: Comment? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let stableReplicas = try await replicas("demo-predictor")
            let candidateReplicas = try await replicas("demo-canary")
            #expect(stableReplicas == stable && candidateReplicas == candidate,
                    "stable \(stableReplicas ?? -1), candidate \(candidateReplicas ?? -1). \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
        }

        func exists(_ type: KubeAPI.ResourceType, _ name: String) async -> Bool {
            (try? await cluster.client.get(type, name: name, namespace: "ml")) != nil
        }
    }

    static func harness(servesRoutes: Bool) async throws -> Harness {
        let cluster = try await Cluster.start(simulateDeployments: false)
        if servesRoutes {
            _ = try await cluster.client.create(.customResourceDefinitions, try HTTPRouteSchemaTests.crd())
            let served = await eventually(timeout: .seconds(10)) { (try? await cluster.client.serves(HTTPRouteResource.resourceType)) == true }
            try #require(served)
        }
        try await cluster.createNamespace("ml")
        _ = try await cluster.client.create(inferenceServiceType, inferenceService(), namespace: "ml")
        return Harness(cluster: cluster, servesRoutes: servesRoutes)
    }

    /// (name, weight) of the catch-all rule's backends, and whether the header rule is there.
    static func split(_ route: JSON?) -> (backends: [String: Int64], headerRule: Bool) {
        let rules = route?[path: "spec", "rules"]?.arrayValue ?? []
        var backends: [String: Int64] = [:]
        for ref in rules.last?["backendRefs"]?.arrayValue ?? [] { backends[ref["name"]?.stringValue ?? ""] = ref["weight"]?.intValue }
        return (backends, rules.count == 2)
    }

    @Test func theRouteCarriesTheWeightInEffectAndGoesWithTheCanary() async throws {
        let h = try await Self.harness(servesRoutes: true)
        defer { Task { try? await h.cluster.server.shutdown() } }

        // Before the first evaluation: the route exists with everything on the stable version,
        // the candidate is readied for 30% of 4 replicas (rounded up) and the stable keeps all 4.
        var outcome = try await h.reconcile()
        #expect(outcome.appliedRoute)
        var route = await h.route()
        #expect(route?[path: "spec", "parentRefs"]?[0]?["name"] == "edge" && route?[path: "metadata", "ownerReferences"]?[0]?["kind"] == "InferenceService")
        #expect(Self.split(route).backends == ["demo-stable": 100, "demo-canary": 0] && !Self.split(route).headerRule,
                "no header rule before the candidate has traffic: \(route?.serialized() ?? "none")")
        try await h.expectReplicas(stable: 4, candidate: 2)
        #expect(await h.exists(.services, "demo-canary"))
        #expect(await h.exists(.services, "demo-stable"))

        // Nothing changed: nothing is written again.
        outcome = try await h.reconcile()
        #expect(!outcome.appliedRoute && !outcome.appliedCanary)

        // The first step took effect: 70/30 at the Gateway, the header rule, and the stable
        // version sized for its 70% (3 of 4, rounded up).
        try await h.runAt(.progressing, step: 0, liveWeight: 30)
        outcome = try await h.reconcile()
        #expect(outcome.appliedRoute)
        route = await h.route()
        #expect(Self.split(route).backends == ["demo-stable": 70, "demo-canary": 30] && Self.split(route).headerRule)
        try await h.expectReplicas(stable: 3, candidate: 2)

        // The last step is readied while 60% is in effect: the candidate gets all 4,
        // the stable keeps what its 40% needs until the route moves.
        try await h.runAt(.progressing, step: 2, liveWeight: 60)
        try await h.reconcile()
        #expect(Self.split(await h.route()).backends == ["demo-stable": 40, "demo-canary": 60])
        try await h.expectReplicas(stable: 2, candidate: 4)
        try await h.runAt(.progressing, step: 2, liveWeight: 100)
        try await h.reconcile()
        #expect(Self.split(await h.route()).backends == ["demo-stable": 0, "demo-canary": 100])
        #expect(try await h.replicas("demo-predictor") == 1, "one stable replica stays warm for a rollback")

        // Rolled back: everything on the stable version, no header rule.
        try await h.runAt(.rolledBack, step: 2, liveWeight: 0)
        try await h.reconcile()
        route = await h.route()
        #expect(Self.split(route).backends == ["demo-stable": 100, "demo-canary": 0] && !Self.split(route).headerRule)
        try await h.expectReplicas(stable: 4, candidate: 0)

        // spec.canary removed: the operator deletes the route with the other canary objects.
        _ = try await h.cluster.client.patch(inferenceServiceType, name: "demo", namespace: "ml", .merge(["spec": ["canary": nil]]))
        outcome = try await h.reconcile()
        #expect(outcome.removedCanaryObjects == 4, "route, candidate Deployment, two Services")
        #expect(await h.route() == nil)
        #expect(!(await h.exists(.services, "demo-canary")))
        #expect(!(await h.exists(.deployments, "demo-canary")))
    }

    @Test func aPromotionMovesTheRouteToTheCandidateThenBackToTheStableService() async throws {
        let h = try await Self.harness(servesRoutes: true)
        defer { Task { try? await h.cluster.server.shutdown() } }
        try await h.reconcile()
        try await h.runAt(.promoted, step: 2, liveWeight: 100)
        try await h.reconcile()
        // The stable Deployment rolls to the candidate's template; until it has, the candidate takes it all.
        #expect(Self.split(await h.route()).backends == ["demo-stable": 0, "demo-canary": 100])
        // The stable Deployment rolled out (the test plays the Deployment controller).
        let deployment = try await h.cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")
        let replicas = deployment[path: "spec", "replicas"] ?? 4
        let generation = deployment[path: "metadata", "generation"] ?? 1
        _ = try await h.cluster.client.patch(.deployments, name: "demo-predictor", namespace: "ml", .merge(["status": [
            "observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas,
        ]]), subresource: "status")
        try await h.reconcile()
        let route = await h.route()
        #expect(Self.split(route).backends == ["demo-stable": 100] && !Self.split(route).headerRule, "\(route?.serialized() ?? "none")")
    }

    @Test func removingTheGatewayRefDeletesTheRouteAndTheCanaryGoesOnByReplicaShares() async throws {
        let h = try await Self.harness(servesRoutes: true)
        defer { Task { try? await h.cluster.server.shutdown() } }
        try await h.reconcile()
        try await h.runAt(.progressing, step: 0, liveWeight: 30)
        try await h.reconcile()
        #expect(await h.route() != nil)
        _ = try await h.cluster.client.patch(inferenceServiceType, name: "demo", namespace: "ml",
                                             .merge(["spec": ["canary": ["gatewayRef": nil]]]))
        let outcome = try await h.reconcile()
        #expect(outcome.removedCanaryObjects == 1)
        #expect(await h.route() == nil)
        try await h.expectReplicas(stable: 3, candidate: 1, "round(30% of 4) = 1 without a Gateway")
    }

    /// A run whose Gateway cannot be used starts anyway, and says why once.
    @Test(arguments: [false, true])
    func aRunThatCannotUseItsGatewaySaysSoInAnEvent(servesRoutes: Bool) async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        try await cluster.createNamespace("ml")
        _ = try await cluster.client.create(inferenceServiceType, Self.inferenceService(), namespace: "ml")
        let services = Store<InferenceServiceResource>()
        _ = services.upsert(try await cluster.client.get(InferenceServiceResource.self, name: "demo", namespace: "ml"))
        let records = ScalingRecords()
        let logger = Logger(label: "gateway-loop-test")
        let now = Locked(1_800_000_000.0)
        let loop = ScalingLoop(
            configuration: .init(defaultPrometheusURL: "http://127.0.0.1:9", prometheusTimeout: .seconds(2)),
            transport: try CurlTransport(), services: services, deployments: Store<Deployment>(), records: records,
            recorder: EventRecorder(client: cluster.client, configuration: .init(reportingController: "test", reportingInstance: "test"),
                                    logger: logger),
            wallClock: { Date(timeIntervalSince1970: now.withLock { $0 }) }, logger: logger, httpRoutesServed: servesRoutes) { _ in }
        _ = await loop.evaluateDue()
        now.withLock { $0 += 15 }
        _ = await loop.evaluateDue()
        #expect(await records.entry(Self.key)?.canary?.phase == .progressing, "the run started")
        let reasons = (try await cluster.client.list(.events, namespace: "ml"))["items"]?.arrayValue?.compactMap { $0["reason"]?.stringValue } ?? []
        #expect(reasons.contains("CanaryStarted"), "\(reasons)")
        #expect(reasons.filter { $0 == "GatewayAPIUnavailable" }.count == (servesRoutes ? 0 : 1), "\(reasons)")
    }

    /// Rounded-up shares hold more replicas than the total they divide (3 + 2 for 4 at 30%).
    /// With the split of the intended total on both Deployments, the autoscaler evaluates;
    /// a pair that does not carry it (3 + 2 is not the replica-share split 3 + 1) holds.
    @Test(arguments: [true, false])
    func theAutoscalerCountsARoundedUpSplitAsTheTotalItDivides(servesRoutes: Bool) async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        try await cluster.createNamespace("ml")
        _ = try await cluster.client.create(inferenceServiceType, Self.inferenceService(), namespace: "ml")
        let services = Store<InferenceServiceResource>()
        let object = try await cluster.client.get(InferenceServiceResource.self, name: "demo", namespace: "ml")
        _ = services.upsert(object)
        let deployments = Store<Deployment>()
        for (name, replicas) in [("demo-predictor", Int32(3)), ("demo-canary", 2)] {
            _ = deployments.upsert(Deployment(metadata: ObjectMeta(name: name, namespace: "ml"), spec: .init(replicas: replicas),
                                              status: .init(replicas: replicas, readyReplicas: replicas)))
        }
        let records = ScalingRecords()
        let fingerprint = try #require(CanaryRenderer.candidateFingerprint(try InferenceService.decodeValidated(object.document).spec))
        var run = CanaryState.start(candidate: fingerprint, now: 1_800_000_000)
        run.liveWeight = 30
        run.trafficSince = 1_800_000_000
        let started = run
        await records.update(Self.key) { entry in
            entry.desiredReplicas = 4
            entry.canary = started
        }
        let logger = Logger(label: "gateway-loop-test")
        let loop = ScalingLoop(
            configuration: .init(defaultPrometheusURL: "http://127.0.0.1:9", prometheusTimeout: .seconds(2)),
            transport: try CurlTransport(), services: services, deployments: deployments, records: records,
            recorder: EventRecorder(client: cluster.client, configuration: .init(reportingController: "test", reportingInstance: "test"),
                                    logger: logger),
            wallClock: { Date(timeIntervalSince1970: 1_800_000_015) }, logger: logger, httpRoutesServed: servesRoutes) { _ in }
        _ = await loop.evaluateDue()
        let entry = try #require(await records.entry(Self.key))
        if servesRoutes {
            #expect(entry.metricsAvailable?.reason == "MetricsUnavailable", "evaluated: \(String(describing: entry.metricsAvailable))")
        } else {
            #expect(entry.metricsAvailable == nil, "held: 3 + 2 is not the split of 4 at 30% without a Gateway")
        }
        #expect(entry.desiredReplicas == 4)
    }

    @Test func withoutTheKindAGatewayRefSplitsByReplicaShares() async throws {
        let h = try await Self.harness(servesRoutes: false)
        defer { Task { try? await h.cluster.server.shutdown() } }
        try await h.reconcile()
        try await h.runAt(.progressing, step: 0, liveWeight: 30)
        let outcome = try await h.reconcile()
        #expect(!outcome.appliedRoute)
        try await h.expectReplicas(stable: 3, candidate: 1)
        let service = try await h.cluster.client.get(.services, name: "demo-predictor", namespace: "ml")
        #expect(service[path: "spec", "selector"]?.objectValue == PredictorLabels.anyVersion(instance: "demo"), "both versions selected")
    }
}
