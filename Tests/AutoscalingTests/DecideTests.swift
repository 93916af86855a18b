import Testing
@testable import Autoscaling

/// An observation with readable units: p95 in ms, GPU in %, rate in rps.
func observe(p95ms: Double? = 50, gpu: Double? = 40, rate: Double? = 10, current: Int = 4, ready: Int? = nil,
             p95State: SignalValue? = nil, gpuState: SignalValue? = nil, rateState: SignalValue? = nil) -> Observation {
    Observation(p95Latency: p95State ?? p95ms.map { .value($0 / 1000) } ?? .noData,
                gpuUtilization: gpuState ?? gpu.map { .value($0) } ?? .noData,
                requestRate: rateState ?? rate.map { .value($0) } ?? .noData,
                currentReplicas: current, readyReplicas: ready ?? current)
}

/// Runs `decide` over a sequence of observations 15 s apart, feeding the
/// state back; returns every decision.
func replay(_ policy: ScalingPolicy, _ observations: [Observation], start: Double = 0,
            state: ScalerState = ScalerState()) -> [Decision] {
    var state = state
    var decisions: [Decision] = []
    for (i, observation) in observations.enumerated() {
        let decision = decide(policy: policy, state: state, observation: observation, now: start + Double(i) * 15)
        state = decision.state
        decisions.append(decision)
    }
    return decisions
}

@Suite struct MatrixRules {
    let matrix = ScalingPolicy.matrix

    @Test func scalesUpTwoAfterThreeSlowIntervals() {
        let slow = observe(p95ms: 250, current: 4)
        let decisions = replay(matrix, [slow, slow, slow])
        #expect(decisions.map(\.targetReplicas) == [4, 4, 6])
        #expect(decisions[2].rule == .latency)
        #expect(decisions[2].reason.contains("250 ms"))
        #expect(decisions[2].state.latencyBreaches == 0, "the count restarts after the rule fires")
    }

    @Test func sustainedSlownessFiresEveryThirdInterval() {
        var current = 4
        var state = ScalerState()
        var targets: [Int] = []
        for i in 0..<9 {
            let d = decide(policy: matrix, state: state, observation: observe(p95ms: 300, current: current), now: Double(i) * 15)
            state = d.state
            current = d.targetReplicas
            targets.append(current)
        }
        #expect(targets == [4, 4, 6, 6, 6, 8, 8, 8, 10])
    }

    @Test(arguments: [
        // (second reading, breaches after it)
        (SignalValue.value(0.150), 0),       // fast: reset
        (SignalValue.value(0.200), 0),       // exactly at the threshold is not a breach
        (SignalValue.noData, 0),             // no traffic: reset
        (SignalValue.missing, 1),            // unknown: unchanged
        (SignalValue.unavailable("timeout"), 1),
        (SignalValue.value(0.201), 2),
    ])
    func latencyCounterResetsOrHolds(second: SignalValue, expected: Int) {
        let decisions = replay(matrix, [observe(p95ms: 250), observe(p95State: second)])
        #expect(decisions[1].state.latencyBreaches == expected)
    }

    @Test func latencyRuleFiresWhileReplicasStart() {
        let slowStarting = observe(p95ms: 400, current: 6, ready: 4)
        let decisions = replay(matrix, [slowStarting, slowStarting, slowStarting])
        #expect(decisions[2].targetReplicas == 8)
        #expect(decisions[2].rule == .latency)
    }

    @Test func gpuAddsOneWhenEveryReplicaIsReady() {
        let d = decide(policy: matrix, state: ScalerState(), observation: observe(gpu: 90, current: 5), now: 0)
        #expect(d.targetReplicas == 6)
        #expect(d.rule == .gpuUtilization)
    }

    @Test(arguments: [85.0, 84.9, 0.0])
    func gpuAtOrBelowThresholdHolds(util: Double) {
        let d = decide(policy: matrix, state: ScalerState(), observation: observe(gpu: util, current: 5), now: 0)
        #expect(d.targetReplicas == 5)
        #expect(d.rule == .hold)
    }

