/// What `decide` remembers between evaluations of one InferenceService.
/// The caller stores the `Decision.state` it got and passes it back next
/// time; a fresh `ScalerState()` is correct after an operator restart (it is
/// conservative: no scale-down until the stabilisation window has filled).
///
/// Times are seconds on the caller's clock (any epoch, monotonic).
public struct ScalerState: Sendable, Hashable, Codable {
    /// Consecutive evaluations with p95 above the latency threshold.
    /// +1 on a breach; reset to 0 by a p95 at or below the threshold, by
    /// "no data" (no traffic, so no slow requests), and when the latency
    /// rule's scale-up is applied. Missing/unavailable p95 leaves it as is.
    public var latencyBreaches: Int = 0
    /// Since when the request rate has read exactly 0. Cleared by a
    /// positive rate; unchanged by no data / missing / unavailable readings
    /// (but the idle rule only fires on a reading of 0 now).
    public var idleSince: Double?
    public var lastScaleUpAt: Double?
    public var lastScaleDownAt: Double?
    /// Direction of the last change this engine made.
    public var lastDirection: ScaleDirection?
    /// When the reversals of the last hour happened (pruned each call).
    public var reversalTimes: [Double] = []
    /// Consecutive evaluations in which every signal the policy reads was
    /// missing or unavailable (drives the KEDA-style fallback).
    public var consecutiveSignalFailures: Int = 0
    /// Rate-based replica recommendations inside the scale-down
    /// stabilisation window, oldest first.
    public var rateRecommendations: [TimedReplicas] = []
    /// Targets of recent latency, GPU and burst scale-ups, oldest first
    /// (kept while a scale-down rule may need them).
    public var ruleScaleUps: [TimedReplicas] = []
    /// Recent request-rate readings (for the rate rule's trend), oldest first.
    public var recentRates: [TimedRate] = []
    /// When the burst rule last saw a burst.
    public var lastBurstAt: Double?
    /// Until when the burst hold runs: `holdSeconds` after the last burst
    /// that recurred (or after every burst, when the rule does not need
    /// recurrence). nil = no hold yet.
    public var burstHoldUntil: Double?
    /// Ready replicas at the evaluations of the adaptive headroom's evidence
    /// window, oldest first.
    public var recentReady: [TimedReplicas] = []
    /// The adaptive headroom's raise evidence: safe utilisations of the
    /// readings within its horizon, oldest first.
    public var safeUtilizations: [TimedRate] = []
    /// Since when raise evidence has been collected without a gap longer
    /// than the horizon (a raise needs a full horizon of it).
    public var safeEvidenceSince: Double?
    /// When the first rate-based recommendation was recorded; scale-down
    /// waits until a full window of them exists.
    public var rateHistoryStart: Double?
    /// The adaptive scale-down stabilisation window now (nil: the rule's
    /// longest, where it starts).
    public var stabilizationSeconds: Double?
    /// The last scale-down whose outcome (premature or held) has adapted
    /// the window already.
    public var judgedScaleDownAt: Double?
    /// The utilisation the rate rule currently sizes for, when its headroom
    /// is adaptive (nil until the first evaluation: starts at the rule's
    /// `targetUtilization`).
    public var rateTargetUtilization: Double?
    /// Not-ready replicas seen at the last evaluation, and since when some
    /// have been not ready (for reasons and events).
    public var notReadyReplicas: Int = 0
    public var notReadySince: Double?

    public init() {}
}

public struct TimedReplicas: Sendable, Hashable, Codable {
    public var time: Double
    public var replicas: Int
    public init(time: Double, replicas: Int) {
        self.time = time
        self.replicas = replicas
    }
}

public struct TimedRate: Sendable, Hashable, Codable {
    public var time: Double
    public var rps: Double
    public init(time: Double, rps: Double) {
        self.time = time
        self.rps = rps
    }
}

public enum ScaleDirection: String, Sendable, Hashable, Codable {
    case up, down
}
