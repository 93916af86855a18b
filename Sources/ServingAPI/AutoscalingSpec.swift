/// How the operator scales the predictor. The decision engine (module
/// `Autoscaling`) has its own policy type; the operator maps this spec to it.
public struct AutoscalingSpec: Codable, Sendable, Hashable {
    public var mode: AutoscalingMode
    public var intervalSeconds: Int
    /// Where to query; absent means the operator's `--prometheus-url`.
    public var prometheus: PrometheusSpec?
    public var queries: QueriesSpec
    public var rules: RulesSpec
    public var scaleDown: ScaleDownSpec
    public var onMetricsUnavailable: MetricsUnavailableSpec

    public init(
        mode: AutoscalingMode = Defaults.autoscalingMode, intervalSeconds: Int = Defaults.intervalSeconds,
        prometheus: PrometheusSpec? = nil, queries: QueriesSpec = QueriesSpec(), rules: RulesSpec = RulesSpec(),
        scaleDown: ScaleDownSpec = ScaleDownSpec(), onMetricsUnavailable: MetricsUnavailableSpec = MetricsUnavailableSpec()
    ) {
        self.mode = mode
        self.intervalSeconds = intervalSeconds
        self.prometheus = prometheus
        self.queries = queries
        self.rules = rules
        self.scaleDown = scaleDown
        self.onMetricsUnavailable = onMetricsUnavailable
    }

    enum CodingKeys: String, CodingKey { case mode, intervalSeconds, prometheus, queries, rules, scaleDown, onMetricsUnavailable }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try c.decodeIfPresent(AutoscalingMode.self, forKey: .mode) ?? Defaults.autoscalingMode
        intervalSeconds = try c.decodeIfPresent(Int.self, forKey: .intervalSeconds) ?? Defaults.intervalSeconds
        prometheus = try c.decodeIfPresent(PrometheusSpec.self, forKey: .prometheus)
        queries = try c.decodeIfPresent(QueriesSpec.self, forKey: .queries) ?? QueriesSpec()
        rules = try c.decodeIfPresent(RulesSpec.self, forKey: .rules) ?? RulesSpec()
        scaleDown = try c.decodeIfPresent(ScaleDownSpec.self, forKey: .scaleDown) ?? ScaleDownSpec()
        onMetricsUnavailable =
            try c.decodeIfPresent(MetricsUnavailableSpec.self, forKey: .onMetricsUnavailable) ?? MetricsUnavailableSpec()
    }
}

public enum AutoscalingMode: String, Codable, Sendable, Hashable, CaseIterable {
    /// Decide and write replicas through the Deployment's scale subresource.
    case active = "Active"
    /// Decide and record decisions in status and events, change nothing.
    case dryRun = "DryRun"
    /// No decisions: replicas are `replicas.manual`, clamped into [min, max].
    case disabled = "Disabled"
}

public struct PrometheusSpec: Codable, Sendable, Hashable {
    /// Base URL of the Prometheus HTTP API, e.g. `http://prometheus.monitoring:9090`.
    public var url: String
    /// A Secret in the object's namespace holding `token` (bearer) or
    /// `username` and `password` (basic auth), and optionally `ca.crt`.
    public var authSecretRef: SecretReference?

    public init(url: String, authSecretRef: SecretReference? = nil) {
        self.url = url
        self.authSecretRef = authSecretRef
    }
}

public struct SecretReference: Codable, Sendable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}

/// PromQL templates; `{{namespace}}` and `{{name}}` are replaced by the
/// object's namespace and name (see `PromQLTemplate`).
public struct QueriesSpec: Codable, Sendable, Hashable {
    public var p95Latency: String
    public var gpuUtilization: String
    public var requestRate: String

    public init(
        p95Latency: String = Defaults.p95LatencyQuery, gpuUtilization: String = Defaults.gpuUtilizationQuery,
        requestRate: String = Defaults.requestRateQuery
    ) {
        self.p95Latency = p95Latency
        self.gpuUtilization = gpuUtilization
        self.requestRate = requestRate
    }

    enum CodingKeys: String, CodingKey { case p95Latency, gpuUtilization, requestRate }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        p95Latency = try c.decodeIfPresent(String.self, forKey: .p95Latency) ?? Defaults.p95LatencyQuery
        gpuUtilization = try c.decodeIfPresent(String.self, forKey: .gpuUtilization) ?? Defaults.gpuUtilizationQuery
        requestRate = try c.decodeIfPresent(String.self, forKey: .requestRate) ?? Defaults.requestRateQuery
    }
}

