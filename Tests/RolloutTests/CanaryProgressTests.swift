import Rollout
import Testing

/// The canary state machine on a manual clock: steps, promotion, rollback,
/// pause, commands and restarts from persisted state.
@Suite struct CanaryProgressTests {
    static let plan = CanaryPlan(steps: [5, 30, 100], stepSeconds: 600, progressDeadlineSeconds: 300,
                                 analysis: CanaryAnalysis(maxP95Milliseconds: 200, maxErrorRatio: 0.01, minRequests: 100))

    static func healthy(_ requests: Double = 500, p95: Double = 80, errors: Double = 0) -> CanaryObservation {
        CanaryObservation(candidateReady: true, candidate: VersionReading(p95Milliseconds: p95, requests: requests, errors: errors))
    }

    /// Runs evaluations every `interval` seconds from `start` until `until`, returning the decisions.
    static func run(_ plan: CanaryPlan = plan, from state: CanaryState?, start: Double, until end: Double, every interval: Double = 30,
                    _ observe: (Double) -> CanaryObservation) -> [CanaryDecision] {
        var decisions: [CanaryDecision] = []
        var state = state
        var now = start
        while now <= end {
            let decision = CanaryProgress.advance(plan: plan, candidate: "v2", state: state, observation: observe(now), now: now)
            decisions.append(decision)
            state = decision.state
            now += interval
        }
        return decisions
    }

    @Test func aHealthyCandidateWalksEveryStepAndIsPromotedAfterItsTime() {
        let decisions = Self.run(from: nil, start: 0, until: 3000) { _ in Self.healthy() }
        let weights = decisions.map(\.candidateWeight)
        // 5% from t=0; each step needs 600 s of counted time after it takes effect.
        #expect(weights.first == 5)
        let events = decisions.compactMap(\.event).map(\.reason)
        #expect(events == ["CanaryStarted", "CanaryStepPassed", "CanaryStepPassed", "CanaryPromoted"])
        let passedAt = decisions.filter { $0.event?.reason == "CanaryStepPassed" }.map(\.state.lastEvaluatedAt)
        #expect(passedAt == [600, 1230], "each step counts from the evaluation that finds it live: \(passedAt)")
        let promoted = decisions.first { $0.state.phase == .promoted }
        #expect(promoted?.state.lastEvaluatedAt == 1860)
        #expect(promoted?.candidateWeight == 100 && promoted?.candidateRuns == true)
        #expect(promoted?.state.history.map(\.weight) == [5, 30, 100])
        #expect(promoted?.state.history.map(\.outcome) == [.passed, .passed, .passed])
        // A finished run stays finished.
        #expect(decisions.last?.state.phase == .promoted && decisions.last?.event == nil)
    }