    @Test func gpuWaitsWhileAddedReplicasAreNotReady() {
        let d = decide(policy: matrix, state: ScalerState(), observation: observe(gpu: 95, current: 6, ready: 5), now: 0)
        #expect(d.targetReplicas == 6)
        #expect(d.rule == .hold)
        #expect(d.notes.contains { $0.contains("1 replica(s) not ready") })
        #expect(d.state.notReadyReplicas == 1)
    }

    @Test(arguments: [
        // (current, gpu %, p95 ms, expected target, expected rule)
        (11, 90.0, 50.0, 12, ScalingRule.gpuUtilization),   // +1 reaches the cap exactly
        (12, 90.0, 50.0, 12, ScalingRule.hold),             // at the GPU cap
        (14, 90.0, 50.0, 14, ScalingRule.hold),             // cap below current: never scales down
        (15, 50.0, 300.0, 16, ScalingRule.latency),         // +2 limited by cap 16
        (16, 50.0, 300.0, 16, ScalingRule.hold),            // at the latency cap
    ])
    func capsLimitOnlyTheirOwnRule(current: Int, gpu: Double, p95: Double, target: Int, rule: ScalingRule) {
        let o = observe(p95ms: p95, gpu: gpu, current: current)
        let d = replay(matrix, [o, o, o])[2]
        #expect(d.targetReplicas == target)
        #expect(d.rule == rule)
    }

    @Test func latencyWinsOverGPUWhenBothFire() {
        let o = observe(p95ms: 300, gpu: 95, current: 4)
        let decisions = replay(matrix, [o, o, o])
        #expect(decisions[0].rule == .gpuUtilization)
        #expect(decisions[0].targetReplicas == 5)
        // Replaying with the same current replicas: on the third interval both fire.
        #expect(decisions[2].rule == .latency)
        #expect(decisions[2].targetReplicas == 6)
    }

    @Test func idleScalesToMinOnlyAfterMoreThanThreeHundredSeconds() {
        let idle = observe(p95ms: nil, gpu: 0, rate: 0, current: 6)
        var state = ScalerState()
        var d = decide(policy: matrix, state: state, observation: idle, now: 1000)
        state = d.state
        d = decide(policy: matrix, state: state, observation: idle, now: 1300)
        #expect(d.targetReplicas == 6, "exactly 300 s is not more than 300 s")
        state = d.state
        d = decide(policy: matrix, state: state, observation: idle, now: 1301)
        #expect(d.targetReplicas == 2)
        #expect(d.rule == .idle)
    }

    @Test func requestsRestartTheIdleTimer() {
        let idle = observe(p95ms: nil, gpu: 0, rate: 0, current: 6)
        let busy = observe(rate: 0.2, current: 6)
        let decisions = replay(matrix, [idle] + Array(repeating: idle, count: 10) + [busy] + Array(repeating: idle, count: 20))
        // 300 s = 20 intervals after the last busy reading; the 21st idle reading is > 300 s.
        #expect(decisions.allSatisfy { $0.targetReplicas == 6 })
        #expect(decisions.last?.state.idleSince == 180.0, "the first 0 after the busy reading (t = 180) starts the timer")
    }

    @Test(arguments: [
        (SignalValue.missing, SignalName.requestRate),
        (SignalValue.unavailable("connection refused"), SignalName.requestRate),
    ])
    func unknownRateNeverReadsAsIdle(rate: SignalValue, name: SignalName) {
        let o = observe(p95ms: nil, gpu: 0, current: 6, rateState: rate)
        let decisions = replay(matrix, Array(repeating: o, count: 30))
        #expect(decisions.allSatisfy { $0.targetReplicas == 6 })
        #expect(decisions.last?.unusableSignals == [name])
        #expect(decisions.last?.state.idleSince == nil)
    }