/// The decision matrix.
public struct RulesSpec: Codable, Sendable, Hashable {
    public var gpu: GPURule
    public var latency: LatencyRule
    public var idle: IdleRule
    public var requestRate: RequestRateRuleSpec
    public var burst: BurstRuleSpec

    public init(gpu: GPURule = GPURule(), latency: LatencyRule = LatencyRule(), idle: IdleRule = IdleRule(),
                requestRate: RequestRateRuleSpec = RequestRateRuleSpec(), burst: BurstRuleSpec = BurstRuleSpec()) {
        self.gpu = gpu
        self.latency = latency
        self.idle = idle
        self.requestRate = requestRate
        self.burst = burst
    }

    enum CodingKeys: String, CodingKey { case gpu, latency, idle, requestRate, burst }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        gpu = try c.decodeIfPresent(GPURule.self, forKey: .gpu) ?? GPURule()
        latency = try c.decodeIfPresent(LatencyRule.self, forKey: .latency) ?? LatencyRule()
        idle = try c.decodeIfPresent(IdleRule.self, forKey: .idle) ?? IdleRule()
        requestRate = try c.decodeIfPresent(RequestRateRuleSpec.self, forKey: .requestRate) ?? RequestRateRuleSpec()
        burst = try c.decodeIfPresent(BurstRuleSpec.self, forKey: .burst) ?? BurstRuleSpec()
    }
}

/// Burst detection (docs/autoscaling.md), part of the rate-based
/// improvements: on only when `requestRate.capacityPerReplicaRPS` is set.
/// A request rate at least `factor` times its lowest reading of the last
/// `windowSeconds` is sized for at once (for what the full rate window will
/// show), and that size is held for `holdSeconds` after the last burst.
public struct BurstRuleSpec: Codable, Sendable, Hashable {
    public var enabled: Bool
    public var factor: Double
    public var windowSeconds: Int
    public var holdSeconds: Int

    public init(enabled: Bool = true, factor: Double = Defaults.burstFactor, windowSeconds: Int = Defaults.burstWindowSeconds,
                holdSeconds: Int = Defaults.burstHoldSeconds) {
        self.enabled = enabled
        self.factor = factor
        self.windowSeconds = windowSeconds
        self.holdSeconds = holdSeconds
    }

    enum CodingKeys: String, CodingKey { case enabled, factor, windowSeconds, holdSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        factor = try c.decodeIfPresent(Double.self, forKey: .factor) ?? Defaults.burstFactor
        windowSeconds = try c.decodeIfPresent(Int.self, forKey: .windowSeconds) ?? Defaults.burstWindowSeconds
        holdSeconds = try c.decodeIfPresent(Int.self, forKey: .holdSeconds) ?? Defaults.burstHoldSeconds
    }
}

/// The improvement over the matrix that the simulator showed paying off
/// (docs/autoscaling.md): size replicas from the observed request rate
/// with adaptive headroom, and scale down gradually (stabilised by
/// `scaleDown`) while traffic continues. It needs the model's capacity per
/// replica, so it is on only when `capacityPerReplicaRPS` is set; without
/// it the object scales by the plain matrix.
public struct RequestRateRuleSpec: Codable, Sendable, Hashable {
    /// Requests per second one replica serves at full utilisation (measure
    /// it with the server's load generator).
    public var capacityPerReplicaRPS: Double?
    /// Utilisation the rule sizes for at first; the adaptive headroom moves
    /// it within 40-80% from observed p95. Default 0.65 (the simulator's
    /// leave-one-out choice, docs/autoscaling.md).
    public var targetUtilization: Double?
    /// How the utilisation sized for moves with the observed p95.
    public var adaptiveHeadroom: AdaptiveHeadroomSpec

    public init(capacityPerReplicaRPS: Double? = nil, targetUtilization: Double? = nil,
                adaptiveHeadroom: AdaptiveHeadroomSpec = AdaptiveHeadroomSpec()) {
        self.capacityPerReplicaRPS = capacityPerReplicaRPS
        self.targetUtilization = targetUtilization
        self.adaptiveHeadroom = adaptiveHeadroom
    }

    enum CodingKeys: String, CodingKey { case capacityPerReplicaRPS, targetUtilization, adaptiveHeadroom }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        capacityPerReplicaRPS = try c.decodeIfPresent(Double.self, forKey: .capacityPerReplicaRPS)
        targetUtilization = try c.decodeIfPresent(Double.self, forKey: .targetUtilization)
        adaptiveHeadroom = try c.decodeIfPresent(AdaptiveHeadroomSpec.self, forKey: .adaptiveHeadroom) ?? AdaptiveHeadroomSpec()
    }
}

