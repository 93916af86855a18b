/// What the operator sees of a canary run at one evaluation.
public struct CanaryObservation: Sendable, Hashable {
    /// The candidate can carry the current step's traffic: its replicas for the
    /// step are ready. (With a Gateway, the route's acceptance by the Gateway is not read yet.)
    public var candidateReady: Bool
    /// The candidate's signals for the step; nil when they could not be read.
    public var candidate: VersionReading?
    /// A one-shot command from the object (`kubectl annotate`).
    public var command: CanaryCommand?
    /// The stable version's signals over the same window, the baseline for
    /// the candidate's client errors; nil when they could not be read.
    public var stable: VersionReading?
    /// Why the candidate cannot carry the step, when it cannot (for the verdict should the deadline pass).
    public var waitingFor: String?

    public init(candidateReady: Bool, candidate: VersionReading?, command: CanaryCommand? = nil, stable: VersionReading? = nil,
                waitingFor: String? = nil) {
        self.candidateReady = candidateReady
        self.candidate = candidate
        self.command = command
        self.stable = stable
        self.waitingFor = waitingFor
    }
}

public enum CanaryCommand: String, Codable, Sendable, Hashable, CaseIterable {
    /// Skip the remaining steps and promote the candidate now.
    case promote
    /// Stop the run and send all traffic back to the stable version.
    case abort
}

/// The result of one evaluation.
public struct CanaryDecision: Sendable, Hashable {
    public var state: CanaryState
    /// The candidate's share of traffic to put in place now, in percent.
    public var candidateWeight: Int
    /// Whether the candidate keeps replicas (false once the run has ended
    /// other than by promotion).
    public var candidateRuns: Bool
    /// What changed at this evaluation, for an Event and the log; nil when nothing did.
    public var event: CanaryEvent?
}

public struct CanaryEvent: Sendable, Hashable {
    public var warning: Bool
    /// An Event reason: CanaryStarted, CanaryStepPassed, CanaryPaused, CanaryResumed, CanaryPromoted, CanaryRolledBack, CanaryAborted.
    public var reason: String
    public var message: String
}

/// The canary state machine: a pure function of plan, remembered state,
/// observation and time, like the scaling engine.
///
/// A step's weight takes effect when the candidate is ready for it; from then
/// on time counts toward `stepSeconds` at every evaluation whose analysis is
/// not failing (paused time and time without readable signals do not count).
/// A step passes when it has `stepSeconds` of such time and at least
/// `minRequests` requests with p95 and error ratio within bounds; passing the
/// last step promotes.
///
/// A step fails, and the run rolls back at once, when
/// - with at least `minRequests` requests, p95 or the error ratio is over its bound;
/// - with fewer, the errors alone already exceed `maxErrorRatio × minRequests`:
///   no number of later successes up to `minRequests` could bring the ratio
///   back within bounds, so waiting would only send more users to a broken version;
/// - the candidate has not carried the step for `progressDeadlineSeconds`.
/// Commands (promote, abort) apply whatever the phase, except to a finished
/// run, and except a command already on the object when the run started
/// (`CanaryState.staleCommand`).
public enum CanaryProgress {
    public static func advance(plan: CanaryPlan, candidate: String, state previous: CanaryState?,
                               observation: CanaryObservation, now: Double) -> CanaryDecision {
        var state: CanaryState
        var started: CanaryEvent?
        if let previous, previous.candidate == candidate {
            state = previous
        } else {
            // A command already present belongs to an earlier run.
            state = .start(candidate: candidate, now: now, staleCommand: observation.command)
            started = CanaryEvent(warning: false, reason: "CanaryStarted",
                                  message: "canary \(candidate) started; steps \(plan.steps.map { "\($0)%" }.joined(separator: " → "))")
        }
        var decision = evaluate(plan: plan, state: state, observation: observation, now: now)
        if decision.event == nil { decision.event = started }
        return decision
    }