    @Test func missingSignalHoldsAScaleDownAndSaysWhy() {
        let idle = observe(p95ms: nil, gpu: 0, rate: 0, current: 6)
        let idleButGPUUnknown = observe(p95ms: nil, rate: 0, current: 6, gpuState: .unavailable("timeout"))
        let decisions = replay(matrix, Array(repeating: idle, count: 21) + [idleButGPUUnknown])
        let last = decisions[21]
        #expect(last.targetReplicas == 6)
        #expect(last.rule == .hold)
        #expect(last.unusableSignals == [.gpuUtilization])
        #expect(last.reason.contains("gpuUtilization unavailable (timeout)"))
        #expect(last.notes.contains { $0.contains("idle scale-down to 2 held") })
    }

    @Test func missingDataNeverBlocksAScaleUp() {
        let o = observe(p95ms: 300, current: 4, gpuState: .missing, rateState: .unavailable("x"))
        #expect(replay(matrix, [o, o, o])[2].targetReplicas == 6)
    }

    @Test(arguments: [(0, 2, ScalingRule.belowMinimum), (1, 2, .belowMinimum), (20, 16, .aboveMaximum), (16, 16, .hold)])
    func currentOutsideBoundsIsClamped(current: Int, target: Int, rule: ScalingRule) {
        let d = decide(policy: matrix, state: ScalerState(), observation: observe(current: current), now: 0)
        #expect(d.targetReplicas == target)
        #expect(d.rule == rule)
    }

    @Test func maxReplicasBoundsEveryRule() {
        var policy = matrix
        policy.maxReplicas = 5
        let o = observe(p95ms: 300, current: 4)
        #expect(replay(policy, [o, o, o])[2].targetReplicas == 5)
    }

    @Test func scaleUpCooldownDefersRules() {
        var policy = matrix
        policy.scaleUpCooldownSeconds = 60
        let hot = observe(gpu: 95, current: 4)
        var state = ScalerState()
        let first = decide(policy: policy, state: state, observation: hot, now: 0)
        #expect(first.targetReplicas == 5)
        state = first.state
        let second = decide(policy: policy, state: state, observation: observe(gpu: 95, current: 5), now: 30)
        #expect(second.targetReplicas == 5)
        #expect(second.notes.contains { $0.contains("cooldown") })
        let third = decide(policy: policy, state: second.state, observation: observe(gpu: 95, current: 5), now: 60)
        #expect(third.targetReplicas == 6)
    }
}

@Suite struct FallbackAndFlapping {
    @Test func fallbackAfterConsecutiveFailuresOfEverySignal() {
        var policy = ScalingPolicy.matrix
        policy.fallback = FallbackRule(failureThreshold: 3, replicas: 8)
        let down = observe(current: 4, p95State: .unavailable("timeout"), gpuState: .missing, rateState: .unavailable("timeout"))
        let decisions = replay(policy, [down, down, down])
        #expect(decisions.map(\.targetReplicas) == [4, 4, 8])
        #expect(decisions[2].rule == .fallback)
    }

    @Test func oneWorkingSignalResetsTheFailureCount() {
        var policy = ScalingPolicy.matrix
        policy.fallback = FallbackRule(failureThreshold: 2, replicas: 8)
        let down = observe(current: 4, p95State: .unavailable("timeout"), gpuState: .missing, rateState: .unavailable("timeout"))
        let partly = observe(current: 4, p95State: .noData, gpuState: .missing, rateState: .missing)
        let decisions = replay(policy, [down, partly, down])
        #expect(decisions.map(\.targetReplicas) == [4, 4, 4])
        #expect(decisions[2].state.consecutiveSignalFailures == 1)
    }

    @Test func withoutFallbackFailuresHoldForever() {
        let down = observe(current: 4, p95State: .unavailable("timeout"), gpuState: .missing, rateState: .unavailable("timeout"))
        #expect(replay(.matrix, Array(repeating: down, count: 50)).allSatisfy { $0.targetReplicas == 4 })
    }

