#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JSONValue
import KubeAPI
import KubeClient
import Rendering
import Rollout
import ServingAPI

/// How one reconcile lays out an object with `spec.canary` (pure): which
/// spec the stable Deployment runs, how the replicas split, which versions
/// the predictor Service selects, and, with a Gateway, what its HTTPRoute sends where.
struct CanaryLayout: Equatable {
    /// The run this layout is for (nil before its first evaluation).
    var run: CanaryState?
    var split: TrafficSplit
    /// The spec the stable Deployment renders: the stable one, or the candidate's once promoted.
    var stableSpec: InferenceServiceSpec
    /// The HTTPRoute's backends (used only where a route carries the split):
    /// the weight in effect; 0 before the first step takes effect and after a
    /// rollback or abort; 100 once promoted, until the promotion has rolled
    /// out onto the stable Deployment, then the stable Service alone.
    var route: HTTPRouteRenderer.Backends

    /// Whether an HTTPRoute carries this object's split: it names a Gateway
    /// and the cluster serves HTTPRoutes. Otherwise the predictor Service's
    /// selection and the replica shares do (`TrafficSplit.replicas`).
    static func routed(_ spec: InferenceServiceSpec, httpRoutesServed: Bool) -> Bool {
        httpRoutesServed && spec.canary?.gatewayRef != nil
    }

    /// - Parameters:
    ///   - run: the run as the scaling loop left it, or as status holds it.
    ///   - total: the replicas the object should have (the autoscaler's).
    ///   - promotionRolledOut: the stable Deployment already runs the promoted template on all replicas.
    ///   - gateway: an HTTPRoute carries the split (`routed`), so the replicas follow the weights without encoding them.
    static func make(spec: InferenceServiceSpec, run: CanaryState?, total: Int, promotionRolledOut: Bool,
                     gateway: Bool = false) -> CanaryLayout? {
        guard let plan = CanaryMapping.plan(for: spec), let fingerprint = CanaryRenderer.candidateFingerprint(spec),
              let candidateSpec = spec.candidateSpec else { return nil }
        let current = run?.candidate == fingerprint ? run : nil
        let split = CanaryMapping.split(phase: current?.phase, step: current?.step ?? 0, plan: plan, total: total,
                                        promotionRolledOut: promotionRolledOut, gateway: gateway, liveWeight: current?.liveWeight ?? 0,
                                        maxReplicas: spec.replicas.max, costRatio: current?.costRatio)
        let route: HTTPRouteRenderer.Backends
        switch current?.phase {
        case nil, .rolledBack?, .aborted?: route = .split(candidateWeight: 0)
        case .progressing?, .paused?: route = .split(candidateWeight: current?.liveWeight ?? 0)
        case .promoted?: route = promotionRolledOut ? .stableOnly : .split(candidateWeight: 100)
        }
        return CanaryLayout(run: current, split: split, stableSpec: current?.phase == .promoted ? candidateSpec : spec, route: route)
    }
}

extension Reconciler {
    /// Applies the candidate's Deployment and the per-version Services.
    func applyCanary(_ rendered: RenderedCanary, namespace: String, name: String, outcome: inout ReconcileOutcome) async throws {
        let candidateName = CanaryRenderer.candidateName(forObjectNamed: name)
        let live = deployments.get(namespace: namespace, name: candidateName)
        if try await applyIfChanged(.deployments, desired: rendered.deployment, live: try live.map { try JSON(encoding: $0) }) {
            outcome.appliedCanary = true
        }
        for (service, serviceName) in [(rendered.candidateService, candidateName), (rendered.stableService, CanaryRenderer.stableName(forObjectNamed: name))] {
            let liveService = serviceObjects.get(namespace: namespace, name: serviceName)
            guard let service else {
                // headerRoute turned off: without the Service, the stable pods serve X-Canary requests themselves.
                if liveService != nil { try await delete(.services, serviceName, namespace: namespace, outcome: &outcome) }
                continue
            }
            if try await applyIfChanged(.services, desired: service, live: try liveService.map { try JSON(encoding: $0) }) {
                outcome.appliedCanary = true
            }
        }
    }

    private func delete(_ type: ResourceType, _ objectName: String, namespace: String, outcome: inout ReconcileOutcome) async throws {
        do {
            try await client.delete(type, name: objectName, namespace: namespace)
            outcome.removedCanaryObjects += 1
        } catch {
            if !error.isNotFound { throw error }
        }
    }

    /// Applies the canary's HTTPRoute, or deletes the one the cache holds when
    /// `desired` is nil (`gatewayRef` removed, or `spec.canary`). Does nothing
    /// where the cluster does not serve HTTPRoutes.
    func applyRoute(_ desired: JSON?, namespace: String, name: String, outcome: inout ReconcileOutcome) async throws {
        guard let httpRoutes else { return }
        let routeName = HTTPRouteRenderer.name(forObjectNamed: name)
        let live = httpRoutes.get(namespace: namespace, name: routeName)
        guard let desired else {
            if live != nil { try await delete(HTTPRouteResource.resourceType, routeName, namespace: namespace, outcome: &outcome) }
            return
        }
        // parentRefs exactly: a gatewayRef that drops its namespace or sectionName must drop it from the route too.
        if try await applyIfChanged(HTTPRouteResource.resourceType, desired: desired, live: try live.map { try JSON(encoding: $0) },
                                    exactly: [["spec", "parentRefs"]]) {
            outcome.appliedRoute = true
        }
    }

    /// Deletes what a canary left once `spec.canary` is gone (its HTTPRoute
    /// first, so the Gateway stops sending to the per-version Services, then the
    /// candidate's Deployment and those Services), if the caches hold any.
    func removeCanaryObjects(namespace: String, name: String, outcome: inout ReconcileOutcome) async throws {
        try await applyRoute(nil, namespace: namespace, name: name, outcome: &outcome)
        let candidateName = CanaryRenderer.candidateName(forObjectNamed: name)
        var leftovers: [(ResourceType, String)] = []
        if deployments.get(namespace: namespace, name: candidateName) != nil { leftovers.append((.deployments, candidateName)) }
        for serviceName in [candidateName, CanaryRenderer.stableName(forObjectNamed: name)]
        where serviceObjects.get(namespace: namespace, name: serviceName) != nil {
            leftovers.append((.services, serviceName))
        }
        for (type, objectName) in leftovers {
            try await delete(type, objectName, namespace: namespace, outcome: &outcome)
        }
    }
}
