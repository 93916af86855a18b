@testable import ControllerRuntime
import Foundation
import HTTP
import JSONValue
import KubeAPI
import Locking
import Logging
@testable import Operator
import Rendering
import Rollout
import ServingAPI
import TestSupport
import Testing

/// A canary step behind a Gateway takes effect only once the Gateway's
/// controller reports the route Accepted with its references resolved.
@Suite struct RouteAcceptanceTests {
    static let gateway = GatewayReference(name: "edge", namespace: "infra", sectionName: "http")

    static func route(generation: Int64 = 2, parents: [JSON]) -> HTTPRouteResource {
        HTTPRouteResource(metadata: ObjectMeta(name: "demo", namespace: "ml", generation: generation), spec: [:],
                          status: ["parents": .array(parents)])
    }

    static func parent(name: String = "edge", namespace: String? = "infra", section: String? = "http",
                       accepted: String = "True", resolved: String = "True", observed: Int64 = 2, reason: String = "Accepted") -> JSON {
        var ref: JSONObject = ["group": "gateway.networking.k8s.io", "kind": "Gateway", "name": .string(name)]
        if let namespace { ref["namespace"] = .string(namespace) }
        if let section { ref["sectionName"] = .string(section) }
        return [
            "parentRef": .object(ref), "controllerName": "example.net/gateway-controller",
            "conditions": [
                ["type": "Accepted", "status": .string(accepted), "reason": .string(reason), "message": "listener http",
                 "observedGeneration": .int(observed), "lastTransitionTime": "2026-12-07T00:00:00Z"],
                ["type": "ResolvedRefs", "status": .string(resolved), "reason": "ResolvedRefs",
                 "observedGeneration": .int(observed), "lastTransitionTime": "2026-12-07T00:00:00Z"],
            ],
        ]
    }

    @Test func acceptedWithResolvedRefsForOurParentAndThisGeneration() {
        #expect(RouteAcceptance.of(Self.route(parents: [Self.parent()]), gateway: Self.gateway, routeNamespace: "ml") == .accepted)
    }

    @Test(arguments: [
        ("no route", nil as HTTPRouteResource?),
        ("no status", HTTPRouteResource(metadata: ObjectMeta(name: "demo", namespace: "ml", generation: 1), spec: [:])),
        ("another Gateway's", Self.route(parents: [Self.parent(name: "other")])),
        ("another listener's", Self.route(parents: [Self.parent(section: "https")])),
        ("another namespace's", Self.route(parents: [Self.parent(namespace: "ml")])),
        ("an older generation's", Self.route(generation: 3, parents: [Self.parent(observed: 2)])),
        ("references not resolved yet", Self.route(parents: [Self.parent(resolved: "Unknown")])),
    ])
    func withoutAReportForThisRouteAsItIsTheStepWaits(_ what: String, route: HTTPRouteResource?) {
        #expect(RouteAcceptance.of(route, gateway: Self.gateway, routeNamespace: "ml") == .unreported, "\(what)")
    }