    @Test func reversalLimitHoldsScaleDownsButNeverScaleUps() {
        var policy = ScalingPolicy.matrix
        policy.maxReversalsPerHour = 3
        policy.idle = IdleRule(afterSeconds: 0)
        var state = ScalerState()
        var current = 2
        var t = 0.0
        var targets: [Int] = []
        // Alternate GPU-hot (up) and idle (down) readings.
        for i in 0..<8 {
            let o = i % 2 == 0 ? observe(gpu: 95, current: current) : observe(p95ms: nil, gpu: 0, rate: 0, current: current)
            var d = decide(policy: policy, state: state, observation: o, now: t)
            if i % 2 == 1 {  // the idle timer needs a second reading later
                d = decide(policy: policy, state: d.state, observation: o, now: t + 1)
            }
            state = d.state
            current = d.targetReplicas
            targets.append(current)
            t += 60
        }
        // up, down (rev 1), up (rev 2), down held (would be rev 3 = limit, reserved for an up), up, held...
        #expect(targets == [3, 2, 3, 3, 4, 4, 5, 5])
        #expect(state.reversalTimes.count == 2)
    }

    @Test func reversalsOlderThanAnHourExpire() {
        var state = ScalerState()
        state.reversalTimes = [0, 100, 200]
        state.lastDirection = .up
        var policy = ScalingPolicy.matrix
        policy.maxReversalsPerHour = 3
        let idle = observe(p95ms: nil, gpu: 0, rate: 0, current: 6)
        state.idleSince = 3000
        let held = decide(policy: policy, state: state, observation: idle, now: 3500)
        #expect(held.targetReplicas == 6)
        let allowed = decide(policy: policy, state: state, observation: idle, now: 3700)
        #expect(allowed.targetReplicas == 2)
        #expect(allowed.state.reversalTimes == [200, 3700])
    }
}

@Suite struct Improvements {
    let policy: ScalingPolicy = {
        var p = ScalingPolicy.recommended(capacityPerReplicaRPS: 10)
        p.requestRate?.adaptive = nil
        p.requestRate?.targetUtilization = 0.7
        p.scaleDown?.stabilizationWindowSeconds = 180
        p.burst = nil  // BurstRuleTests cover it
        return p
    }()

    @Test func rateRuleScalesToWhatTheRateNeedsInOneStep() {
        let d = decide(policy: policy, state: ScalerState(), observation: observe(rate: 50, current: 2), now: 0)
        // 50 rps / (10 × 0.7) = 7.14 → 8
        #expect(d.targetReplicas == 8)
        #expect(d.rule == .requestRate)
        #expect(d.reason.contains("needs 8 replicas"))
    }

    @Test func rateRuleCountsStartingReplicas() {
        let d = decide(policy: policy, state: ScalerState(), observation: observe(rate: 50, current: 8, ready: 3), now: 0)
        #expect(d.targetReplicas == 8)
        #expect(d.rule == .hold)
    }

    @Test func scaleDownWaitsForTheWindowThenStepsGradually() {
        var current = 10
        var state = ScalerState()
        var targets: [Int] = []
        for i in 0..<40 {
            let d = decide(policy: policy, state: state, observation: observe(rate: 14, current: current), now: Double(i) * 15)
            state = d.state
            current = d.targetReplicas
            targets.append(current)
        }
        // 14 rps needs 2 at 70%. No change before the 180 s window is full,
        // then one step per 60 s cooldown: 10 → 9 at 180 s (2 replicas of 25%).
        #expect(targets[0..<12].allSatisfy { $0 == 10 })
        #expect(targets[12] == 8)
        #expect(targets[16] == 6)
        #expect(targets.last == 2)
    }

