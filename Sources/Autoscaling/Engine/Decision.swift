/// Which rule set the target. Raw values are stable (they appear in
/// status, events and metrics labels).
public enum ScalingRule: String, Sendable, Hashable, Codable, CaseIterable {
    /// Nothing changes.
    case hold
    /// Matrix: p95 above threshold for N consecutive intervals.
    case latency
    /// Matrix: GPU utilisation above threshold.
    case gpuUtilization
    /// Matrix: no requests for longer than the idle time.
    case idle
    /// Improvement: the request rate needs more replicas.
    case requestRate
    /// Improvement: the rate at least doubled within a minute (a burst).
    case burst
    /// Improvement: stabilised gradual scale-down to what the rate needs.
    case scaleDown
    /// The current replicas are below `minReplicas` / above `maxReplicas`.
    case belowMinimum
    case aboveMaximum
    /// KEDA-style fallback after repeated signal failures.
    case fallback
}

/// The outcome of one evaluation: what to set, why, and what to remember.
public struct Decision: Sendable, Hashable, Codable {
    public var targetReplicas: Int
    /// The rule that set `targetReplicas` (`hold` when unchanged).
    public var rule: ScalingRule
    /// One sentence a person can read in an Event or log.
    public var reason: String
    /// Signals the policy reads that were missing or unavailable this time.
    /// Never empty while a scale-down was held for want of data.
    public var unusableSignals: [SignalName]
    /// Further remarks: rules that wanted to fire but were blocked or
    /// capped, data problems.
    public var notes: [String]
    /// Pass this to the next `decide` call.
    public var state: ScalerState

    public init(targetReplicas: Int, rule: ScalingRule, reason: String, unusableSignals: [SignalName],
                notes: [String], state: ScalerState) {
        self.targetReplicas = targetReplicas
        self.rule = rule
        self.reason = reason
        self.unusableSignals = unusableSignals
        self.notes = notes
        self.state = state
    }
}