/// The rate rule's adaptive headroom (docs/autoscaling.md): a window that
/// would have been slow at the utilisation sized for lowers it by
/// `lowerStep`; `raiseHorizonSeconds` of windows that all but
/// `raiseSlowShare` of would have met the threshold at a higher one raise
/// it; always within
/// `minUtilization`...`maxUtilization`. Disabled, the rule sizes for
/// `targetUtilization` and nothing moves it.
public struct AdaptiveHeadroomSpec: Codable, Sendable, Hashable {
    public var enabled: Bool
    public var minUtilization: Double
    public var maxUtilization: Double
    public var lowerStep: Double
    public var raiseHorizonSeconds: Int
    public var raiseSlowShare: Double

    public init(enabled: Bool = true, minUtilization: Double = Defaults.headroomMinUtilization,
                maxUtilization: Double = Defaults.headroomMaxUtilization, lowerStep: Double = Defaults.headroomLowerStep,
                raiseHorizonSeconds: Int = Defaults.headroomRaiseHorizonSeconds,
                raiseSlowShare: Double = Defaults.headroomRaiseSlowShare) {
        self.enabled = enabled
        self.minUtilization = minUtilization
        self.maxUtilization = maxUtilization
        self.lowerStep = lowerStep
        self.raiseHorizonSeconds = raiseHorizonSeconds
        self.raiseSlowShare = raiseSlowShare
    }

    enum CodingKeys: String, CodingKey { case enabled, minUtilization, maxUtilization, lowerStep, raiseHorizonSeconds, raiseSlowShare }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        minUtilization = try c.decodeIfPresent(Double.self, forKey: .minUtilization) ?? Defaults.headroomMinUtilization
        maxUtilization = try c.decodeIfPresent(Double.self, forKey: .maxUtilization) ?? Defaults.headroomMaxUtilization
        lowerStep = try c.decodeIfPresent(Double.self, forKey: .lowerStep) ?? Defaults.headroomLowerStep
        raiseHorizonSeconds = try c.decodeIfPresent(Int.self, forKey: .raiseHorizonSeconds) ?? Defaults.headroomRaiseHorizonSeconds
        raiseSlowShare = try c.decodeIfPresent(Double.self, forKey: .raiseSlowShare) ?? Defaults.headroomRaiseSlowShare
    }
}

/// GPU utilisation above `thresholdPercent` adds `step` replicas, up to `cap`.
public struct GPURule: Codable, Sendable, Hashable {
    public var enabled: Bool
    public var thresholdPercent: Double
    public var step: Int
    /// Highest replica count this rule scales to; absent means `Defaults.gpuCap`
    /// (12). Optional so that lowering `replicas.max` alone stays valid.
    public var cap: Int?
    /// Whether the rule may fire while replicas it (or another rule) added are still starting.
    public var coldStartTolerant: Bool

    public init(
        enabled: Bool = true, thresholdPercent: Double = Defaults.gpuThresholdPercent, step: Int = Defaults.gpuStep,
        cap: Int? = nil, coldStartTolerant: Bool = Defaults.gpuColdStartTolerant
    ) {
        self.enabled = enabled
        self.thresholdPercent = thresholdPercent
        self.step = step
        self.cap = cap
        self.coldStartTolerant = coldStartTolerant
    }

    enum CodingKeys: String, CodingKey { case enabled, thresholdPercent, step, cap, coldStartTolerant }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        thresholdPercent = try c.decodeIfPresent(Double.self, forKey: .thresholdPercent) ?? Defaults.gpuThresholdPercent
        step = try c.decodeIfPresent(Int.self, forKey: .step) ?? Defaults.gpuStep
        cap = try c.decodeIfPresent(Int.self, forKey: .cap)
        coldStartTolerant = try c.decodeIfPresent(Bool.self, forKey: .coldStartTolerant) ?? Defaults.gpuColdStartTolerant
    }

    /// The cap that applies with the given replica bounds (never above `replicas.max`).
    public func effectiveCap(maxReplicas: Int) -> Int { Swift.min(cap ?? Defaults.gpuCap, maxReplicas) }
}

/// p95 above `thresholdMs` for `consecutiveIntervals` intervals adds `step` replicas, up to `cap`.
public struct LatencyRule: Codable, Sendable, Hashable {
    public var enabled: Bool
    public var thresholdMs: Double
    public var consecutiveIntervals: Int
    public var step: Int
    /// Highest replica count this rule scales to; absent means `Defaults.latencyCap` (16).
    public var cap: Int?
    public var coldStartTolerant: Bool

