/// The Kubernetes HorizontalPodAutoscaler (autoscaling/v2) algorithm, as
/// documented, for comparison in the simulator. Pure, like `decide`.
///
/// Every `syncPeriodSeconds` (15 s): ratio = metric / target;
/// no change while |ratio - 1| <= tolerance (0.1); otherwise
/// desired = ceil(ready replicas × ratio). Scale-down takes the highest
/// recommendation of the last `scaleDownStabilizationSeconds` (300 s);
/// scale-up is limited to the larger of +100% or +4 pods per 15 s.
/// Missing metrics: for an averaged pod metric, not-ready pods count as 0
/// when scaling up (HPA's conservative rule); a metric that cannot be read
/// at all (NaN, empty, error) means no change, as HPA then skips the cycle.
public struct HPAConfig: Sendable, Hashable, Codable {
    public enum MetricKind: String, Sendable, Hashable, Codable {
        /// One value for the whole service (an Object/External metric such
        /// as p95 latency): ratio = value / target, scaled by current replicas.
        case objectValue
        /// Averaged over ready pods (a Pods/Resource metric such as GPU
        /// utilisation): not-ready pods count as 0 when scaling up.
        case averagePerPod
    }

    public var metric: MetricKind
    public var target: Double
    public var minReplicas: Int
    public var maxReplicas: Int
    /// 15 s: `--horizontal-pod-autoscaler-sync-period` default.
    public var syncPeriodSeconds: Double
    /// 0.1: `--horizontal-pod-autoscaler-tolerance` default.
    public var tolerance: Double
    /// 300 s: default `behavior.scaleDown.stabilizationWindowSeconds`.
    public var scaleDownStabilizationSeconds: Double
    /// Default scale-up policies: 100% or 4 pods per 15 s, the larger.
    public var scaleUpPercent: Double
    public var scaleUpPods: Int

    public init(metric: MetricKind, target: Double, minReplicas: Int = 2, maxReplicas: Int = 16,
                syncPeriodSeconds: Double = 15, tolerance: Double = 0.1,
                scaleDownStabilizationSeconds: Double = 300, scaleUpPercent: Double = 100, scaleUpPods: Int = 4) {
        self.metric = metric
        self.target = target
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.syncPeriodSeconds = syncPeriodSeconds
        self.tolerance = tolerance
        self.scaleDownStabilizationSeconds = scaleDownStabilizationSeconds
        self.scaleUpPercent = scaleUpPercent
        self.scaleUpPods = scaleUpPods
    }

    /// The seed's reference setup: HPA on p95 latency (seconds), target 150 ms.
    public static func p95(targetSeconds: Double = 0.150) -> HPAConfig {
        HPAConfig(metric: .objectValue, target: targetSeconds)
    }

    /// HPA on GPU utilisation (percent), target 60%.
    public static func utilization(targetPercent: Double = 60) -> HPAConfig {
        HPAConfig(metric: .averagePerPod, target: targetPercent)
    }
}

public struct HPAState: Sendable, Hashable, Codable {
    /// Recommendations of the stabilisation window, oldest first.
    public var recommendations: [TimedReplicas] = []
    public init() {}
}

/// One HPA sync. Returns the new replica count and the state to keep.
public func hpaDecide(config: HPAConfig, state previous: HPAState, metric: SignalValue,
                      currentReplicas: Int, readyReplicas: Int, now: Double) -> (replicas: Int, state: HPAState) {
    var state = previous
    let current = max(0, currentReplicas)
    let lower = max(0, config.minReplicas), upper = max(lower, config.maxReplicas, 1)
    guard case .value(let value) = metric, value.isFinite || value == .infinity, config.target > 0 else {
        return (min(max(current, lower), upper), state)
    }
    var proposal = current
    let ratio = value / config.target
    if abs(ratio - 1) > config.tolerance {
        switch config.metric {
        case .objectValue:
            // As the HPA's replica calculator (`getUsageRatioReplicaCount`):
            // the ratio scales the *ready* pods (all pods when none exist).
            let base = current > 0 ? min(max(readyReplicas, 0), current) : 1
            proposal = ratio.isFinite ? Int((Double(base) * ratio - 1e-9).rounded(.up)) : upper
        case .averagePerPod:
            let ready = min(max(readyReplicas, 0), current)
            let notReady = current - ready
            if ratio > 1 && notReady > 0 {
                // Not-ready pods assumed at 0 when scaling up.
                let adjusted = value * Double(ready) / Double(max(current, 1)) / config.target
                proposal = abs(adjusted - 1) > config.tolerance && adjusted > 1
                    ? Int((Double(current) * adjusted - 1e-9).rounded(.up)) : current
            } else {
                proposal = Int((Double(max(ready, 1)) * ratio - 1e-9).rounded(.up))
            }
        }
    }
    proposal = min(max(proposal, lower), upper)
    state.recommendations.append(TimedReplicas(time: now, replicas: proposal))
    state.recommendations.removeAll { $0.time <= now - config.scaleDownStabilizationSeconds }
    var desired = proposal
    if desired < current {
        desired = min(current, state.recommendations.map(\.replicas).max() ?? current)
    } else if desired > current {
        let limit = max(Int((Double(current) * (1 + config.scaleUpPercent / 100)).rounded(.down)), current + config.scaleUpPods)
        desired = min(desired, limit)
    }
    return (min(max(desired, lower), upper), state)
}