    private static func evaluate(plan: CanaryPlan, state previous: CanaryState, observation: CanaryObservation, now: Double) -> CanaryDecision {
        var state = previous
        let elapsed = max(0, now - state.lastEvaluatedAt)
        state.lastEvaluatedAt = now
        if state.phase.isFinal { return settled(state) }
        // Time since the last evaluation counts only if that evaluation found
        // the step live, readable and not failing (and nothing paused it since).
        let counted = state.accruing ? elapsed : 0
        state.accruing = false
        let step = min(state.step, plan.steps.count - 1)
        state.step = step

        // A stale command stays ignored until it is removed or changed.
        if state.staleCommand != nil, observation.command != state.staleCommand { state.staleCommand = nil }
        let command = observation.command == state.staleCommand ? nil : observation.command
        switch command {
        case .abort:
            return end(&state, phase: .aborted, outcome: .aborted, now: now,
                       verdict: "aborted by command at step \(step + 1) (\(plan.steps[step])%)", reason: "CanaryAborted")
        case .promote:
            return end(&state, phase: .promoted, outcome: .promoted, now: now,
                       verdict: nil, reason: "CanaryPromoted",
                       message: "promoted by command at step \(step + 1) of \(plan.steps.count) (\(plan.steps[step])%)")
        case nil:
            break
        }

        var event: CanaryEvent?
        if plan.paused {
            if state.phase != .paused {
                state.phase = .paused
                event = CanaryEvent(warning: false, reason: "CanaryPaused", message: "paused at step \(step + 1) (\(state.liveWeight)% live)")
            }
            return CanaryDecision(state: state, candidateWeight: state.liveWeight, candidateRuns: true, event: event)
        }
        if state.phase == .paused {
            state.phase = .progressing
            event = CanaryEvent(warning: false, reason: "CanaryResumed", message: "resumed at step \(step + 1)")
        }

        guard observation.candidateReady else {
            let waitingSince = state.waitingSince ?? now
            state.waitingSince = waitingSince
            if now - waitingSince > plan.progressDeadlineSeconds {
                return end(&state, phase: .rolledBack, outcome: .failed, now: now,
                           verdict: "the candidate did not carry step \(step + 1) (\(plan.steps[step])%) within \(seconds(plan.progressDeadlineSeconds)) (\(observation.waitingFor ?? "replicas not ready"))",
                           reason: "CanaryRolledBack")
            }
            return CanaryDecision(state: state, candidateWeight: state.liveWeight, candidateRuns: true, event: event)
        }
        state.waitingSince = nil
        let weight = plan.steps[step]
        if state.trafficSince == nil || state.liveWeight != weight {
            state.trafficSince = now
            state.liveWeight = weight
        }
        guard let reading = observation.candidate else {
            return CanaryDecision(state: state, candidateWeight: weight, candidateRuns: true, event: event)
        }
        state.reading = reading
        switch analyse(reading, plan.analysis, stable: observation.stable) {
        case .failing(let why):
            return end(&state, phase: .rolledBack, outcome: .failed, now: now,
                       verdict: "step \(step + 1) (\(weight)%) failed: \(why)", reason: "CanaryRolledBack")
        case .pending:
            state.healthySeconds += counted
            state.accruing = true
        case .passing:
            state.healthySeconds += counted
            state.accruing = true
            if state.healthySeconds >= plan.stepSeconds {
                return pass(&state, plan: plan, now: now)
            }
        }
        return CanaryDecision(state: state, candidateWeight: weight, candidateRuns: true, event: event)
    }

    enum Verdict: Equatable {
        case passing
        /// Too few requests to judge, and no failure certain yet.
        case pending
        case failing(String)
    }