    public init(
        enabled: Bool = true, thresholdMs: Double = Defaults.latencyThresholdMs,
        consecutiveIntervals: Int = Defaults.latencyConsecutiveIntervals, step: Int = Defaults.latencyStep,
        cap: Int? = nil, coldStartTolerant: Bool = Defaults.latencyColdStartTolerant
    ) {
        self.enabled = enabled
        self.thresholdMs = thresholdMs
        self.consecutiveIntervals = consecutiveIntervals
        self.step = step
        self.cap = cap
        self.coldStartTolerant = coldStartTolerant
    }

    enum CodingKeys: String, CodingKey { case enabled, thresholdMs, consecutiveIntervals, step, cap, coldStartTolerant }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        thresholdMs = try c.decodeIfPresent(Double.self, forKey: .thresholdMs) ?? Defaults.latencyThresholdMs
        consecutiveIntervals =
            try c.decodeIfPresent(Int.self, forKey: .consecutiveIntervals) ?? Defaults.latencyConsecutiveIntervals
        step = try c.decodeIfPresent(Int.self, forKey: .step) ?? Defaults.latencyStep
        cap = try c.decodeIfPresent(Int.self, forKey: .cap)
        coldStartTolerant =
            try c.decodeIfPresent(Bool.self, forKey: .coldStartTolerant) ?? Defaults.latencyColdStartTolerant
    }

    public func effectiveCap(maxReplicas: Int) -> Int { Swift.min(cap ?? Defaults.latencyCap, maxReplicas) }
}

/// No requests for more than `afterSeconds` scales to `replicas.min`.
public struct IdleRule: Codable, Sendable, Hashable {
    public var enabled: Bool
    public var afterSeconds: Int

    public init(enabled: Bool = true, afterSeconds: Int = Defaults.idleAfterSeconds) {
        self.enabled = enabled
        self.afterSeconds = afterSeconds
    }

    enum CodingKeys: String, CodingKey { case enabled, afterSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        afterSeconds = try c.decodeIfPresent(Int.self, forKey: .afterSeconds) ?? Defaults.idleAfterSeconds
    }
}

public struct ScaleDownSpec: Codable, Sendable, Hashable {
    /// A scale-down takes the highest recommendation of this trailing window (as HPA does).
    public var stabilizationWindowSeconds: Int
    /// At most this many replicas removed per interval (the idle rule excepted: it goes to min).
    public var maxStep: Int
    /// With the request-rate rule the window adapts: it halves after a
    /// scale-down that lasted and doubles after a premature one, down to
    /// this (at or above `stabilizationWindowSeconds`: no adaptation; an
    /// older object with a short window keeps working as it did).
    public var minStabilizationWindowSeconds: Int

    public init(
        stabilizationWindowSeconds: Int = Defaults.scaleDownStabilizationWindowSeconds,
        maxStep: Int = Defaults.scaleDownMaxStep,
        minStabilizationWindowSeconds: Int = Defaults.scaleDownMinStabilizationWindowSeconds
    ) {
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
        self.maxStep = maxStep
        self.minStabilizationWindowSeconds = minStabilizationWindowSeconds
    }

    enum CodingKeys: String, CodingKey { case stabilizationWindowSeconds, maxStep, minStabilizationWindowSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stabilizationWindowSeconds =
            try c.decodeIfPresent(Int.self, forKey: .stabilizationWindowSeconds)
            ?? Defaults.scaleDownStabilizationWindowSeconds
        maxStep = try c.decodeIfPresent(Int.self, forKey: .maxStep) ?? Defaults.scaleDownMaxStep
        minStabilizationWindowSeconds =
            try c.decodeIfPresent(Int.self, forKey: .minStabilizationWindowSeconds)
            ?? Defaults.scaleDownMinStabilizationWindowSeconds
    }
}

public enum MetricsUnavailablePolicy: String, Codable, Sendable, Hashable, CaseIterable {
    /// Keep the current replica count (never scale down on missing data).
    case hold = "Hold"
    /// Go to `fallbackReplicas` (KEDA's `fallback`), but never below the current count.
    case fallback = "Fallback"
}

public struct MetricsUnavailableSpec: Codable, Sendable, Hashable {
    public var policy: MetricsUnavailablePolicy
    /// Required when `policy` is `Fallback`.
    public var fallbackReplicas: Int?

    public init(policy: MetricsUnavailablePolicy = Defaults.onMetricsUnavailable, fallbackReplicas: Int? = nil) {
        self.policy = policy
        self.fallbackReplicas = fallbackReplicas
    }

    enum CodingKeys: String, CodingKey { case policy, fallbackReplicas }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        policy = try c.decodeIfPresent(MetricsUnavailablePolicy.self, forKey: .policy) ?? Defaults.onMetricsUnavailable
        fallbackReplicas = try c.decodeIfPresent(Int.self, forKey: .fallbackReplicas)
    }
}
