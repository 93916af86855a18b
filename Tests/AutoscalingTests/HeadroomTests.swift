import Foundation
import Testing
@testable import Autoscaling

/// The adaptive headroom: learnt from how slow the windows it sized for
/// turned out, lowered at once by a window that would have been slow at the
/// size it now orders, raised only on a full horizon of evidence, and never
/// moved by a window whose mean rate alone overloaded the replicas.
@Suite struct HeadroomTests {
    /// The recommended policy with the burst rule off (BurstRuleTests cover
    /// it) and a start of 0.65; the headroom's defaults otherwise.
    static func policy(start: Double = 0.65, _ patch: (inout AdaptiveHeadroom) -> Void = { _ in }) -> ScalingPolicy {
        var p = ScalingPolicy.recommended(capacityPerReplicaRPS: 10)
        p.burst = nil
        p.requestRate?.targetUtilization = start
        if var adaptive = p.requestRate?.adaptive {
            patch(&adaptive)
            p.requestRate?.adaptive = adaptive
        }
        return p
    }

    /// p95 of a steady rate at utilisation ρ in the simulator's curve: 40 ms / (1 − ρ).
    static func steadyP95ms(_ rho: Double) -> Double { 40 / (1 - rho) }

    @Test(arguments: [0.1, 0.3, 0.5, 0.7, 0.79])
    func aSteadyRateIsSafeUpToTheKnee(utilisation: Double) {
        let adaptive = AdaptiveHeadroom()
        let safe = adaptive.safeUtilization(p95: Self.steadyP95ms(utilisation) / 1000, threshold: 0.2,
                                            windowUtilization: utilisation)
        #expect(abs(safe - 0.8) < 1e-9, "40 ms idle: 200 ms at 0.8 whatever the load it was seen at")
    }

    @Test func variationInsideTheWindowLowersTheSafeUtilisation() {
        // 250 ms at 0.6: the tail is 2× what a steady 0.6 gives (100 ms).
        let safe = AdaptiveHeadroom().safeUtilization(p95: 0.25, threshold: 0.2, windowUtilization: 0.6)
        #expect(abs(safe - 0.5) < 1e-9)
    }