    @Test(arguments: [
        (VersionReading(p95Milliseconds: 350, requests: 120, errors: 0), "p95 350 ms over the bound 200 ms"),
        (VersionReading(p95Milliseconds: 90, requests: 400, errors: 8), "error ratio 2% (8 of 400 requests) over the bound 1%"),
        // Fewer than minRequests, but 2 errors already exceed 1% of 100: certain to fail.
        (VersionReading(p95Milliseconds: 90, requests: 20, errors: 2), "error ratio 10% (2 of 20 requests)"),
    ])
    func aFailingAnalysisRollsBackAtTheNextEvaluation(reading: VersionReading, expected: String) {
        var decisions = Self.run(from: nil, start: 0, until: 60) { _ in Self.healthy() }
        let failed = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: decisions.last?.state,
                                            observation: CanaryObservation(candidateReady: true, candidate: reading), now: 90)
        decisions.append(failed)
        #expect(failed.state.phase == .rolledBack)
        #expect(failed.candidateWeight == 0 && !failed.candidateRuns)
        #expect(failed.event?.warning == true && failed.event?.reason == "CanaryRolledBack")
        #expect(failed.state.verdict?.contains(expected) == true, "\(failed.state.verdict ?? "nil")")
        #expect(failed.state.history.last?.outcome == .failed && failed.state.history.last?.weight == 5)
        // It stays rolled back, whatever the candidate does afterwards.
        let later = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: failed.state, observation: Self.healthy(), now: 2000)
        #expect(later.state.phase == .rolledBack && later.candidateWeight == 0 && later.event == nil)
    }

    /// Client errors count against the stable version's own share of them, over the same window.
    @Test(arguments: [
        // (candidate client errors of 400, stable's of 4000, rolled back)
        (40.0, 400.0, false),   // 10% each: the clients, not the candidate
        (44.0, 400.0, false),   // 11% against 10%: within the 1% margin
        (60.0, 400.0, true),    // 15% against 10%
        (400.0, 0.0, true),     // every request refused (changed inputs)
        (3.0, 0.0, false),      // 0.75%: within 1% of a clean stable version
    ])
    func clientErrorsFailOnlyAboveTheStableVersionsShare(candidate: Double, stable: Double, rolledBack: Bool) {
        let start = Self.run(from: nil, start: 0, until: 60) { _ in Self.healthy() }.last?.state
        let observation = CanaryObservation(
            candidateReady: true, candidate: VersionReading(p95Milliseconds: 80, requests: 400, errors: 0, clientErrors: candidate),
            stable: VersionReading(p95Milliseconds: 80, requests: 4000, errors: 0, clientErrors: stable))
        let decision = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: start, observation: observation, now: 90)
        #expect((decision.state.phase == .rolledBack) == rolledBack, "\(decision.state.verdict ?? "passing")")
        if rolledBack {
            #expect(decision.state.verdict?.contains("client errors") == true && decision.state.verdict?.contains("refuses requests") == true)
        }
    }

    /// A candidate that refuses its first requests fails before minRequests: no later successes could fix the ratio.
    @Test func aCandidateRefusingItsFirstRequestsFailsEarly() {
        let start = Self.run(from: nil, start: 0, until: 60) { _ in Self.healthy() }.last?.state
        let observation = CanaryObservation(
            candidateReady: true, candidate: VersionReading(p95Milliseconds: 5, requests: 12, errors: 0, clientErrors: 12),
            stable: VersionReading(p95Milliseconds: 80, requests: 300, errors: 0, clientErrors: 0))
        let decision = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: start, observation: observation, now: 90)
        #expect(decision.state.phase == .rolledBack, "\(decision.state.verdict ?? "passing")")
        #expect(decision.state.verdict?.contains("client errors 100% (12 of 12 requests) against the stable version's 0%") == true,
                "\(decision.state.verdict ?? "")")
    }

    @Test func tooFewRequestsNeitherPassNorFailOnLatencyAlone() {
        // 50 slow requests: under minRequests, so no verdict; the step cannot pass either.
        let decisions = Self.run(from: nil, start: 0, until: 1200) { _ in Self.healthy(50, p95: 900) }
        #expect(decisions.allSatisfy { $0.state.phase == .progressing && $0.state.step == 0 })
        #expect(decisions.last?.state.healthySeconds ?? 0 >= 600, "time counts while pending")
        // Traffic arrives: the step passes at once, its time already served.
        let next = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: decisions.last?.state, observation: Self.healthy(150), now: 1230)
        #expect(next.event?.reason == "CanaryStepPassed")
    }

    @Test func unreadableSignalsStopTheClockButNeverFailTheStep() {
        let decisions = Self.run(from: nil, start: 0, until: 1200) { now in
            now < 300 ? Self.healthy() : CanaryObservation(candidateReady: true, candidate: nil)
        }
        #expect(decisions.allSatisfy { $0.state.phase == .progressing && $0.state.step == 0 })
        #expect(decisions.last?.state.healthySeconds == 270)
        #expect(decisions.last?.candidateWeight == 5, "the step's traffic stays while signals are missing")
    }

    @Test func aCandidateThatNeverGetsReadyIsRolledBackAfterTheDeadline() {
        let decisions = Self.run(from: nil, start: 0, until: 600) { _ in CanaryObservation(candidateReady: false, candidate: nil) }
        let waiting = decisions.prefix { $0.state.phase == .progressing }
        #expect(waiting.allSatisfy { $0.candidateWeight == 0 }, "no traffic to a candidate without ready replicas")
        let rolledBack = decisions.first { $0.state.phase == .rolledBack }
        #expect(rolledBack?.state.lastEvaluatedAt == 330, "first evaluation past 300 s")
        #expect(rolledBack?.state.verdict?.contains("did not carry step 1 (5%) within 300 s") == true)
    }

    @Test func theNextStepWaitsForItsReplicasWithThePreviousWeightLive() {
        var decisions = Self.run(from: nil, start: 0, until: 600) { _ in Self.healthy() }
        #expect(decisions.last?.event?.reason == "CanaryStepPassed" && decisions.last?.state.step == 1)
        // The candidate is not yet ready for 30%: 5% stays live.
        decisions += Self.run(from: decisions.last?.state, start: 630, until: 720) { _ in CanaryObservation(candidateReady: false, candidate: nil) }
        #expect(decisions.suffix(4).allSatisfy { $0.candidateWeight == 5 })
        let ready = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: decisions.last?.state, observation: Self.healthy(), now: 750)
        #expect(ready.candidateWeight == 30 && ready.state.trafficSince == 750 && ready.state.healthySeconds == 0)
    }

    @Test func pauseHoldsTheWeightAndStopsTheClockResumeContinues() {
        var paused = Self.plan
        paused.paused = true
        var decisions = Self.run(from: nil, start: 0, until: 300) { _ in Self.healthy() }
        let served = decisions.last?.state.healthySeconds ?? 0
        decisions += Self.run(paused, from: decisions.last?.state, start: 330, until: 3000) { _ in Self.healthy() }
        #expect(decisions.first { $0.state.phase == .paused }?.event?.reason == "CanaryPaused")
        #expect(decisions.last?.state.phase == .paused && decisions.last?.state.step == 0 && decisions.last?.candidateWeight == 5)
        #expect(decisions.last?.state.healthySeconds == served, "no time counted while paused")
        let resumed = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: decisions.last?.state, observation: Self.healthy(), now: 3030)
        #expect(resumed.event?.reason == "CanaryResumed" && resumed.state.phase == .progressing)
        #expect(resumed.state.healthySeconds == served, "the first evaluation after resuming counts nothing")
    }

    @Test(arguments: [(CanaryCommand.promote, CanaryPhase.promoted, 100, "CanaryPromoted"),
                      (CanaryCommand.abort, CanaryPhase.aborted, 0, "CanaryAborted")])
    func commandsEndTheRunAtAnyStep(command: CanaryCommand, phase: CanaryPhase, weight: Int, reason: String) {
        let decisions = Self.run(from: nil, start: 0, until: 700) { _ in Self.healthy() }
        var observation = Self.healthy()
        observation.command = command
        let ended = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: decisions.last?.state, observation: observation, now: 730)
        #expect(ended.state.phase == phase && ended.candidateWeight == weight && ended.event?.reason == reason)
        #expect(ended.state.history.map(\.weight) == [5, 30])
        // The command is repeated (an annotation stays on the object): nothing changes.
        let again = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: ended.state, observation: observation, now: 760)
        #expect(again.state.phase == phase && again.event == nil && again.state.history == ended.state.history)
    }

    @Test func aNewCandidateStartsANewRunEvenAfterARollback() {
        let failed = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: nil,
                                            observation: Self.healthy(200, p95: 900), now: 0)
        #expect(failed.state.phase == .rolledBack)
        let next = CanaryProgress.advance(plan: Self.plan, candidate: "v3", state: failed.state, observation: Self.healthy(), now: 30)
        #expect(next.state.candidate == "v3" && next.state.phase == .progressing && next.state.history.isEmpty)
        #expect(next.event?.reason == "CanaryStarted" && next.candidateWeight == 5)
    }

    @Test func aRestartedOperatorContinuesFromPersistedState() throws {
        let decisions = Self.run(from: nil, start: 0, until: 450) { _ in Self.healthy() }
        let persisted = try JSONRoundTrip.copy(decisions.last!.state)
        #expect(persisted == decisions.last!.state)
        let next = CanaryProgress.advance(plan: Self.plan, candidate: "v2", state: persisted, observation: Self.healthy(), now: 630)
        #expect(next.event?.reason == "CanaryStepPassed", "450 s served + 180 s since the last evaluation")
    }

    @Test func stepsBeyondAShortenedPlanEndAtItsLastStep() {
        let decisions = Self.run(from: nil, start: 0, until: 1300) { _ in Self.healthy() }
        let atSecondStep = decisions.last { $0.state.step == 2 }!.state
        let shorter = CanaryPlan(steps: [50, 100], stepSeconds: 600, progressDeadlineSeconds: 300, analysis: Self.plan.analysis)
        let next = CanaryProgress.advance(plan: shorter, candidate: "v2", state: atSecondStep, observation: Self.healthy(), now: 1330)
        #expect(next.state.step == 1 && next.candidateWeight == 100)
    }

    @Test func aCommandLeftFromAnEarlierRunIsIgnoredUntilRemovedAndSetAgain() {
        var promote = Self.healthy()
        promote.command = .promote
        let started = CanaryProgress.advance(plan: Self.plan, candidate: "v3", state: nil, observation: promote, now: 0)
        #expect(started.state.phase == .progressing && started.state.staleCommand == .promote && started.candidateWeight == 5)
        let still = CanaryProgress.advance(plan: Self.plan, candidate: "v3", state: started.state, observation: promote, now: 30)
        #expect(still.state.phase == .progressing, "the left-over annotation does not promote the new candidate")
        let removed = CanaryProgress.advance(plan: Self.plan, candidate: "v3", state: still.state, observation: Self.healthy(), now: 60)
        #expect(removed.state.staleCommand == nil)
        let setAgain = CanaryProgress.advance(plan: Self.plan, candidate: "v3", state: removed.state, observation: promote, now: 90)
        #expect(setAgain.state.phase == .promoted && setAgain.event?.reason == "CanaryPromoted")
    }
}