    @Test func aBurstInsideTheWindowDelaysScaleDown() {
        var state = ScalerState()
        var current = 4
        let rates: [Double] = Array(repeating: 5, count: 12) + [27] + Array(repeating: 5, count: 14)
        var targets: [Int] = []
        for (i, rate) in rates.enumerated() {
            let d = decide(policy: policy, state: state, observation: observe(rate: rate, current: current), now: Double(i) * 15)
            state = d.state
            current = d.targetReplicas
            targets.append(current)
        }
        #expect(targets[12] == 4, "27 rps needs 4")
        // The 27 rps recommendation (t = 180) stays in the window up to and including t = 360.
        #expect(targets[13...24].allSatisfy { $0 == 4 })
        #expect(targets[25] == 3)
    }

    @Test func aHoldSaysWhatTheSignalsShowAndWhatKeepsTheReplicas() {
        var state = ScalerState()
        var current = 4
        let rates: [Double] = Array(repeating: 5, count: 12) + [27] + Array(repeating: 5, count: 3)
        var reasons: [String] = []
        for (i, rate) in rates.enumerated() {
            let d = decide(policy: policy, state: state, observation: observe(rate: rate, current: current), now: Double(i) * 15)
            #expect(d.rule == .hold)
            state = d.state
            current = d.targetReplicas
            reasons.append(d.reason)
        }
        #expect(reasons[0].hasPrefix("holding 4 replicas: p95 50 ms within 200 ms; "))
        #expect(reasons[0].contains("GPU 40% within 85%; request rate 5/s needs 2"))
        #expect(reasons[0].hasSuffix("scale-down needs 180 s of rate history"), "\(reasons[0])")
        #expect(reasons[15].hasSuffix("the last 180 s asked for up to 4"), "\(reasons[15])")
        let atMinimum = decide(policy: policy, state: ScalerState(), observation: observe(rate: 5, current: policy.minReplicas), now: 0)
        #expect(atMinimum.reason.hasSuffix("at minReplicas \(policy.minReplicas)"), "\(atMinimum.reason)")
    }

    @Test func noScaleDownWhileLatencyBreaches() {
        var state = ScalerState()
        state.rateHistoryStart = -1000
        let d = decide(policy: policy, state: state, observation: observe(p95ms: 250, rate: 5, current: 8), now: 0)
        #expect(d.targetReplicas == 8)
        #expect(d.notes.contains { $0.contains("scaleDown scale-down held: p95 above") })
    }

    @Test func lookaheadSizesForARisingRateButNotAFallingOne() {
        var rising = policy
        rising.requestRate?.lookaheadSeconds = 60
        // 14 → 28 rps over 60 s: +14/min, projected 42 rps in 60 s → 42 / 7 = 6.
        let up = replay(rising, [observe(rate: 14, current: 2), observe(rate: 18, current: 2), observe(rate: 21, current: 2),
                                 observe(rate: 25, current: 2), observe(rate: 28, current: 2)])
        #expect(up.last?.targetReplicas == 6)
        #expect(up.last?.reason.contains("rising") == true)
        let down = replay(rising, [observe(rate: 40, current: 8), observe(rate: 28, current: 8)])
        #expect(down.last?.targetReplicas == 8, "a falling rate is not extrapolated")
    }

    @Test func adaptiveHeadroomRisesOnlyWithinTheObservedUtilisationWhenBounded() {
        var bounded = ScalingPolicy.recommended(capacityPerReplicaRPS: 10)
        bounded.burst = nil
        bounded.requestRate?.adaptive?.raiseHorizonSeconds = 0
        bounded.requestRate?.adaptive?.raiseWithinObserved = 0.05
        var state = ScalerState()
        state.rateTargetUtilization = 0.6
        // 24 rps on 4 ready replicas runs at 0.6 with a steady p95 (safe up to the knee, 0.8): the
        // bound allows 0.6 + 0.05, which is short of the raise to 0.8, so it waits.
        let held = decide(policy: bounded, state: state, observation: observe(p95ms: 100, rate: 24, current: 4), now: 0)
        #expect(held.state.rateTargetUtilization == 0.6, "no evidence that 0.8 is safe at 0.6 observed")
        // Unbounded, the same evidence raises it to the knee.
        var free = bounded
        free.requestRate?.adaptive?.raiseWithinObserved = nil
        let raised = decide(policy: free, state: state, observation: observe(p95ms: 100, rate: 24, current: 4), now: 0)
        #expect(abs((raised.state.rateTargetUtilization ?? 0) - 0.8) < 1e-9)
    }