    @Test func aWindowThatWouldBeSlowAtTheSizedUtilisationLowersTheTarget() {
        // 39 rps on 6 replicas (0.65): ordered 39 / 6.5 = 6 replicas, i.e. 0.65 sized.
        // p95 150 ms at 0.65 → safe 1 − 0.75 × 0.35 = 0.7375: fine, no change.
        let fine = replay(Self.policy(), [observe(p95ms: 150, rate: 39, current: 6)])
        #expect(fine[0].state.rateTargetUtilization == 0.65)
        // p95 190 ms (under the SLO, but the tail is 1.6× a steady one): safe 1 − 0.95 × 0.35 = 0.6675 > 0.65: fine.
        // p95 240 ms: safe 1 − 1.2 × 0.35 = 0.58 < 0.65 → lowered by the step (0.005).
        let slow = replay(Self.policy(), [observe(p95ms: 240, rate: 39, current: 6)])
        #expect(abs((slow[0].state.rateTargetUtilization ?? 0) - 0.645) < 1e-9)
        #expect(slow[0].notes.contains { $0.contains("headroom: p95 240 ms") && $0.contains("only up to 58%")
                                         && $0.contains("sizing for 64.5%") }, "\(slow[0].notes)")
    }

    @Test func wholeReplicasBelowTheTargetAreJudgedAtTheirOwnUtilisation() {
        // 21 rps at 0.65 needs 4 replicas (3.23 → 4): they run at 0.525. A window safe up to 0.6 is
        // below the target (0.65) but above what the replicas run at, so it lowers nothing.
        let p95 = (1 - 0.6) / (1 - 0.525) * 200  // safe = 0.6 at ρ 0.525
        let d = replay(Self.policy(), [observe(p95ms: p95, rate: 21, current: 4)])
        #expect(d[0].state.rateTargetUtilization == 0.65)
    }

    @Test func aWindowTheMeanRateOverloadedIsNoEvidence() {
        // First traffic: 50 rps on the 2 minimum replicas (2.5× capacity). The p95 is the backlog's; the
        // rate rule orders 50 / 6.5 → 8; the headroom stays where it was.
        let d = replay(Self.policy(), [observe(p95ms: 9000, rate: 50, current: 2)])
        #expect(d[0].targetReplicas == 8)
        #expect(d[0].state.rateTargetUtilization == 0.65)
        #expect(d[0].notes.contains { $0.contains("which the mean rate alone explains") }, "\(d[0].notes)")
        // A minute later all 8 are ready, but the window still saw 2: the fewest ready in it set its utilisation.
        let later = replay(Self.policy(), [observe(p95ms: 9000, rate: 50, current: 2), observe(p95ms: 3000, rate: 50, current: 8)])
        #expect(later[1].state.rateTargetUtilization == 0.65)
    }

    /// The backlog that too few replicas built drains into the next window:
    /// for 120 s (the window and the one before it) the fewest replicas
    /// ready still judge the window, so neither the headroom nor the latency
    /// rule reads that backlog as a slow window at low utilisation. At 60 s
    /// (the default until 2026-12-07) the minute after first traffic
    /// lowered the target and counted breaches toward a +2.
    @Test func theBacklogOfTooFewReplicasIsNoEvidenceInTheNextWindowEither() {
        // First traffic: 50 rps on 2 replicas; the rate rule orders 8 (ready from t = 15), and the
        // backlog keeps the p95 at 2 s for the next two minutes.
        let observations = [observe(p95ms: 9000, rate: 50, current: 2)]
            + (1...9).map { _ in observe(p95ms: 2000, rate: 50, current: 8) }
        let d = replay(Self.policy(), observations)
        // t = 75 s: the 2 replicas of t = 0 are within 120 s: 50 / 20 = 250% of capacity, explained.
        #expect(d[5].state.rateTargetUtilization == 0.65)
        #expect(d[5].state.latencyBreaches == 1, "only t = 0's, read before the 8 were ordered")
        #expect(d[5].notes.contains { $0.contains("latency rule: p95 2000 ms above 200 ms not counted") }, "\(d[5].notes)")
        #expect(d[0...8].allSatisfy { $0.targetReplicas == 8 })
        // t = 135 s: all 8 ready for 120 s, and the p95 still 2 s: a slow window at 62.5%, which counts.
        #expect((d[9].state.rateTargetUtilization ?? 1) < 0.65)
        #expect(d[9].state.latencyBreaches == 2)
        // With the window at 60 s, t = 75 s already counted.
        let short = replay(Self.policy { $0.evidenceWindowSeconds = 60 }, observations)
        #expect((short[5].state.rateTargetUtilization ?? 1) < 0.65)
        #expect(short[5].state.latencyBreaches > 1)
    }

    @Test func theTargetRisesOnlyOnAFullHorizonOfEvidenceToItsWorstWindow() {
        let horizon = 600.0
        let policy = Self.policy { $0.raiseHorizonSeconds = horizon }
        // 35 rps on 6 replicas (sized at 0.65 → 0.583): steady p95, safe 0.8, except one window safe at 0.72.
        let steady = Self.steadyP95ms(35.0 / 60)
        let worst = (1 - 0.72) / (1 - 35.0 / 60) * 200
        // From index 41 on, the 5 replicas that 35 rps needs at 0.72 (and at 0.8): steady at 0.7, safe 0.8.
        var observations = (0..<60).map { i in
            i <= 40 ? observe(p95ms: steady, rate: 35, current: 6) : observe(p95ms: Self.steadyP95ms(0.7), rate: 35, current: 5)
        }
        observations[10] = observe(p95ms: worst, rate: 35, current: 6)
        let d = replay(policy, observations)
        // Before a full horizon (t < 600, index 40): unchanged.
        #expect(d[0..<40].allSatisfy { $0.state.rateTargetUtilization == 0.65 })
        // Then up to the horizon's lowest safe utilisation (0.72), and once the worst window (t = 150) has
        // left it (t = 765, index 51), to the knee.
        #expect(abs((d[40].state.rateTargetUtilization ?? 0) - 0.72) < 1e-9, "\(d[40].state.rateTargetUtilization ?? 0)")
        #expect(d[40].notes.contains { $0.contains("every window of the last 600 s would have met 200 ms at 72%") }, "\(d[40].notes)")
        #expect(abs((d[50].state.rateTargetUtilization ?? 0) - 0.72) < 1e-9, "\(d[50].state.rateTargetUtilization ?? 0)")
        #expect(abs((d[51].state.rateTargetUtilization ?? 0) - 0.8) < 1e-9, "\(d[51].state.rateTargetUtilization ?? 0)")
    }

    /// `raiseSlowShare` lets a raise leave that share of the horizon's
    /// windows below the new target: 41 readings at 5% leave 2, so the
    /// third-lowest reading decides. At the default share (0.5%) a horizon
    /// this short still rises only to its lowest.
    @Test func aRaiseMayLeaveItsShareOfWindowsBelowTheNewTarget() {
        let horizon = 600.0
        let steady = Self.steadyP95ms(35.0 / 60)
        func slowAt(_ safe: Double) -> Double { (1 - safe) / (1 - 35.0 / 60) * 200 }
        var observations = (0..<41).map { _ in observe(p95ms: steady, rate: 35, current: 6) }
        observations[10] = observe(p95ms: slowAt(0.70), rate: 35, current: 6)
        observations[20] = observe(p95ms: slowAt(0.72), rate: 35, current: 6)
        observations[30] = observe(p95ms: slowAt(0.75), rate: 35, current: 6)
        let shared = replay(Self.policy { $0.raiseHorizonSeconds = horizon; $0.raiseSlowShare = 0.05 }, observations)
        #expect(abs((shared[40].state.rateTargetUtilization ?? 0) - 0.75) < 1e-9, "\(shared[40].state.rateTargetUtilization ?? 0)")
        #expect(shared[40].notes.contains { $0.contains("all but 2 of the 41 windows of the last 600 s would have met 200 ms at 75%") },
                "\(shared[40].notes)")
        let strict = replay(Self.policy { $0.raiseHorizonSeconds = horizon }, observations)
        #expect(abs((strict[40].state.rateTargetUtilization ?? 0) - 0.70) < 1e-9, "\(strict[40].state.rateTargetUtilization ?? 0)")
        // Evidence that has left the horizon leaves the ranking too: 15 readings later (on the 5 replicas
        // that 35 rps needs at 0.75, steady at 0.7) the 0.70 window (t = 150) is gone, and the share
        // leaves the 2 that remain (0.72, 0.75) below: up to the knee.
        let later = replay(Self.policy { $0.raiseHorizonSeconds = horizon; $0.raiseSlowShare = 0.05 },
                           observations + (0..<15).map { _ in observe(p95ms: Self.steadyP95ms(0.7), rate: 35, current: 5) })
        #expect(abs((later.last?.state.rateTargetUtilization ?? 0) - 0.8) < 1e-9, "\(later.last?.state.rateTargetUtilization ?? 0)")
    }

    @Test func aSlowShareOfZeroOrAShortHorizonAllowsNoWindowBelow() {
        #expect(AdaptiveHeadroom(raiseSlowShare: 0).slowReadingsAllowed(of: 960) == 0)
        #expect(AdaptiveHeadroom().slowReadingsAllowed(of: 199) == 0)
        #expect(AdaptiveHeadroom().slowReadingsAllowed(of: 200) == 1)
        #expect(AdaptiveHeadroom().slowReadingsAllowed(of: 960) == 4)
        #expect(AdaptiveHeadroom(raiseSlowShare: 0.5).slowReadingsAllowed(of: 1) == 0, "never every reading")
    }

    @Test func aPolicyWrittenBeforeTheShareRaisesToItsLowestWindow() throws {
        var json = try JSONEncoder().encode(AdaptiveHeadroom())
        var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        object.removeValue(forKey: "raiseSlowShare")
        json = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONDecoder().decode(AdaptiveHeadroom.self, from: json).raiseSlowShare == 0)
    }

    @Test func theTargetStaysWithinItsBounds() {
        let policy = Self.policy { $0.raiseHorizonSeconds = 60 }
        // Slow window after slow window (safe 0.2): down to 0.4 and no further.
        let slow = replay(policy, (0..<100).map { _ in observe(p95ms: 640, rate: 20, current: 4) })
        #expect(slow.allSatisfy { ($0.state.rateTargetUtilization ?? 0) >= 0.4 - 1e-12 })
        #expect(slow.last?.state.rateTargetUtilization == 0.4)
        // Idle-fast windows (safe 0.96): up to 0.8 and no further.
        let fast = replay(policy, (0..<100).map { _ in observe(p95ms: 40, rate: 20, current: 4) })
        #expect(fast.allSatisfy { ($0.state.rateTargetUtilization ?? 1) <= 0.8 + 1e-12 })
        #expect(fast.last?.state.rateTargetUtilization == 0.8)
    }

    /// Closed loop against a service whose windows' tail is `inflation` × a
    /// steady one (safe up to 1 − 0.2 × inflation): the target moves toward
    /// the utilisation at which the windows meet the SLO, from either side,
    /// and the replicas end no further above what the SLO needs than whole
    /// replicas make them.
    @Test(arguments: [(1.0, 0.8), (1.5, 0.7), (2.25, 0.55)])
    func inClosedLoopTheTargetMovesToWhereTheWindowsMeetTheSLO(inflation: Double, safe: Double) {
        let policy = Self.policy(start: 0.65) { $0.raiseHorizonSeconds = 900 }
        let rate = 60.0
        var state = ScalerState()
        var current = 2
        var slowAfterSettling = 0
        for i in 0..<2000 {
            let rho = min(0.99, rate / (Double(current) * 10))
            let p95 = Self.steadyP95ms(rho) * inflation
            if i >= 1000 && p95 > 200 { slowAfterSettling += 1 }
            let d = decide(policy: policy, state: state, observation: observe(p95ms: p95, rate: rate, current: current),
                           now: Double(i) * 15)
            state = d.state
            current = d.targetReplicas
        }
        let target = state.rateTargetUtilization ?? 0
        #expect(target >= 0.4 && target <= 0.8)
        #expect(safe > 0.65 ? target > 0.65 : target < 0.65, "moved from 0.65 toward \(safe): \(target)")
        #expect(rate / (Double(current) * 10) <= safe + 1e-9, "the replicas run within what the windows allow")
        #expect(slowAfterSettling == 0, "settled where every window meets the SLO")
        #expect(Double(current) <= (rate / (10 * (safe - 0.05))).rounded(.up), "not far above what the SLO needs: \(current)")
    }
}
