import Autoscaling
import Rollout
import ServingAPI

/// What the scaling loop learned about each object, handed to reconcile,
/// which is the only writer of `status` (so the two never overwrite each
/// other's fields with merge patches of stale copies).
public actor ScalingRecords {
    public struct Entry: Sendable, Equatable {
        public var state = ScalerState()
        /// The replica count the loop decided (Active mode only).
        public var desiredReplicas: Int?
        public var observed: ObservedSignals?
        public var metricsAvailable: ServingAPI.Condition?
        public var scalingActive: ServingAPI.Condition?
        /// Decisions not yet written to status.
        public var pending: [ScalingDecisionRecord] = []
        public var lastScaleTime: String?
        /// Wall-clock seconds of the last evaluation.
        public var lastEvaluatedAt: Double?
        /// The canary run as the last evaluation left it (`status.canary`).
        public var canary: CanaryState?
        /// The stable version's signals over the canary's current step, for status.
        public var canaryStable: VersionReading?
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    public func entry(_ key: String) -> Entry? { entries[key] }

    public func update(_ key: String, _ body: @Sendable (inout Entry) -> Void) {
        var entry = entries[key] ?? Entry()
        body(&entry)
        entries[key] = entry
    }

    /// Drops the first `count` pending decisions once status holds them.
    public func acknowledge(_ key: String, decisions count: Int) {
        guard var entry = entries[key], count > 0 else { return }
        entry.pending.removeFirst(Swift.min(count, entry.pending.count))
        entries[key] = entry
    }

    public func remove(_ key: String) { entries[key] = nil }

    public var keys: [String] { Array(entries.keys) }
}