    @Test func adaptiveHeadroomDoesNotRiseWhileTheFloorSetsTheSize() {
        var adaptive = ScalingPolicy.recommended(capacityPerReplicaRPS: 10)
        adaptive.requestRate?.adaptive?.raiseHorizonSeconds = 0
        let start = adaptive.requestRate?.targetUtilization
        // 1 rps needs 1 replica; the floor (2) sets the size: no evidence about the headroom.
        let d = decide(policy: adaptive, state: ScalerState(), observation: observe(p95ms: 50, rate: 1, current: 2), now: 0)
        #expect(d.state.rateTargetUtilization == start)
    }

    @Test func theStabilisationWindowHalvesAfterAScaleDownThatHeldAndDoublesAfterAPrematureOne() {
        var policy = self.policy
        policy.scaleDown?.stabilizationWindowSeconds = 300
        // A scale-down at t = 100 that no scale-up followed within 300 s: the window halves.
        var held = ScalerState()
        held.lastScaleDownAt = 100
        held.lastScaleUpAt = 50
        held.rateHistoryStart = 0
        let d1 = decide(policy: policy, state: held, observation: observe(rate: 14, current: 2), now: 400)
        #expect(d1.state.stabilizationSeconds == 150)
        // It halves down to the minimum (60 s) and no further.
        held.stabilizationSeconds = 80
        #expect(decide(policy: policy, state: held, observation: observe(rate: 14, current: 2), now: 400).state.stabilizationSeconds == 60)
        // A scale-up within 300 s of the last scale-down: that one was premature, the window doubles (up to 300 s).
        var premature = ScalerState()
        premature.lastScaleDownAt = 100
        premature.stabilizationSeconds = 120
        let d2 = decide(policy: policy, state: premature, observation: observe(rate: 50, current: 4), now: 200)
        #expect(d2.targetReplicas == 8 && d2.state.stabilizationSeconds == 240)
        premature.stabilizationSeconds = 240
        #expect(decide(policy: policy, state: premature, observation: observe(rate: 50, current: 4), now: 200).state.stabilizationSeconds == 300)
        // Without a minimum the window is fixed.
        policy.scaleDown?.minStabilizationWindowSeconds = nil
        #expect(decide(policy: policy, state: held, observation: observe(rate: 14, current: 2), now: 400).state.stabilizationSeconds == 80)
    }

    @Test func aShorterWindowFollowsALastingDropSooner() {
        var policy = self.policy
        policy.scaleDown?.stabilizationWindowSeconds = 300
        var state = ScalerState()
        state.rateHistoryStart = 0
        state.stabilizationSeconds = 60
        state.rateRecommendations = [TimedReplicas(time: 900, replicas: 8)]
        // 8 replicas were needed at t = 900; at t = 1000 the rate needs 2. A 300 s window would still hold 8.
        let d = decide(policy: policy, state: state, observation: observe(rate: 14, current: 8), now: 1000)
        #expect(d.rule == .scaleDown && d.targetReplicas == 6)
        #expect(d.reason.contains("over the last 60 s"))
    }
}

/// First traffic after creation: the backlog of its first seconds must not
/// read as a need for more than the rate rule has already ordered.
@Suite struct Opening {
    static let policy: ScalingPolicy = {
        var p = ScalingPolicy.recommended(capacityPerReplicaRPS: 10)
        p.requestRate?.targetUtilization = 0.65
        return p
    }()

    /// 50 rps from t = 0 on the 2 minimum replicas: t = 15 orders 50 / 6.5 → 8; at t = 30 and 45 the
    /// 8 are ready and the backlog drains, but the windows still hold the seconds on 2.
    static let observations = [
        observe(p95ms: 9000, gpu: 100, rate: 50, current: 2),
        observe(p95ms: 6000, gpu: 100, rate: 50, current: 8),
        observe(p95ms: 3000, gpu: 100, rate: 50, current: 8),
        observe(p95ms: 150, gpu: 70, rate: 50, current: 8),
    ]

