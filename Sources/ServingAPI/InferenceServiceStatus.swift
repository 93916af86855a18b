/// What the operator observed and decided. Timestamps are RFC 3339 strings
/// (`2026-01-01T00:00:00Z`) as the API server stores them; this module reads
/// no clock, so callers pass the time in.
public struct InferenceServiceStatus: Codable, Sendable, Hashable {
    public var observedGeneration: Int64?
    /// Pods of the predictor Deployment (the scale subresource's status replicas).
    public var replicas: Int?
    public var readyReplicas: Int?
    /// What the autoscaler wants now (in DryRun: what it would set).
    public var desiredReplicas: Int?
    /// Label selector of the predictor pods, as a string (the scale subresource's selector).
    public var selector: String?
    public var conditions: [Condition]?
    public var observed: ObservedSignals?
    public var breaches: BreachCounters?
    /// When the request rate was last seen dropping to zero; absent while there is traffic.
    public var idleSince: String?
    public var lastScaleTime: String?
    /// Newest last, at most `Defaults.maxRecentDecisions`.
    public var recentDecisions: [ScalingDecisionRecord]?
    /// The fingerprint (image, GPU model) pods were last warmed for.
    public var warmedFingerprint: String?
    /// What the autoscaler has learned about this object, restored after an operator restart.
    public var learned: LearnedScaling?
    /// The current or last canary run; absent when `spec.canary` never was set.
    public var canary: CanaryStatus?
    /// The commit an `hf://` model is pinned to; absent for other sources or a commit in the URI.
    public var model: ModelStatus?
    /// The batcher warming pods measured (only while `spec.batching.maxBatchSize` is unset).
    public var measuredBatching: MeasuredBatching?

    public init(
        observedGeneration: Int64? = nil, replicas: Int? = nil, readyReplicas: Int? = nil, desiredReplicas: Int? = nil,
        selector: String? = nil, conditions: [Condition]? = nil, observed: ObservedSignals? = nil,
        breaches: BreachCounters? = nil, idleSince: String? = nil, lastScaleTime: String? = nil,
        recentDecisions: [ScalingDecisionRecord]? = nil, warmedFingerprint: String? = nil,
        learned: LearnedScaling? = nil, canary: CanaryStatus? = nil, model: ModelStatus? = nil,
        measuredBatching: MeasuredBatching? = nil
    ) {
        self.observedGeneration = observedGeneration
        self.replicas = replicas
        self.readyReplicas = readyReplicas
        self.desiredReplicas = desiredReplicas
        self.selector = selector
        self.conditions = conditions
        self.observed = observed
        self.breaches = breaches
        self.idleSince = idleSince
        self.lastScaleTime = lastScaleTime
        self.recentDecisions = recentDecisions
        self.warmedFingerprint = warmedFingerprint
        self.learned = learned
        self.canary = canary
        self.model = model
        self.measuredBatching = measuredBatching
    }

    /// Appends a decision and drops the oldest beyond `Defaults.maxRecentDecisions`.
    public mutating func record(_ decision: ScalingDecisionRecord) {
        var list = recentDecisions ?? []
        list.append(decision)
        if list.count > Defaults.maxRecentDecisions { list.removeFirst(list.count - Defaults.maxRecentDecisions) }
        recentDecisions = list
    }

    /// Sets a condition by type, keeping `lastTransitionTime` when the status did not change
    /// (the `metav1.Condition` contract).
    public mutating func setCondition(_ condition: Condition) {
        var list = conditions ?? []
        if let i = list.firstIndex(where: { $0.type == condition.type }) {
            var updated = condition
            if list[i].status == condition.status { updated.lastTransitionTime = list[i].lastTransitionTime }
            list[i] = updated
        } else {
            list.append(condition)
        }
        conditions = list
    }

    public mutating func removeCondition(_ type: ConditionType) {
        conditions?.removeAll { $0.type == type.rawValue }
    }

    public func condition(_ type: ConditionType) -> Condition? {
        conditions?.first { $0.type == type.rawValue }
    }
}

/// The latest value of each signal; absent values mean no data.
public struct ObservedSignals: Codable, Sendable, Hashable {
    public var p95LatencyMs: Double?
    public var gpuUtilizationPercent: Double?
    public var requestsPerSecond: Double?
    public var time: String?

