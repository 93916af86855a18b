import Testing
@testable import Autoscaling

/// The burst rule (an improvement, on in `recommended`): a rate that at
/// least doubles within a minute is sized for along its rise, and its size
/// is held for `holdSeconds`.
@Suite struct BurstRuleTests {
    /// Fixed 70% headroom so the arithmetic is readable; burst defaults.
    let policy: ScalingPolicy = {
        var p = ScalingPolicy.recommended(capacityPerReplicaRPS: 10)
        p.requestRate?.adaptive = nil
        p.requestRate?.targetUtilization = 0.7
        return p
    }()

    @Test func aBurstFromIdleIsSizedForWhatTheFullRateWindowWillShow() {
        let d = replay(policy, [observe(rate: 0, current: 2), observe(rate: 0, current: 2), observe(rate: 14, current: 2)])
        // Up from 0 within 15 s: 14 + 14/15 × (60 − 15) = 56 rps → 56 / 7 = 8 (the rate rule alone: 14 / 7 = 2).
        #expect(d[2].targetReplicas == 8)
        #expect(d[2].rule == .burst)
        #expect(d[2].reason.contains("burst"))
        #expect(d[2].state.lastBurstAt == 30)
    }

    @Test func aProjectionBeyondTheCapSaysSo() {
        var capped = policy
        capped.maxReplicas = 4
        let d = replay(capped, [observe(rate: 0, current: 2), observe(rate: 0, current: 2), observe(rate: 14, current: 2)])
        #expect(d[2].targetReplicas == 4)
        #expect(d[2].reason.contains("projected to 56/s"), "\(d[2].reason)")
        #expect(d[2].reason.hasSuffix("8 replicas, capped at 4"), "\(d[2].reason)")
        let free = replay(policy, [observe(rate: 0, current: 2), observe(rate: 0, current: 2), observe(rate: 14, current: 2)])
        #expect(free[2].reason.hasSuffix(": 8 replicas"), "\(free[2].reason)")
    }

    @Test(arguments: [
        [10.0, 12, 14, 16, 18],   // a steady ramp: +80% in a minute
        [20.0, 24, 19, 23, 21],   // noise
        [40.0, 30, 20, 10, 5],    // falling
    ])
    func smoothTrafficIsNoBurst(rates: [Double]) {
        let d = replay(policy, rates.map { observe(rate: $0, current: 3) })
        #expect(d.allSatisfy { $0.rule != .burst })
        #expect(d.last?.state.lastBurstAt == nil)
    }

    @Test func aRiseThatStillFitsTheMinimumIsNoBurst() {
        let d = replay(policy, [observe(rate: 0.2, current: 2), observe(rate: 1.5, current: 2)])
        #expect(d[1].state.lastBurstAt == nil, "1.5 rps needs 1 replica, below minReplicas 2")
        #expect(d[1].targetReplicas == 2)
    }

    @Test func theBurstSizeIsHeldForTheHoldThenScaledDownGradually() {
        var state = ScalerState()
        var current = 2
        var targets: [Int] = []
        // One minute of established traffic (0.5 rps), a burst to 56 rps for a minute, then 3 rps.
        let rates: [Double] = [0.5, 0.5, 0.5, 0.5, 14, 28, 42, 56] + Array(repeating: 3, count: 100)
        for (i, rate) in rates.enumerated() {
            let d = decide(policy: policy, state: state, observation: observe(rate: rate, current: current), now: Double(i) * 15)
            state = d.state
            current = d.targetReplicas
            targets.append(current)
        }
        // While the window fills (14, 28, 42, 56) every reading projects to 56 rps: 8, no overshoot.
        #expect(targets[4...7].allSatisfy { $0 == 8 }, "\(targets)")
        // The last burst reading is t = 105 (56 against the 0.5 read at 45): a rise from established
        // traffic holds at once, until 105 + 1200 = 1305.
        #expect(state.lastBurstAt == 105)
        #expect(state.burstHoldUntil == 1305)
        #expect(targets[8...86].allSatisfy { $0 == 8 }, "\(targets)")
        #expect(targets[87] == 6, "after the hold the stabilised scale-down resumes, 25% a step")
        #expect(targets.last == 2)
    }

    @Test func withoutTheBurstRuleTheRateRuleAloneFollowsTheWindow() {
        var plain = policy
        plain.burst = nil
        let d = replay(plain, [observe(rate: 0, current: 2), observe(rate: 0, current: 2), observe(rate: 14, current: 2)])
        #expect(d[2].targetReplicas == 2)
        #expect(d[2].state.lastBurstAt == nil)
    }

