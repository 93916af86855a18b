import Autoscaling
import ControllerRuntime
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import KubeAPI
import KubeClient
import ServingAPI

/// What one evaluation of one InferenceService does, worked out from its
/// inputs alone by `ScalingPlan.make` (pure: no IO, no clock reads);
/// `ScalingLoop` carries it out (record, Event, log, metrics).
///
/// The loop writes no replicas itself: the decided count goes into the
/// scaling record, and the reconciler writes status first (desiredReplicas
/// and the decision), then applies the Deployment's replicas. A crash
/// between the two leaves the intent in status, so a restarted operator
/// finishes the change instead of losing or repeating it.
struct ScalingPlan: Equatable, Sendable {
    /// Wall-clock seconds of this evaluation (the record's `lastEvaluatedAt`).
    var evaluatedAt: Double
    var outcome: Outcome

    enum Outcome: Equatable, Sendable {
        /// The change decided last (`intent`) is not on the Deployment
        /// (`deployment` replicas) yet: decide nothing, record only the time.
        case hold(intent: Int, deployment: Int)
        /// The engine ran: what to record, emit and export.
        case decided(Decided)
    }

    struct Decided: Equatable, Sendable {
        var mode: AutoscalingMode
        /// The engine's answer, made from `current` replicas.
        var decision: Decision
        /// Where the object stands: the Active intent clamped to the spec's
        /// bounds, else the Deployment's replicas (else `replicas.min`).
        var current: Int
        var direction: ScalingDirection
        /// Active only: the replica count recorded as the intent (also when
        /// unchanged). nil: no replica count is written (DryRun).
        var desiredReplicas: Int?
        /// The Deployment's replicas change: Active and a target ≠ current.
        var writesReplicas: Bool
        /// What the record (and so status) gets.
        var observed: ObservedSignals
        var metricsAvailable: ServingAPI.Condition
        var scalingActive: ServingAPI.Condition
        /// Set when the replicas change (`status.lastScaleTime`).
        var lastScaleTime: String?
        /// Appended to `status.recentDecisions`: every target ≠ current,
        /// DryRun ones marked (`ScalingDecisionRecord.isDryRun`).
        var recentDecision: ScalingDecisionRecord?
        /// `ScaledUp` / `ScaledDown` / `ScaleRecommended` when the target
        /// differs from `current`.
        var scaleEvent: PlannedEvent?
        /// A Warning when the `authSecretRef` problem is news (its reason or
        /// message differs from the recorded condition).
        var authEvent: PlannedEvent?
        /// Exported to `operator_scaling_decisions_total`,
        /// `operator_desired_replicas` and `operator_current_replicas`.
        var desiredReplicasGauge: Int
        /// The readings as reasons and logs show them, e.g. `p95=231ms rps=12`.
        var signalsSummary: String
    }

    /// An Event to record about the InferenceService.
    struct PlannedEvent: Equatable, Sendable {
        var type: EventRecorder.EventType
        var reason: String
        var action: String
        var note: String
    }

    var decided: Decided? {
        if case .decided(let decided) = outcome { return decided }
        return nil
    }

    /// Folds the plan into the object's scaling record (pure).
    func record(into entry: inout ScalingRecords.Entry) {
        entry.lastEvaluatedAt = evaluatedAt
        guard let decided else { return }
        entry.state = decided.decision.state
        entry.observed = decided.observed
        entry.metricsAvailable = decided.metricsAvailable
        entry.scalingActive = decided.scalingActive
        if let desired = decided.desiredReplicas { entry.desiredReplicas = desired }
        if let time = decided.lastScaleTime { entry.lastScaleTime = time }
        if let record = decided.recentDecision { entry.pending.append(record) }
    }
}

/// Which way a decision moves the replicas; the raw value is the
/// `direction` label of `operator_scaling_decisions_total`.
enum ScalingDirection: String, Sendable, CaseIterable {
    case up, down, none
}