    public init(p95LatencyMs: Double? = nil, gpuUtilizationPercent: Double? = nil, requestsPerSecond: Double? = nil, time: String? = nil) {
        self.p95LatencyMs = p95LatencyMs
        self.gpuUtilizationPercent = gpuUtilizationPercent
        self.requestsPerSecond = requestsPerSecond
        self.time = time
    }

    /// Readings as status shows them: p95 to 0.1 ms, GPU utilisation to
    /// 0.1%, the rate to 0.001/s. `kubectl get infsvc` prints a number
    /// column as stored (a raw 58.124999999999986 ms read badly), and noise
    /// below these steps no longer changes status, so it causes no write.
    public static func reading(p95LatencyMs: Double?, gpuUtilizationPercent: Double?, requestsPerSecond: Double?,
                               time: String?) -> ObservedSignals {
        // n / 10 (not n × 0.1) is the double nearest to the decimal, so it prints as one.
        func round(_ value: Double?, perUnit: Double) -> Double? { value.map { ($0 * perUnit).rounded() / perUnit } }
        return ObservedSignals(p95LatencyMs: round(p95LatencyMs, perUnit: 10), gpuUtilizationPercent: round(gpuUtilizationPercent, perUnit: 10),
                               requestsPerSecond: round(requestsPerSecond, perUnit: 1000), time: time)
    }
}

/// Consecutive intervals each threshold has been exceeded.
/// Settings the autoscaler calibrates from what the object shows; they take
/// hours of evidence, so they are kept in status and outlive the operator.
public struct LearnedScaling: Codable, Sendable, Hashable {
    /// The share of capacity per replica the request-rate rule sizes for (adaptive headroom).
    public var targetUtilization: Double?
    /// The adaptive scale-down stabilisation window, in seconds.
    public var scaleDownWindowSeconds: Double?

    public init(targetUtilization: Double? = nil, scaleDownWindowSeconds: Double? = nil) {
        self.targetUtilization = targetUtilization
        self.scaleDownWindowSeconds = scaleDownWindowSeconds
    }
}

public struct BreachCounters: Codable, Sendable, Hashable {
    public var latency: Int
    public var gpu: Int

    public init(latency: Int = 0, gpu: Int = 0) {
        self.latency = latency
        self.gpu = gpu
    }
}

public struct ScalingDecisionRecord: Codable, Sendable, Hashable {
    public var time: String
    public var from: Int
    public var to: Int
    /// The rule that fired (`gpu`, `latency`, `idle`, `scaleDown`, `bounds`, `hold`, ...).
    public var rule: String
    public var reason: String

    public init(time: String, from: Int, to: Int, rule: String, reason: String) {
        self.time = time
        self.from = from
        self.to = to
        self.rule = rule
        self.reason = reason
    }
}

public enum ConditionType: String, Sendable, CaseIterable {
    case ready = "Ready"
    case scalingActive = "ScalingActive"
    case metricsAvailable = "MetricsAvailable"
    case warmupComplete = "WarmupComplete"
    /// True while the current canary run has ended with all traffic back on
    /// the stable version (a failed analysis, the progress deadline, or abort),
    /// with the verdict as message; False while it runs or once promoted;
    /// absent without `spec.canary`. For `kubectl wait --for=condition=CanaryRolledBack`.
    case canaryRolledBack = "CanaryRolledBack"
    /// True while a predictor or candidate pod's init container cannot fetch
    /// the model, with its message (credentials removed); False once one fetched.
    case modelFetchFailed = "ModelFetchFailed"
}

/// `metav1.Condition` with a typed status.
public struct Condition: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable, CaseIterable {
        case `true` = "True", `false` = "False", unknown = "Unknown"
    }
    public var type: String
    public var status: Status
    public var observedGeneration: Int64?
    public var lastTransitionTime: String
    /// CamelCase, machine-readable.
    public var reason: String
    public var message: String

    public init(type: String, status: Status, observedGeneration: Int64? = nil, lastTransitionTime: String, reason: String, message: String) {
        self.type = type
        self.status = status
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}
