/// How a weight becomes traffic without a Gateway: the object's Service
/// selects the versions that should get traffic, and while both do, kube-proxy
/// spreads connections over ready endpoints, so the candidate's share is its
/// share of ready replicas.
///
/// At 0% and 100% the Service selects one version only, so those weights are
/// exact, and the other version keeps its replicas: a rollback from the 100%
/// step moves traffic back by a selector change, without waiting for pods.
/// Between them each version keeps at least one replica, and the share is the
/// nearest whole-replica fraction: |candidate/total − weight| ≤ 1/(2·total)
/// whenever 1/(2·total) ≤ weight ≤ 1 − 1/(2·total); outside that band the one
/// replica each version keeps sets the error (1/total − weight, or
/// weight − (total−1)/total). `errorBound` computes it for a given total.
/// kube-proxy balances connections, not requests: clients that keep a few
/// long-lived connections see a coarser split than this.
public struct TrafficSplit: Sendable, Hashable {
    public enum Selection: String, Sendable, Hashable {
        case stableOnly, both, candidateOnly
    }

    public var selection: Selection
    public var stableReplicas: Int
    public var candidateReplicas: Int

    public init(selection: Selection, stableReplicas: Int, candidateReplicas: Int) {
        self.selection = selection
        self.stableReplicas = stableReplicas
        self.candidateReplicas = candidateReplicas
    }

    /// Splits `total` replicas (what the autoscaler wants for the object) for a
    /// candidate `weight` in percent. Between 0 and 100 exclusive the result
    /// has at least two replicas, one per version.
    public static func replicas(total: Int, weight: Int) -> TrafficSplit {
        let total = max(1, total)
        if let end = end(total: total, weight: weight) { return end }
        let both = max(2, total)
        let nearest = (Double(both) * Double(weight) / 100).rounded()
        let candidate = min(both - 1, max(1, Int(nearest)))
        return TrafficSplit(selection: .both, stableReplicas: both - candidate, candidateReplicas: candidate)
    }

    /// 0% and 100%, the same with a Gateway or without: one version selected;
    /// at 100 the stable version stays warm (one replica) until promotion is
    /// complete. nil between them.
    private static func end(total: Int, weight: Int) -> TrafficSplit? {
        switch weight {
        case ...0: return TrafficSplit(selection: .stableOnly, stableReplicas: total, candidateReplicas: 0)
        case 100...: return TrafficSplit(selection: .candidateOnly, stableReplicas: 1, candidateReplicas: total)
        default: return nil
        }
    }

    /// Splits `total` replicas when a Gateway's HTTPRoute carries the split:
    /// the Gateway divides requests by the route's weights exactly, so the
    /// replicas only need to carry each version's share of the work, not
    /// encode the share of requests. Each version's own signals set that
    /// share: with `costRatio` k (the candidate's compute per request over the
    /// stable version's) the candidate does w·k / (w·k + 1 − w) of the work
    /// at weight w; without one, w. Each version gets ⌈total·share⌉ replicas
    /// (at least one while it has weight), so neither is undersized for its
    /// share; the sum is `total` or `total + 1`. At 0 the candidate has none;
    /// at 100 the stable version keeps one replica warm for a rollback, as
    /// without a Gateway. The selection is the one `replicas(total:weight:)`
    /// gives: clients inside the cluster that call the predictor Service
    /// still get the replica split.
    public static func gatewayReplicas(total: Int, weight: Int, costRatio: Double? = nil) -> TrafficSplit {
        let total = max(1, total)
        if let end = end(total: total, weight: weight) { return end }
        let w = Double(weight) / 100
        let k = costRatio.map { min(max($0, costRatioBounds.lowerBound), costRatioBounds.upperBound) } ?? 1
        let candidateWork = w * k / (w * k + (1 - w))
        // ⌈total·share⌉, with a tolerance so that an exact product does not round up.
        func replicas(_ share: Double) -> Int { max(1, Int((Double(total) * share - 1e-9).rounded(.up))) }
        return TrafficSplit(selection: .both, stableReplicas: replicas(1 - candidateWork), candidateReplicas: replicas(candidateWork))
    }

    /// The range a measured cost ratio is held to: a ratio outside it comes
    /// from a step's first seconds (a handful of requests, a cold cache)
    /// more often than from the models, and sizing on it would starve one version.
    public static let costRatioBounds = 0.125...8.0

    /// The candidate's compute time per request over the stable version's,
    /// from both versions' readings; nil unless both are known and positive.
    public static func costRatio(candidateMs: Double?, stableMs: Double?) -> Double? {
        guard let candidateMs, let stableMs, candidateMs.isFinite, stableMs.isFinite, candidateMs > 0, stableMs > 0 else { return nil }
        return candidateMs / stableMs
    }

    /// The candidate's share of traffic this split gives, 0...1.
    public var candidateShare: Double {
        switch selection {
        case .stableOnly: 0
        case .candidateOnly: 1
        case .both: Double(candidateReplicas) / Double(stableReplicas + candidateReplicas)
        }
    }

    /// |achieved share − weight| for `total` replicas and `weight` percent.
    public static func errorBound(total: Int, weight: Int) -> Double {
        abs(replicas(total: total, weight: weight).candidateShare - Double(weight) / 100)
    }
}