    /// Errors and client errors fail as soon as no number of later successes
    /// could bring them back within bounds; p95 needs `minRequests` first.
    /// Client errors are judged against the stable version's own share of
    /// them, so a baseline of bad clients blocks no rollout, while a candidate
    /// that refuses what the stable version accepts fails.
    static func analyse(_ reading: VersionReading, _ analysis: CanaryAnalysis, stable: VersionReading? = nil) -> Verdict {
        let minRequests = Double(analysis.minRequests)
        let errorBudget = analysis.maxErrorRatio * Swift.max(minRequests, reading.requests)
        if reading.errors > errorBudget, reading.errors > 0 {
            return .failing("error ratio \(figure(reading.errorRatio * 100))% (\(Int(reading.errors)) of \(Int(reading.requests)) requests) over the bound \(figure(analysis.maxErrorRatio * 100))%")
        }
        let baseline = stable?.clientErrorRatio ?? 0
        let clientBudget = (baseline + analysis.maxErrorRatio) * Swift.max(minRequests, reading.requests)
        if reading.clientErrors > clientBudget, reading.clientErrors > 0 {
            return .failing("client errors \(figure(reading.clientErrorRatio * 100))% (\(Int(reading.clientErrors)) of \(Int(reading.requests)) requests) "
                + "against the stable version's \(figure(baseline * 100))%: more than \(figure(analysis.maxErrorRatio * 100))% above it "
                + "(the candidate refuses requests the stable version accepts)")
        }
        guard reading.requests >= minRequests else { return .pending }
        if let p95 = reading.p95Milliseconds, p95 > analysis.maxP95Milliseconds {
            return .failing("p95 \(figure(p95)) ms over the bound \(figure(analysis.maxP95Milliseconds)) ms (\(Int(reading.requests)) requests)")
        }
        return .passing
    }

    private static func pass(_ state: inout CanaryState, plan: CanaryPlan, now: Double) -> CanaryDecision {
        let step = state.step
        let weight = plan.steps[step]
        let summary = state.reading.map { "p95 \($0.p95Milliseconds.map { "\(figure($0)) ms" } ?? "n/a"), errors \(figure($0.errorRatio * 100))% of \(Int($0.requests)) requests" } ?? ""
        if step == plan.steps.count - 1 {
            return end(&state, phase: .promoted, outcome: .passed, now: now, verdict: nil, reason: "CanaryPromoted",
                       message: "promoted after \(plan.steps.count) healthy steps; last step \(weight)%: \(summary)")
        }
        state.history.append(CanaryStepRecord(weight: weight, startedAt: state.stepStartedAt, endedAt: now, outcome: .passed, reading: state.reading))
        state.step = step + 1
        state.stepStartedAt = now
        state.trafficSince = nil
        state.waitingSince = now
        state.healthySeconds = 0
        state.accruing = false
        state.reading = nil
        let event = CanaryEvent(warning: false, reason: "CanaryStepPassed",
                                message: "step \(step + 1) (\(weight)%) passed: \(summary); next \(plan.steps[step + 1])%")
        // The next weight takes effect when the candidate is ready for it (the next evaluation).
        return CanaryDecision(state: state, candidateWeight: state.liveWeight, candidateRuns: true, event: event)
    }

    private static func end(_ state: inout CanaryState, phase: CanaryPhase, outcome: CanaryStepRecord.Outcome, now: Double,
                            verdict: String?, reason: String, message: String? = nil) -> CanaryDecision {
        state.history.append(CanaryStepRecord(weight: state.liveWeight, startedAt: state.stepStartedAt, endedAt: now,
                                              outcome: outcome, reading: state.reading))
        state.phase = phase
        state.verdict = verdict
        state.liveWeight = phase == .promoted ? 100 : 0
        state.accruing = false
        state.trafficSince = nil
        state.waitingSince = nil
        let event = CanaryEvent(warning: phase != .promoted, reason: reason, message: message ?? verdict ?? reason)
        var decision = settled(state)
        decision.event = event
        return decision
    }

    /// The traffic of a finished run: all on the candidate once promoted, all on the stable version otherwise.
    private static func settled(_ state: CanaryState) -> CanaryDecision {
        let promoted = state.phase == .promoted
        return CanaryDecision(state: state, candidateWeight: promoted ? 100 : 0, candidateRuns: promoted, event: nil)
    }

    private static func seconds(_ value: Double) -> String { "\(figure(value)) s" }

    static func figure(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