    @Test func theFirstTrafficsBacklogBuysNoLatencyOrGPUScaleUp() {
        let d = replay(Self.policy, Self.observations, start: 15)
        #expect(d[0].rule == .requestRate && d[0].targetReplicas == 8)
        #expect(d[1...].allSatisfy { $0.targetReplicas == 8 }, "\(d.map(\.reason))")
        #expect(d[1].notes.contains { $0.contains("latency rule: p95 6000 ms above 200 ms not counted") }, "\(d[1].notes)")
        // The GPUs were busy draining the same backlog, which the window's mean rate explains.
        #expect(d[1...2].allSatisfy { $0.notes.contains { $0.contains("GPU rule: utilisation 100% above 85% not acted on") } },
                "\(d[1].notes)")
    }

    @Test func withoutSizesOverloadTheBacklogAddsTheMatrixRulesSteps() {
        var policy = Self.policy
        policy.requestRate?.sizesOverload = false
        let d = replay(policy, Self.observations, start: 15)
        // Three breaches in a row (t = 15, 30, 45): the latency rule's +2 on top of the 8.
        #expect(d[2].rule == .latency && d[2].targetReplicas == 10, "\(d.map(\.reason))")
    }
}

@Suite struct PolicyValidation {
    @Test func presetsAreValid() {
        #expect(ScalingPolicy.matrix.validationErrors().isEmpty)
        #expect(ScalingPolicy.recommended(capacityPerReplicaRPS: 10).validationErrors().isEmpty)
        #expect(ScalingPolicy.recommended(capacityPerReplicaRPS: nil) == .matrix)
    }

    @Test(arguments: ["maxReplicas", "minReplicas", "latency.consecutiveIntervals", "gpuUtilization.thresholdPercent",
                      "scaleDown needs requestRate", "maxReversalsPerHour", "capacityPerReplicaRPS", "requestRate.adaptive",
                      "burst needs requestRate", "burst.factor", "burst.holdKeepsScaleUpsSeconds"])
    func invalidFieldsAreNamed(field: String) {
        var policy = ScalingPolicy.matrix
        switch field {
        case "maxReplicas": policy.maxReplicas = 1
        case "minReplicas": policy.minReplicas = -1
        case "latency.consecutiveIntervals": policy.latency?.consecutiveIntervals = 0
        case "gpuUtilization.thresholdPercent": policy.gpuUtilization?.thresholdPercent = 150
        case "scaleDown needs requestRate": policy.scaleDown = ScaleDownRule()
        case "maxReversalsPerHour": policy.maxReversalsPerHour = 0
        case "capacityPerReplicaRPS": policy.requestRate = RequestRateRule(capacityPerReplicaRPS: 0)
        case "burst needs requestRate": policy.burst = BurstRule()
        case "burst.factor":
            policy = .recommended(capacityPerReplicaRPS: 10)
            policy.burst?.factor = 1
        case "burst.holdKeepsScaleUpsSeconds":
            policy = .recommended(capacityPerReplicaRPS: 10)
            policy.burst?.holdKeepsScaleUpsSeconds = -1
        default: policy.requestRate = RequestRateRule(capacityPerReplicaRPS: 5, adaptive: AdaptiveHeadroom(minUtilization: 0.9, maxUtilization: 0.5))
        }
        #expect(policy.validationErrors().contains { $0.contains(field) }, "\(policy.validationErrors())")
    }

    @Test func policyRoundTripsThroughJSONCoding() throws {
        let policy = ScalingPolicy.recommended(capacityPerReplicaRPS: 12.5)
        let data = try JSONEncoderShim.encode(policy)
        #expect(try JSONEncoderShim.decode(ScalingPolicy.self, from: data) == policy)
    }
}
