import Testing
@testable import Autoscaling

@Suite struct HPABaseline {
    let p95 = HPAConfig.p95()

    @Test(arguments: [
        // (p95 seconds, current, expected) — desired = ceil(current × p95 / 0.150)
        (0.300, 4, 8),
        (0.160, 4, 4),    // ratio 1.067: within the 10% tolerance
        (0.170, 4, 5),    // ratio 1.133: ceil(4.53)
        (1.500, 4, 8),    // ratio 10, but at most +100% / +4 per sync
        (1.500, 10, 16),  // +100% = 20, limited by maxReplicas
    ])
    func scalesByTheRatioWithinToleranceAndRateLimits(value: Double, current: Int, expected: Int) {
        let result = hpaDecide(config: p95, state: HPAState(), metric: .value(value), currentReplicas: current, readyReplicas: current, now: 0)
        #expect(result.replicas == expected)
    }

    @Test func scaleDownTakesTheHighestRecommendationOfTheWindow() {
        var state = HPAState()
        var replicas = 8
        var history: [Int] = []
        for i in 0..<25 {
            let metric = SignalValue.value(i == 0 ? 0.150 : 0.050)
            let result = hpaDecide(config: p95, state: state, metric: metric, currentReplicas: replicas, readyReplicas: replicas, now: Double(i) * 15)
            state = result.state
            replicas = result.replicas
            history.append(replicas)
        }
        // t = 0 recommends 8; it leaves the 300 s window at t = 300 (i = 20).
        #expect(history[0..<20].allSatisfy { $0 == 8 })
        #expect(history[20] == 3)
    }

    @Test(arguments: [SignalValue.noData, .missing, .unavailable("down")])
    func unreadableMetricMeansNoChange(metric: SignalValue) {
        #expect(hpaDecide(config: p95, state: HPAState(), metric: metric, currentReplicas: 6, readyReplicas: 6, now: 0).replicas == 6)
    }

    @Test func notReadyPodsCountAsZeroWhenScalingUpOnUtilisation() {
        let util = HPAConfig.utilization()
        // 4 ready at 90%, 2 starting: (90 × 4 / 6) / 60 = 1.0 → no change.
        #expect(hpaDecide(config: util, state: HPAState(), metric: .value(90), currentReplicas: 6, readyReplicas: 4, now: 0).replicas == 6)
        // All ready: 6 × 90/60 = 9.
        #expect(hpaDecide(config: util, state: HPAState(), metric: .value(90), currentReplicas: 6, readyReplicas: 6, now: 0).replicas == 9)
    }
}

@Suite struct KPABaseline {
    let config = KPAConfig(targetPerReplica: 10)

    @Test func stableModeSizesForTheStableAverage() {
        // 35 rps / (10 × 0.7) = 5
        let result = kpaDecide(config: config, state: KPAState(), stableAverage: 35, panicAverage: 36, readyReplicas: 5, now: 0)
        #expect(result.replicas == 5)
        #expect(result.state.panicSince == nil)
    }

    @Test func panicStartsAtTwiceTheReadyPodsAndNeverScalesDown() {
        var state = KPAState()
        // Panic window needs 12 pods with 4 ready: 300%.
        var r = kpaDecide(config: config, state: state, stableAverage: 20, panicAverage: 80, readyReplicas: 4, now: 0)
        #expect(r.replicas == 12)
        #expect(r.state.panicSince == 0)
        state = r.state
        // Load falls: still in panic, holds 12.
        r = kpaDecide(config: config, state: state, stableAverage: 20, panicAverage: 10, readyReplicas: 12, now: 30)
        #expect(r.replicas == 12)
        state = r.state
        // One stable window after the condition was last true, panic ends.
        r = kpaDecide(config: config, state: state, stableAverage: 20, panicAverage: 10, readyReplicas: 12, now: 60)
        #expect(r.state.panicSince == nil)
        #expect(r.replicas == 6, "20 rps needs 3, but one tick halves at most: 12 / 2")
    }
}
