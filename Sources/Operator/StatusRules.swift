#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import KubeAPI
import KubeClient
import Rendering
import ServingAPI

/// Status conditions derived from the live Deployment (pure).
enum StatusRules {
    static func update(_ status: inout InferenceServiceStatus, service: InferenceService, deployment: Deployment?,
                       plan: WarmupPlan, generation: Int64?, now: String, replicasApplied: Int) {
        let desired = replicasApplied
        let ready = Int(deployment?.status?.readyReplicas ?? 0)
        let current = Int(deployment?.status?.replicas ?? 0)
        let updated = Int(deployment?.status?.updatedReplicas ?? 0)
        let rolledOut = deployment.map { d in
            (d.status?.observedGeneration ?? -1) >= (d.metadata.generation ?? 0) && updated >= desired && ready >= desired
        } ?? false
        status.replicas = current
        status.readyReplicas = ready
        if status.desiredReplicas == nil || service.spec.autoscaling.mode == .disabled { status.desiredReplicas = desired }
        status.selector = PredictorLabels.selectorString(instance: service.name)

        let readyCondition: ServingAPI.Condition
        if deployment == nil {
            readyCondition = ServingAPI.Condition(type: ConditionType.ready.rawValue, status: .false, observedGeneration: generation,
                                       lastTransitionTime: now, reason: "Creating", message: "the predictor Deployment is being created")
        } else if ready >= max(1, service.spec.replicas.min) {
            readyCondition = ServingAPI.Condition(type: ConditionType.ready.rawValue, status: .true, observedGeneration: generation,
                                       lastTransitionTime: now, reason: "Serving", message: "\(ready)/\(desired) replicas ready")
        } else {
            readyCondition = ServingAPI.Condition(type: ConditionType.ready.rawValue, status: .false, observedGeneration: generation,
                                       lastTransitionTime: now, reason: "ReplicasNotReady", message: "\(ready)/\(desired) replicas ready")
        }
        status.setCondition(readyCondition)

        let fingerprint = plan.fingerprint.value
        if !service.spec.warmup.enabled {
            status.setCondition(ServingAPI.Condition(type: ConditionType.warmupComplete.rawValue, status: .true, observedGeneration: generation,
                                          lastTransitionTime: now, reason: "WarmupDisabled", message: "warmup is disabled"))
        } else if status.warmedFingerprint == fingerprint {
            status.setCondition(ServingAPI.Condition(type: ConditionType.warmupComplete.rawValue, status: .true, observedGeneration: generation,
                                          lastTransitionTime: now, reason: "Warmed", message: "pods warmed for \(plan.fingerprint)"))
        } else if plan.warm && rolledOut {
            // The warming rollout finished: record the fingerprint.
            status.warmedFingerprint = fingerprint
            status.setCondition(ServingAPI.Condition(type: ConditionType.warmupComplete.rawValue, status: .true, observedGeneration: generation,
                                          lastTransitionTime: now, reason: "Warmed", message: "pods warmed for \(plan.fingerprint)"))
        } else {
            status.setCondition(ServingAPI.Condition(type: ConditionType.warmupComplete.rawValue, status: .false, observedGeneration: generation,
                                          lastTransitionTime: now, reason: "WarmingUp", message: "warming pods for \(plan.fingerprint)"))
        }
    }

    /// Folds the scaling loop's findings into status. Observed signals keep
    /// their old timestamp while the values are unchanged, so an idle fleet
    /// causes no status writes.
    static func merge(_ scaling: ScalingRecords.Entry, into status: inout InferenceServiceStatus) {
        if let observed = scaling.observed {
            let old = status.observed
            if old?.p95LatencyMs != observed.p95LatencyMs || old?.gpuUtilizationPercent != observed.gpuUtilizationPercent
                || old?.requestsPerSecond != observed.requestsPerSecond {
                status.observed = observed
            }
        }
        if let condition = scaling.metricsAvailable { status.setCondition(condition) }
        if let condition = scaling.scalingActive { status.setCondition(condition) }
        status.breaches = BreachCounters(latency: scaling.state.latencyBreaches, gpu: 0)
        status.idleSince = scaling.state.idleSince.map { Timestamps.format(Date(timeIntervalSince1970: $0)) }
        status.learned = StateRestoration.learned(from: scaling.state)
        if let time = scaling.lastScaleTime { status.lastScaleTime = time }
        for record in scaling.pending { status.record(record) }
    }
}
