/// Where the current canary run stands (`status.canary`), written by the
/// operator at each evaluation and read back after a restart, so a new
/// leader continues the run. Times are RFC 3339.
public struct CanaryStatus: Codable, Sendable, Hashable {
    /// Fingerprint of the candidate this run is for; a different candidate starts a new run.
    public var candidate: String
    /// Progressing, Paused, Promoted, RolledBack or Aborted.
    public var phase: String
    /// The current step, counting from 1.
    public var step: Int
    /// The candidate's share of traffic in effect, in percent.
    public var weight: Int
    public var stepStartedAt: String?
    /// When the current step's traffic took effect; absent while it waits for the candidate's replicas.
    public var trafficSince: String?
    /// Since when the candidate has not carried the current step; absent while it does.
    public var waitingSince: String?
    /// Healthy, unpaused seconds at the current step.
    public var healthySeconds: Double
    public var lastEvaluatedAt: String?
    /// Whether the time until the next evaluation counts toward `healthySeconds`.
    public var accruing: Bool?
    /// The candidate's signals at the current step.
    public var candidateSignals: VersionSignals?
    /// The stable version's signals over the same window, for comparison.
    public var stableSignals: VersionSignals?
    /// Finished steps, oldest first.
    public var history: [CanaryStepStatus]?
    /// Why the run ended without promotion, with the figures that failed.
    public var verdict: String?
    /// A canary-action annotation already on the object when this run started:
    /// ignored until it is removed or changed.
    public var ignoredAction: String?
    /// The candidate's compute time per request over the stable version's, as
    /// last measured; behind a Gateway the versions are sized by their shares of the work.
    public var costRatio: Double?

    /// The fields a run may leave unset; a status write names them (as null)
    /// so that a merge patch does not keep the previous run's values.
    public static let optionalFields = [
        "stepStartedAt", "trafficSince", "waitingSince", "lastEvaluatedAt", "accruing", "candidateSignals", "stableSignals",
        "history", "verdict", "ignoredAction", "costRatio",
    ]

    public init(candidate: String, phase: String, step: Int, weight: Int, stepStartedAt: String? = nil, trafficSince: String? = nil,
                waitingSince: String? = nil, healthySeconds: Double = 0, lastEvaluatedAt: String? = nil, accruing: Bool? = nil,
                candidateSignals: VersionSignals? = nil, stableSignals: VersionSignals? = nil, history: [CanaryStepStatus]? = nil,
                verdict: String? = nil, ignoredAction: String? = nil, costRatio: Double? = nil) {
        self.candidate = candidate
        self.phase = phase
        self.step = step
        self.weight = weight
        self.stepStartedAt = stepStartedAt
        self.trafficSince = trafficSince
        self.waitingSince = waitingSince
        self.healthySeconds = healthySeconds
        self.lastEvaluatedAt = lastEvaluatedAt
        self.accruing = accruing
        self.candidateSignals = candidateSignals
        self.stableSignals = stableSignals
        self.history = history
        self.verdict = verdict
        self.ignoredAction = ignoredAction
        self.costRatio = costRatio
    }
}

/// One version's signals: p95 over the analysis window, requests and failed requests since the step's traffic took effect.
public struct VersionSignals: Codable, Sendable, Hashable {
    public var p95LatencyMs: Double?
    public var requests: Double
    public var errors: Double
    public var errorRatio: Double
    /// Model compute time per answered request over the last minute.
    public var computeMsPerRequest: Double?
    /// Requests refused as the client's fault (HTTP 4xx other than 429); absent in a status written before it existed.
    public var clientErrors: Double?

    /// The fields a reading may leave unset (named as null in a status write, as `CanaryStatus.optionalFields`).
    public static let optionalFields = ["p95LatencyMs", "computeMsPerRequest", "clientErrors"]

    public init(p95LatencyMs: Double?, requests: Double, errors: Double, computeMsPerRequest: Double? = nil, clientErrors: Double? = nil) {
        self.p95LatencyMs = p95LatencyMs
        self.requests = requests
        self.errors = errors
        self.errorRatio = requests > 0 ? errors / requests : 0
        self.computeMsPerRequest = computeMsPerRequest
        self.clientErrors = clientErrors
    }
}

/// A finished step of a canary run.
public struct CanaryStepStatus: Codable, Sendable, Hashable {
    public var weight: Int
    public var startedAt: String
    public var endedAt: String
    /// Passed, Failed, Aborted or Promoted.
    public var outcome: String
    public var signals: VersionSignals?

    public init(weight: Int, startedAt: String, endedAt: String, outcome: String, signals: VersionSignals?) {
        self.weight = weight
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.signals = signals
    }
}