    @Test func aStepThatBeganAfterTheLowestReadingIsSizedFromTheLastRise() {
        // A 28 rps step that began just before t = 30: the 1-minute rate reads 0.5, then 7.5.
        let readings = [0.0, 0, 0.5, 7.5].map { observe(rate: $0, current: 2) }
        let d = replay(policy, readings)
        // Last rise: 60 × (7.5 − 0.5) / 15 = 28 rps → 28 / 7 = 4 replicas.
        #expect(d[3].rule == .burst)
        #expect(d[3].targetReplicas == 4)
        // From the lowest reading (0 at t = 15) alone: 7.5 + 7.5 / 30 × 30 = 15 rps → 3.
        var fromLowest = policy
        fromLowest.burst?.sizesFromLastRise = false
        #expect(replay(fromLowest, readings)[3].targetReplicas == 3)
    }

    @Test func rateEnteringTheWindowIsALowerBoundOfTheRateNow() {
        let rule = BurstRule()
        #expect(rule.rateEnteringWindow(5, previous: TimedRate(time: 0, rps: 0), now: 15) == 20, "60 × 5 / 15")
        #expect(rule.rateEnteringWindow(10, previous: TimedRate(time: 0, rps: 8), now: 15) == 10, "never below the reading")
        #expect(rule.rateEnteringWindow(5, previous: TimedRate(time: 0, rps: 9), now: 15) == 5, "falling")
        #expect(rule.rateEnteringWindow(50, previous: TimedRate(time: 0, rps: 0), now: 61) == 50, "previous reading older than the window")
        #expect(rule.rateEnteringWindow(5, previous: TimedRate(time: 15, rps: 0), now: 15) == 5, "no time elapsed")
    }

    /// Closed loop: current = the previous target.
    func run(_ policy: ScalingPolicy, rates: [Double], p95ms: [Int: Double]) -> [Int] {
        var state = ScalerState()
        var current = 2
        var targets: [Int] = []
        for (i, rate) in rates.enumerated() {
            let d = decide(policy: policy, state: state, observation: observe(p95ms: p95ms[i] ?? 50, rate: rate, current: current),
                           now: Double(i) * 15)
            state = d.state
            current = d.targetReplicas
            targets.append(current)
        }
        return targets
    }

    @Test func theHoldKeepsTheLatencyRulesScaleUpsForHoldKeepsScaleUpsSeconds() {
        // A burst to 56 rps (8 replicas, last burst reading t = 120), p95 300 ms at t = 135, 150, 165:
        // the latency rule adds 2 (10) at t = 165; then 3 rps with p95 fine.
        let rates: [Double] = [0.5, 0.5, 0.5, 0.5, 14, 28, 42, 56, 56, 56, 56, 56] + Array(repeating: 3, count: 40)
        let slow = [9: 300.0, 10: 300, 11: 300]
        let targets = run(policy, rates: rates, p95ms: slow)
        #expect(targets[11] == 10, "\(targets)")
        // Kept until 165 + 300 = 465 (index 31), then the hold's rate-based 8.
        #expect(targets[11...31].allSatisfy { $0 == 10 }, "\(targets)")
        #expect(targets[32] == 8, "\(targets)")
        #expect(targets.last == 8, "the burst hold (until 1320) keeps the burst's rate-based size")

        var notKept = policy
        notKept.burst?.holdKeepsScaleUpsSeconds = 0
        let plain = run(notKept, rates: rates, p95ms: slow)
        // As soon as the stabilisation window has filled (t = 300, index 20): back to the held rate-based 8.
        #expect(plain[19] == 10 && plain[20] == 8, "\(plain)")
    }

    @Test func withoutABurstLatencyScaleUpsAreNotKept() {
        // Steady 21 rps (3 replicas at 70%), no burst; p95 300 ms three times: +2, then back to 3.
        let rates = Array(repeating: 21.0, count: 60)
        let targets = run(policy, rates: rates, p95ms: [1: 300, 2: 300, 3: 300])
        #expect(targets[3] == 5, "\(targets)")
        #expect(targets.last == 3, "\(targets)")
        // The scale-down starts as soon as the 300 s window has filled (t = 300), not 300 s after the scale-up (t = 345).
        #expect(targets[19] == 5 && targets[20] == 4, "\(targets)")
    }

