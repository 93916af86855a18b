import Foundation
import JSONValue
import KubeAPI
import KubeClient
import Rendering
import Rollout
import ServingAPI

/// How one reconcile lays out an object with `spec.canary` (pure): which
/// spec the stable Deployment runs, how the replicas split, which versions
/// the predictor Service selects.
struct CanaryLayout: Equatable {
    /// The run this layout is for (nil before its first evaluation).
    var run: CanaryState?
    var split: TrafficSplit
    /// The spec the stable Deployment renders: the stable one, or the candidate's once promoted.
    var stableSpec: InferenceServiceSpec

    /// - Parameters:
    ///   - run: the run as the scaling loop left it, or as status holds it.
    ///   - total: the replicas the object should have (the autoscaler's).
    ///   - promotionRolledOut: the stable Deployment already runs the promoted template on all replicas.
    static func make(spec: InferenceServiceSpec, run: CanaryState?, total: Int, promotionRolledOut: Bool) -> CanaryLayout? {
        guard let plan = CanaryMapping.plan(for: spec), let fingerprint = CanaryRenderer.candidateFingerprint(spec),
              let candidateSpec = spec.candidateSpec else { return nil }
        let current = run?.candidate == fingerprint ? run : nil
        let split = CanaryMapping.split(phase: current?.phase, step: current?.step ?? 0, plan: plan, total: total,
                                        promotionRolledOut: promotionRolledOut)
        return CanaryLayout(run: current, split: split, stableSpec: current?.phase == .promoted ? candidateSpec : spec)
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

    /// Deletes what a canary left once `spec.canary` is gone (the candidate's
    /// Deployment and the per-version Services), if the caches hold any.
    func removeCanaryObjects(namespace: String, name: String, outcome: inout ReconcileOutcome) async throws {
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
