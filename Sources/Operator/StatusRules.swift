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
    /// - Parameter pods: the object's pods (nil: not watched), read for the batcher
    ///   that measuring pods report (`BatchingMeasurement`).
    static func update(_ status: inout InferenceServiceStatus, service: InferenceService, deployment: Deployment?,
                       plan: WarmupPlan, generation: Int64?, now: String, replicasApplied: Int, pods: [Pod]? = nil) {
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
        } else if plan.warm, rolledOut, let measured = plan.measures ? BatchingMeasurement.record(key: plan.measurementKey, pods: pods) : nil {
            // The measuring rollout finished: record the fingerprint and the batcher the next pods run.
            status.warmedFingerprint = fingerprint
            status.measuredBatching = measured
            status.setCondition(ServingAPI.Condition(type: ConditionType.warmupComplete.rawValue, status: .true, observedGeneration: generation,
                                          lastTransitionTime: now, reason: "Warmed", message: warmedMessage(status, service: service, plan: plan)))
        } else if plan.warm && rolledOut && !plan.measures {
            // The warming rollout finished: record the fingerprint.
            status.warmedFingerprint = fingerprint
            status.setCondition(ServingAPI.Condition(type: ConditionType.warmupComplete.rawValue, status: .true, observedGeneration: generation,
                                          lastTransitionTime: now, reason: "Warmed", message: "pods warmed for \(plan.fingerprint)"))
        } else if plan.warm {
            status.setCondition(ServingAPI.Condition(type: ConditionType.warmupComplete.rawValue, status: .false, observedGeneration: generation,
                                          lastTransitionTime: now, reason: "WarmingUp",
                                          message: plan.measures ? "warming pods for \(plan.fingerprint), measuring the batcher"
                                              : "warming pods for \(plan.fingerprint)"))
        } else {
            status.setCondition(ServingAPI.Condition(type: ConditionType.warmupComplete.rawValue, status: .true, observedGeneration: generation,
                                          lastTransitionTime: now, reason: "Warmed", message: warmedMessage(status, service: service, plan: plan)))
        }
    }

    /// `pods warmed for F`, and the recorded batcher while the pods serve it (the spec sets no size).
    static func warmedMessage(_ status: InferenceServiceStatus, service: InferenceService, plan: WarmupPlan) -> String {
        let warmed = "pods warmed for \(plan.fingerprint)"
        guard service.spec.batching.maxBatchSize == nil, let measured = status.measuredBatching, measured.key == plan.measurementKey
        else { return warmed }
        return warmed + "; batcher " + describe(measured)
    }

    /// `max batch 4 × 2 concurrent, 1 intra-op thread (measured by pod p)`, or the note alone.
    static func describe(_ measured: MeasuredBatching) -> String {
        guard let size = measured.maxBatchSize else { return measured.note ?? "not measured" }
        var text = "max batch \(size)"
        if let batches = measured.concurrentBatches { text += " × \(batches) concurrent" }
        if let threads = measured.intraOpThreads { text += ", \(threads) intra-op thread" + (threads == 1 ? "" : "s") }
        if let note = measured.note { text += " (\(note))" }
        return text
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
