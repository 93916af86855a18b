/// Where a canary run stands. The operator keeps it in `status.canary` and
/// hands it back to `CanaryProgress.advance` at the next evaluation, so a
/// restarted or newly elected operator continues the run where it was.
public struct CanaryState: Codable, Sendable, Hashable {
    /// The candidate this run is for (a fingerprint of `spec.canary`'s
    /// pod-shaping fields); a different candidate starts a new run.
    public var candidate: String
    public var phase: CanaryPhase
    /// Index into `CanaryPlan.steps`.
    public var step: Int
    /// When the current step was entered.
    public var stepStartedAt: Double
    /// The candidate's share of traffic that is in effect (the last step whose
    /// replicas were ready), in percent. 0 before the first step takes effect.
    public var liveWeight: Int
    /// When the current step's weight took effect; nil while it waits for the candidate's replicas.
    public var trafficSince: Double?
    /// Since when the candidate has not carried the current step (not ready); nil while it does.
    public var waitingSince: Double?
    /// Healthy, unpaused time spent at the current step with its traffic in effect.
    public var healthySeconds: Double
    /// The last evaluation's time (healthy time accrues between evaluations).
    public var lastEvaluatedAt: Double
    /// The last evaluation found the step live, readable and not failing, so
    /// the time until the next one counts toward `healthySeconds`.
    public var accruing: Bool
    /// The candidate's last reading at this step.
    public var reading: VersionReading?
    /// Finished steps, oldest first.
    public var history: [CanaryStepRecord]
    /// Why the run ended other than by passing every step (rolled back or aborted), with the figures.
    public var verdict: String?
    /// A command that was already on the object when this run started (left
    /// from an earlier run): ignored until it is removed or changed, so a
    /// `promote` left behind never promotes the next candidate unexamined.
    public var staleCommand: CanaryCommand?
    /// The candidate's compute time per request over the stable version's, as
    /// last measured (`TrafficSplit.costRatio`); nil until both have been.
    /// Behind a Gateway it sizes the versions by their shares of the work.
    public var costRatio: Double?

    public init(candidate: String, phase: CanaryPhase, step: Int, stepStartedAt: Double, liveWeight: Int,
                trafficSince: Double? = nil, waitingSince: Double? = nil, healthySeconds: Double = 0,
                lastEvaluatedAt: Double, accruing: Bool = false, reading: VersionReading? = nil, history: [CanaryStepRecord] = [], verdict: String? = nil,
                staleCommand: CanaryCommand? = nil, costRatio: Double? = nil) {
        self.candidate = candidate
        self.phase = phase
        self.step = step
        self.stepStartedAt = stepStartedAt
        self.liveWeight = liveWeight
        self.trafficSince = trafficSince
        self.waitingSince = waitingSince
        self.healthySeconds = healthySeconds
        self.lastEvaluatedAt = lastEvaluatedAt
        self.accruing = accruing
        self.reading = reading
        self.history = history
        self.verdict = verdict
        self.staleCommand = staleCommand
        self.costRatio = costRatio
    }

    /// A new run for `candidate`, at its first step, with no traffic yet.
    public static func start(candidate: String, now: Double, staleCommand: CanaryCommand? = nil) -> CanaryState {
        CanaryState(candidate: candidate, phase: .progressing, step: 0, stepStartedAt: now, liveWeight: 0,
                    waitingSince: now, lastEvaluatedAt: now, staleCommand: staleCommand)
    }
}

public enum CanaryPhase: String, Codable, Sendable, Hashable, CaseIterable {
    /// Moving through the steps.
    case progressing = "Progressing"
    /// Held at a step by `spec.canary.paused`.
    case paused = "Paused"
    /// Every step passed, or promoted by command: the candidate becomes the stable version.
    case promoted = "Promoted"
    /// The analysis failed, or the candidate never carried its traffic: all traffic is back on the stable version.
    case rolledBack = "RolledBack"
    /// Stopped by command: all traffic is back on the stable version.
    case aborted = "Aborted"

    /// A run in this phase never changes again (a new candidate starts a new run).
    public var isFinal: Bool { self == .promoted || self == .rolledBack || self == .aborted }
}

/// One version's signals, read for the current step.
public struct VersionReading: Codable, Sendable, Hashable {
    /// p95 latency over the analysis window; nil when the version answered nothing in it.
    public var p95Milliseconds: Double?
    /// Requests answered since the step's traffic took effect.
    public var requests: Double
    /// Of those, the ones that failed (HTTP 5xx, or gRPC statuses mapped to them).
    public var errors: Double
    /// Compute time per answered request over the last minute (the model's own
    /// run time, batches divided among their requests); nil without requests.
    public var computeMsPerRequest: Double?
    /// Of `requests`, the ones refused as the client's fault (HTTP 4xx other
    /// than 429): not the version's failures, but a version that refuses what
    /// the other accepts (changed inputs) is not fit to serve the same clients.
    public var clientErrors: Double

    public init(p95Milliseconds: Double?, requests: Double, errors: Double, computeMsPerRequest: Double? = nil, clientErrors: Double = 0) {
        self.p95Milliseconds = p95Milliseconds
        self.requests = requests
        self.errors = errors
        self.computeMsPerRequest = computeMsPerRequest
        self.clientErrors = clientErrors
    }

    // Decodes a reading written before `clientErrors` existed (status of a run in progress across an upgrade).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        p95Milliseconds = try container.decodeIfPresent(Double.self, forKey: .p95Milliseconds)
        requests = try container.decode(Double.self, forKey: .requests)
        errors = try container.decode(Double.self, forKey: .errors)
        computeMsPerRequest = try container.decodeIfPresent(Double.self, forKey: .computeMsPerRequest)
        clientErrors = try container.decodeIfPresent(Double.self, forKey: .clientErrors) ?? 0
    }

    /// `clientErrors / requests`, 0 without requests.
    public var clientErrorRatio: Double { requests > 0 ? clientErrors / requests : 0 }

    /// `errors / requests`, 0 without requests.
    public var errorRatio: Double { requests > 0 ? errors / requests : 0 }
}

/// A finished step.
public struct CanaryStepRecord: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable, Hashable {
        case passed = "Passed", failed = "Failed", aborted = "Aborted", promoted = "Promoted"
    }
    public var weight: Int
    public var startedAt: Double
    public var endedAt: Double
    public var outcome: Outcome
    public var reading: VersionReading?

    public init(weight: Int, startedAt: Double, endedAt: Double, outcome: Outcome, reading: VersionReading?) {
        self.weight = weight
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.reading = reading
    }
}
