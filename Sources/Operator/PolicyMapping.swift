import Autoscaling
import ServingAPI

/// Maps an InferenceService's autoscaling spec onto the decision engine's
/// policy (pure). The spec names follow the CRD; the engine's follow its
/// own module, so the translation lives here, in one place.
public enum PolicyMapping {
    /// - Parameter followFallback: the operator-wide flag that enables
    ///   KEDA-style fallback replicas for objects that ask for them.
    public static func policy(for spec: InferenceServiceSpec, followFallback: Bool) -> ScalingPolicy {
        let auto = spec.autoscaling
        let rules = auto.rules
        let maxReplicas = spec.replicas.max
        var policy = ScalingPolicy(
            minReplicas: spec.replicas.min, maxReplicas: maxReplicas,
            evaluationIntervalSeconds: Double(auto.intervalSeconds),
            // Without GPUs there is no GPU utilisation to read: the rule is off.
            gpuUtilization: rules.gpu.enabled && spec.resources.gpu > 0
                ? GPUUtilizationRule(thresholdPercent: rules.gpu.thresholdPercent, step: rules.gpu.step,
                                     cap: rules.gpu.effectiveCap(maxReplicas: maxReplicas),
                                     whileReplicasStart: rules.gpu.coldStartTolerant)
                : nil,
            latency: rules.latency.enabled
                ? Autoscaling.LatencyRule(thresholdMilliseconds: rules.latency.thresholdMs,
                                          consecutiveIntervals: rules.latency.consecutiveIntervals,
                                          step: rules.latency.step, cap: rules.latency.effectiveCap(maxReplicas: maxReplicas),
                                          whileReplicasStart: rules.latency.coldStartTolerant)
                : nil,
            idle: rules.idle.enabled ? Autoscaling.IdleRule(afterSeconds: Double(rules.idle.afterSeconds)) : nil)
        if let capacity = rules.requestRate.capacityPerReplicaRPS {
            // The shipped improvements (ScalingPolicy.recommended), with the
            // spec's scale-down stabilisation and step.
            let recommended = ScalingPolicy.recommended(capacityPerReplicaRPS: capacity)
            var rate = recommended.requestRate
            if let target = rules.requestRate.targetUtilization { rate?.targetUtilization = target }
            let headroom = rules.requestRate.adaptiveHeadroom
            if headroom.enabled {
                rate?.adaptive?.minUtilization = headroom.minUtilization
                rate?.adaptive?.maxUtilization = headroom.maxUtilization
                rate?.adaptive?.lowerStep = headroom.lowerStep
                rate?.adaptive?.raiseHorizonSeconds = Double(headroom.raiseHorizonSeconds)
                rate?.adaptive?.raiseSlowShare = headroom.raiseSlowShare
            } else {
                rate?.adaptive = nil
            }
            policy.requestRate = rate
            policy.scaleDown = ScaleDownRule(stabilizationWindowSeconds: Double(auto.scaleDown.stabilizationWindowSeconds),
                                             maxStepReplicas: auto.scaleDown.maxStep,
                                             minStabilizationWindowSeconds: Double(auto.scaleDown.minStabilizationWindowSeconds))
            let burst = rules.burst
            policy.burst = burst.enabled
                ? BurstRule(factor: burst.factor, windowSeconds: Double(burst.windowSeconds), holdSeconds: Double(burst.holdSeconds))
                : nil
            policy.maxReversalsPerHour = recommended.maxReversalsPerHour
        }
        if followFallback, auto.onMetricsUnavailable.policy == .fallback, let replicas = auto.onMetricsUnavailable.fallbackReplicas {
            policy.fallback = FallbackRule(replicas: replicas)
        }
        return policy
    }

    /// The PromQL the spec asks for, per signal: nil where the spec keeps
    /// the default (read by the batched query), else the template with
    /// `{{namespace}}` and `{{name}}` filled in (a query of its own).
    public static func overrides(for spec: InferenceServiceSpec, namespace: String, name: String) -> SignalOverrides {
        let queries = spec.autoscaling.queries
        func custom(_ template: String, default defaultTemplate: String, former: [String] = []) -> String? {
            guard template != defaultTemplate, !former.contains(template) else { return nil }
            return template
                .replacingOccurrences(of: "{{namespace}}", with: namespace)
                .replacingOccurrences(of: "{{name}}", with: name)
        }
        return SignalOverrides(
            p95Latency: custom(queries.p95Latency, default: Defaults.p95LatencyQuery),
            gpuUtilization: custom(queries.gpuUtilization, default: Defaults.gpuUtilizationQuery),
            requestRate: custom(queries.requestRate, default: Defaults.requestRateQuery, former: Defaults.formerRequestRateQueries))
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