    @Test func aRefusalNamesTheConditionAndItsReason() {
        let refused = RouteAcceptance.of(Self.route(parents: [Self.parent(accepted: "False", reason: "NotAllowedByListeners")]),
                                         gateway: Self.gateway, routeNamespace: "ml")
        #expect(refused == .refused("Accepted False (NotAllowedByListeners: listener http)"))
        let unresolved = RouteAcceptance.of(Self.route(parents: [Self.parent(resolved: "False")]), gateway: Self.gateway, routeNamespace: "ml")
        if case .refused(let why) = unresolved { #expect(why.hasPrefix("ResolvedRefs False")) } else { Issue.record("\(unresolved)") }
    }

    /// A parentRef without a namespace means the route's own.
    @Test func aParentInTheRoutesNamespaceMayOmitIt() {
        let local = GatewayReference(name: "edge")
        #expect(RouteAcceptance.of(Self.route(parents: [Self.parent(namespace: nil, section: nil)]), gateway: local, routeNamespace: "ml") == .accepted)
    }

    /// The scaling loop: ready replicas alone do not make the first step take
    /// effect; the Gateway's acceptance does. Past the deadline the verdict names the route.
    @Test func theFirstStepWaitsForTheGatewayAndTheDeadlineNamesIt() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        try await cluster.createNamespace("ml")
        var object = CanaryGatewayReconcilerTests.inferenceService()
        object["spec"]?["canary"]?["progressDeadlineSeconds"] = 60
        _ = try await cluster.client.create(inferenceServiceType, object, namespace: "ml")
        let live = try await cluster.client.get(InferenceServiceResource.self, name: "demo", namespace: "ml")
        let services = Store<InferenceServiceResource>()
        _ = services.upsert(live)
        let spec = try InferenceService.decodeValidated(live.document).spec
        let fingerprint = try #require(CanaryRenderer.candidateFingerprint(spec))
        // The candidate's replicas for 30% of 4 (rounded up: 2) are ready.
        let deployments = Store<Deployment>()
        let template = PodTemplateSpec(metadata: ObjectMeta(annotations: [CanaryRenderer.candidateAnnotation: fingerprint]))
        _ = deployments.upsert(Deployment(metadata: ObjectMeta(name: "demo-predictor", namespace: "ml", generation: 1), spec: .init(replicas: 4),
                                          status: .init(observedGeneration: 1, replicas: 4, updatedReplicas: 4, readyReplicas: 4)))
        _ = deployments.upsert(Deployment(metadata: ObjectMeta(name: "demo-canary", namespace: "ml", generation: 1),
                                          spec: .init(replicas: 2, template: template),
                                          status: .init(observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2)))
        let logger = Logger(label: "route-acceptance-test")
        let now = Locked(1_800_000_000.0)
        /// A scaling loop over these objects that reads the routes from `routes`.
        func makeLoop(routes: Store<HTTPRouteResource>, records: ScalingRecords) throws -> ScalingLoop {
            ScalingLoop(
                configuration: .init(defaultPrometheusURL: "http://127.0.0.1:9", prometheusTimeout: .seconds(2)),
                transport: try CurlTransport(), services: services, deployments: deployments, records: records,
                recorder: EventRecorder(client: cluster.client, configuration: .init(reportingController: "test", reportingInstance: "test"),
                                        logger: logger),
                wallClock: { Date(timeIntervalSince1970: now.withLock { $0 }) }, logger: logger, httpRoutesServed: true,
                httpRoutes: routes) { _ in }
        }
        let routes = Store<HTTPRouteResource>()
        _ = routes.upsert(Self.route(generation: 1, parents: []))
        let records = ScalingRecords()
        let loop = try makeLoop(routes: routes, records: records)
        func run() async -> CanaryState? { await records.entry(CanaryGatewayReconcilerTests.key)?.canary }

        _ = await loop.evaluateDue()
        now.withLock { $0 += 15 }
        _ = await loop.evaluateDue()
        #expect(await run()?.liveWeight == 0, "no status from the Gateway yet: the weight stays 0")

        _ = routes.upsert(Self.route(generation: 1, parents: [Self.parent(observed: 1)]))
        now.withLock { $0 += 15 }
        _ = await loop.evaluateDue()
        #expect(await run()?.liveWeight == 30, "accepted: the first step takes effect")

        // Another run whose Gateway refuses the route: rolled back at the deadline, naming the refusal.
        let refusedRoutes = Store<HTTPRouteResource>()
        _ = refusedRoutes.upsert(Self.route(generation: 1, parents: [Self.parent(accepted: "False", observed: 1, reason: "NotAllowedByListeners")]))
        let refusedRecords = ScalingRecords()
        let refusing = try makeLoop(routes: refusedRoutes, records: refusedRecords)
        for _ in 0..<7 {
            now.withLock { $0 += 15 }
            _ = await refusing.evaluateDue()
        }
        let ended = await refusedRecords.entry(CanaryGatewayReconcilerTests.key)?.canary
        #expect(ended?.phase == .rolledBack, "\(String(describing: ended))")
        #expect(ended?.verdict?.contains("Gateway infra/edge has not accepted HTTPRoute ml/demo: Accepted False (NotAllowedByListeners") == true,
                "\(ended?.verdict ?? "nil")")
    }
}
