/// Knative's Pod Autoscaler (KPA) algorithm as documented, for the
/// simulator. It reads the per-second metric from the pods directly (no
/// Prometheus), averages it over a stable window (60 s) and a panic window
/// (6 s), and decides every tick (2 s):
/// - desired = ceil(observed / (target × utilisation)), limited per tick to
///   [ready / maxScaleDownRate, ready × maxScaleUpRate];
/// - panic starts when the panic-window desired count is ≥ 200% of the
///   ready pods; in panic it never scales down; panic ends one stable
///   window after the condition was last true.
/// The metric here is requests per second (Knative's `rps` metric).
public struct KPAConfig: Sendable, Hashable, Codable {
    /// Target per pod (`autoscaling.knative.dev/target`), in requests/s.
    public var targetPerReplica: Double
    /// 0.7: `container-concurrency-target-percentage` default.
    public var targetUtilization: Double
    /// 60 s: `stable-window` default.
    public var stableWindowSeconds: Double
    /// 10%: `panic-window-percentage` default (6 s of 60 s).
    public var panicWindowPercentage: Double
    /// 200%: `panic-threshold-percentage` default.
    public var panicThresholdPercentage: Double
    /// 1000: `max-scale-up-rate` default.
    public var maxScaleUpRate: Double
    /// 2: `max-scale-down-rate` default.
    public var maxScaleDownRate: Double
    /// 2 s: the autoscaler's tick interval.
    public var tickSeconds: Double
    public var minReplicas: Int
    public var maxReplicas: Int

    public init(targetPerReplica: Double, targetUtilization: Double = 0.7, stableWindowSeconds: Double = 60,
                panicWindowPercentage: Double = 10, panicThresholdPercentage: Double = 200,
                maxScaleUpRate: Double = 1000, maxScaleDownRate: Double = 2, tickSeconds: Double = 2,
                minReplicas: Int = 2, maxReplicas: Int = 16) {
        self.targetPerReplica = targetPerReplica
        self.targetUtilization = targetUtilization
        self.stableWindowSeconds = stableWindowSeconds
        self.panicWindowPercentage = panicWindowPercentage
        self.panicThresholdPercentage = panicThresholdPercentage
        self.maxScaleUpRate = maxScaleUpRate
        self.maxScaleDownRate = maxScaleDownRate
        self.tickSeconds = tickSeconds
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
    }
}

public struct KPAState: Sendable, Hashable, Codable {
    /// When panic mode began (nil = stable mode) and when its condition was last true.
    public var panicSince: Double?
    public var panicLastTrue: Double?
    /// The highest count asked for during this panic.
    public var maxPanicReplicas: Int = 0
    public init() {}
}

/// One KPA tick. `stableAverage` / `panicAverage` are the metric (total
/// requests/s of the service) averaged over the stable and panic windows.
public func kpaDecide(config: KPAConfig, state previous: KPAState, stableAverage: Double, panicAverage: Double,
                      readyReplicas: Int, now: Double) -> (replicas: Int, state: KPAState) {
    var state = previous
    let ready = max(1, readyReplicas)
    let perPod = config.targetPerReplica * config.targetUtilization
    guard perPod > 0 else { return (min(max(readyReplicas, config.minReplicas), config.maxReplicas), state) }
    let maxUp = Int((config.maxScaleUpRate * Double(ready)).rounded(.up))
    let maxDown = Int((Double(ready) / config.maxScaleDownRate).rounded(.down))
    func pods(_ observed: Double) -> Int {
        let raw = Int((max(0, observed) / perPod - 1e-9).rounded(.up))
        return min(max(raw, maxDown), maxUp)
    }
    let stable = pods(stableAverage)
    let panic = pods(panicAverage)
    let overThreshold = Double(panic) / Double(ready) >= config.panicThresholdPercentage / 100
    if overThreshold {
        if state.panicSince == nil { state.panicSince = now }
        state.panicLastTrue = now
    } else if state.panicSince != nil, let last = state.panicLastTrue, now >= last + config.stableWindowSeconds {
        state.panicSince = nil
        state.panicLastTrue = nil
        state.maxPanicReplicas = 0
    }
    var desired: Int
    if state.panicSince != nil {
        desired = max(panic, state.maxPanicReplicas)
        state.maxPanicReplicas = desired
    } else {
        desired = stable
    }
    desired = min(max(desired, config.minReplicas), max(config.minReplicas, config.maxReplicas))
    return (desired, state)
}