extension ScalingPlan {
    /// Plans one evaluation.
    /// - Parameters:
    ///   - object: the InferenceService as cached (generation, status for
    ///     the intent and the engine's memory after a restart).
    ///   - service: its validated spec; `policy` is mapped from it.
    ///   - deployment: its predictor Deployment, nil when there is none.
    ///   - signals: what Prometheus answered (or why it could not).
    ///   - record: the loop's record of the object (engine state, intent,
    ///     the last MetricsAvailable condition), nil after a restart.
    ///   - now: wall-clock seconds.
    ///   - authProblem: why the object's `authSecretRef` is unusable.
    static func make(object: InferenceServiceResource, service: InferenceService, policy: ScalingPolicy,
                     deployment: Deployment?, signals: ObjectSignals, record: ScalingRecords.Entry?,
                     now: Double, authProblem: AuthSecretProblem? = nil) -> ScalingPlan {
        let mode = service.spec.autoscaling.mode
        let bounds = service.spec.replicas
        let onDeployment = Int(deployment?.spec?.replicas ?? Int32(bounds.min))
        // Active: the change last decided (the record, or status after a
        // restart), clamped to the spec's bounds, is where we stand. While it
        // differs from the Deployment's count the loop holds (below), so the
        // intent decides only where the Deployment or its spec.replicas is
        // missing (not created yet, or just deleted).
        let intent = mode == .active ? (record?.desiredReplicas ?? object.typedStatus.desiredReplicas) : nil
        let current = intent.map { Swift.min(Swift.max($0, bounds.min), bounds.max) } ?? onDeployment
        // The previous change is decided but not yet on the Deployment (its
        // apply failed or waits for the reconciler): hold until it lands, so
        // that every decision is applied as made and the Deployment's history
        // matches the recorded decisions one to one. The reconciler keeps
        // applying the intent; the signals describe the old replica count anyway.
        if intent != nil, let deployment, deployment.spec?.replicas != nil, current != onDeployment {
            return ScalingPlan(evaluatedAt: now, outcome: .hold(intent: current, deployment: onDeployment))
        }

        let ready = Int(deployment?.status?.readyReplicas ?? 0)
        let observation = signals.observation(currentReplicas: current, readyReplicas: ready)
        let previous = record?.state ?? StateRestoration.state(from: object.typedStatus, policy: policy)
        let decision = decide(policy: policy, state: previous, observation: observation, now: now)
        let stamp = Timestamps.format(Date(timeIntervalSince1970: now))
        let generation = object.metadata.generation
        let target = decision.targetReplicas
        let changes = target != current
        let scaled = changes && mode == .active
        let direction: ScalingDirection = target > current ? .up : (target < current ? .down : .none)

        var numbers = "p95=\(signals.p95Latency.summaryMilliseconds) rps=\(signals.requestRate.summary)"
        if policy.gpuUtilization != nil { numbers += " gpu=\(signals.gpuUtilization.summaryPercent)" }

        var scaleEvent: PlannedEvent?
        if changes {
            let dryRun = mode == .dryRun
            scaleEvent = PlannedEvent(
                type: .normal,
                reason: dryRun ? "ScaleRecommended" : (direction == .up ? "ScaledUp" : "ScaledDown"), action: "Scale",
                note: "\(dryRun ? "\(ScalingDecisionRecord.dryRunMarker) would scale" : "scaled") \(current) -> \(target) by rule \(decision.rule.rawValue): \(decision.reason) (\(numbers))")
        }

        var metricsAvailable: ServingAPI.Condition = decision.unusableSignals.isEmpty
            ? ServingAPI.Condition(type: ConditionType.metricsAvailable.rawValue, status: .true, observedGeneration: generation,
                                   lastTransitionTime: stamp, reason: "MetricsAvailable", message: numbers)
            : ServingAPI.Condition(type: ConditionType.metricsAvailable.rawValue, status: .false, observedGeneration: generation,
                                   lastTransitionTime: stamp, reason: "MetricsUnavailable",
                                   message: "unusable: \(decision.unusableSignals.map(\.rawValue).joined(separator: ", ")); replicas held (\(numbers))")
        var authEvent: PlannedEvent?
        if let authProblem {
            metricsAvailable = ServingAPI.Condition(type: ConditionType.metricsAvailable.rawValue, status: .false, observedGeneration: generation,
                                                    lastTransitionTime: stamp, reason: authProblem.reason,
                                                    message: "\(authProblem.message); metrics unavailable, "
                                                        + (target == current ? "replicas held" : "fallback: \(decision.reason)"))
            let recorded = record?.metricsAvailable
            if recorded?.reason != authProblem.reason || recorded?.message != metricsAvailable.message {
                authEvent = PlannedEvent(type: .warning, reason: authProblem.reason, action: "ReadMetrics", note: authProblem.message)
            }
        }

        return ScalingPlan(evaluatedAt: now, outcome: .decided(Decided(
            mode: mode, decision: decision, current: current, direction: direction,
            desiredReplicas: mode == .active ? target : nil,
            writesReplicas: scaled,
            observed: ObservedSignals.reading(p95LatencyMs: signals.p95Latency.number.map { $0 * 1000 },
                                              gpuUtilizationPercent: signals.gpuUtilization.number,
                                              requestsPerSecond: signals.requestRate.number, time: stamp),
            metricsAvailable: metricsAvailable,
            scalingActive: ScalingConditions.condition(decision: decision, current: current, mode: mode,
                                                       maxReplicas: policy.maxReplicas, generation: generation, now: stamp),
            lastScaleTime: scaled ? stamp : nil,
            recentDecision: changes
                ? ScalingDecisionRecord(time: stamp, from: current, to: target, rule: decision.rule.rawValue,
                                        reason: mode == .dryRun ? ScalingDecisionRecord.dryRunReason(decision.reason) : decision.reason)
                : nil,
            scaleEvent: scaleEvent, authEvent: authEvent,
            desiredReplicasGauge: mode == .active ? target : current,
            signalsSummary: numbers)))
    }
}

extension ScalingDecisionRecord {
    /// Starts the reason of a DryRun decision in `status.recentDecisions`.
    /// Status has no other field that says a decision was only recommended,
    /// and `StateRestoration` must not take it for an applied change; so
    /// the writer (`dryRunReason`) and the reader (`isDryRun`) share it.
    static let dryRunMarker = "[DryRun]"

    static func dryRunReason(_ reason: String) -> String { "\(dryRunMarker) \(reason)" }

    /// A DryRun recommendation (never applied), as this operator writes it.
    var isDryRun: Bool { reason.hasPrefix(Self.dryRunMarker) }
}
