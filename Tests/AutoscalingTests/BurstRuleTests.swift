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
        // One minute idle, a burst to 56 rps for a minute, then 3 rps.
        let rates: [Double] = [0, 0, 0, 0, 14, 28, 42, 56] + Array(repeating: 3, count: 100)
        for (i, rate) in rates.enumerated() {
            let d = decide(policy: policy, state: state, observation: observe(rate: rate, current: current), now: Double(i) * 15)
            state = d.state
            current = d.targetReplicas
            targets.append(current)
        }
        // While the window fills (14, 28, 42, 56) every reading projects to 56 rps: 8, no overshoot.
        #expect(targets[4...7].allSatisfy { $0 == 8 }, "\(targets)")
        // The last burst reading is t = 105 (56 against the 0 read at 45): held until 105 + 1200 = 1305.
        #expect(state.lastBurstAt == 105)
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

    @Test func projectionNeedsARise() {
        let rule = BurstRule()
        #expect(rule.projectedRate(10, from: TimedRate(time: 0, rps: 20), now: 15) == 10)
        #expect(rule.projectedRate(10, from: TimedRate(time: 15, rps: 0), now: 15) == 10, "no time elapsed")
        #expect(rule.projectedRate(20, from: TimedRate(time: 0, rps: 10), now: 30) == 30, "+10 in 30 s, 30 s to go")
        #expect(rule.projectedRate(20, from: TimedRate(time: 0, rps: 10), now: 75) == 20, "window already full")
    }
}