    @Test func aRiseFromNothingIsSizedForButNotHeld() {
        // The first traffic after a gap: up from 0 to 56 rps within a minute, then 3 rps.
        let rates: [Double] = [0, 0, 0, 0, 14, 28, 42, 56] + Array(repeating: 3, count: 40)
        let targets = run(policy, rates: rates, p95ms: [:])
        #expect(targets[4...7].allSatisfy { $0 == 8 }, "sized for what the full window will show: \(targets)")
        // No hold: the stabilisation window (300 s) keeps the 56 rps reading of t = 105 until t = 405,
        // then the gradual scale-down begins (the hold would have kept 8 until t = 1305).
        #expect(targets[27] == 8 && targets[28] == 6, "\(targets)")
        #expect(targets.last == 2)
        var state = ScalerState()
        for (i, rate) in rates.prefix(8).enumerated() {
            state = decide(policy: policy, state: state, observation: observe(rate: rate, current: 8), now: Double(i) * 15).state
        }
        #expect(state.lastBurstAt == 105 && state.burstHoldUntil == nil)
    }

    @Test func aRiseFromNothingThatRecursStartsTheHold() {
        // Two rises from nothing three minutes apart: the second one's rise began after the first burst was seen.
        let rise: [Double] = [14, 28, 42, 56]
        let rates: [Double] = [0, 0, 0, 0] + rise + Array(repeating: 0, count: 12) + rise + Array(repeating: 0, count: 4)
        var state = ScalerState()
        var holds: [Double?] = []
        for (i, rate) in rates.enumerated() {
            state = decide(policy: policy, state: state, observation: observe(rate: rate, current: 8), now: Double(i) * 15).state
            holds.append(state.burstHoldUntil)
        }
        #expect(holds[0..<20].allSatisfy { $0 == nil }, "\(holds)")
        // The second rise's last burst reading is t = 345: held until 345 + 1200.
        #expect(holds[20] == 300 + 1200 && holds.last == 345 + 1200, "\(holds)")
    }

    @Test func everyBurstHoldsWithoutTheRecurrenceRule() {
        var always = policy
        always.burst?.holdNeedsRecurrence = false
        var state = ScalerState()
        for (i, rate) in [0.0, 0, 0, 0, 14].enumerated() {
            state = decide(policy: always, state: state, observation: observe(rate: rate, current: 2), now: Double(i) * 15).state
        }
        #expect(state.burstHoldUntil == 1260, "60 + 1200")
    }

    @Test func firstTrafficWithoutHistoryIsNoBurst() {
        // A new object's first reading: nothing earlier to rise from, so the rate rule alone sizes it.
        let d = replay(policy, [observe(rate: 56, current: 2)])
        #expect(d[0].rule == .requestRate && d[0].targetReplicas == 8)
        #expect(d[0].state.lastBurstAt == nil && d[0].state.burstHoldUntil == nil)
    }

    @Test func replicasThatAlreadyCoverABurstAreKeptThroughTheHold() {
        // 5 rps on 10 replicas (a settled start), a 20 rps burst at t = 60 that they already cover
        // (projected 65 rps → 10 at 70%), then 5 rps again.
        let rates: [Double] = [5, 5, 5, 5, 20] + Array(repeating: 5, count: 40)
        func targets(_ policy: ScalingPolicy) -> [Int] {
            var state = ScalerState()
            var current = 10
            var out: [Int] = []
            for (i, rate) in rates.enumerated() {
                let d = decide(policy: policy, state: state, observation: observe(rate: rate, current: current), now: Double(i) * 15)
                state = d.state
                current = d.targetReplicas
                out.append(current)
            }
            return out
        }
        let kept = targets(policy)
        // Kept like a burst scale-up for 300 s (until t = 360), then the hold's rate-based 3 (20 / 7).
        #expect(kept[0...24].allSatisfy { $0 == 10 } && kept[25] == 8, "\(kept)")
        var notKept = policy
        notKept.burst?.keepsCoveredBursts = false
        let plain = targets(notKept)
        #expect(plain[19] == 10 && plain[20] == 8, "as soon as the stabilisation window has filled: \(plain)")
    }

    @Test func projectionNeedsARise() {
        let rule = BurstRule()
        #expect(rule.projectedRate(10, from: TimedRate(time: 0, rps: 20), now: 15) == 10)
        #expect(rule.projectedRate(10, from: TimedRate(time: 15, rps: 0), now: 15) == 10, "no time elapsed")
        #expect(rule.projectedRate(20, from: TimedRate(time: 0, rps: 10), now: 30) == 30, "+10 in 30 s, 30 s to go")
        #expect(rule.projectedRate(20, from: TimedRate(time: 0, rps: 10), now: 75) == 20, "window already full")
    }
}
