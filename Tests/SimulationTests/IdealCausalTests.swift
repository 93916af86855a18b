import SeededRandom
import Testing
@testable import Simulation

@Suite struct IdealCausal {
    func simulator(_ rps: [Double], coldStart: Double = 5, mode: ArrivalMode = .exact) -> Simulator {
        let trace = Trace(name: "t", rps: rps, bucketSeconds: 1)
        let workload = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: 8, mode: mode, seed: 1)
        return Simulator(workload: workload, model: ServiceModel(coldStartSeconds: coldStart), settings: SimulationSettings())
    }

    @Test(arguments: [true, false])
    func slidingExtremeMatchesBruteForce(keepLarger: Bool) {
        var random = SplitMix64(seed: 3)
        let values = (0..<400).map { _ in Int(random.next() % 17) }
        for window in [1, 2, 3, 7, 31, 399, 400, 500] {
            let fast = slidingExtreme(values, window: window, before: 8, keepLarger: keepLarger)
            for t in values.indices {
                let inWindow = (t - window + 1...t).map { $0 >= 0 ? values[$0] : 8 }
                #expect(fast[t] == (keepLarger ? inWindow.max()! : inWindow.min()!), "window \(window), t \(t)")
            }
        }
    }

    /// A step from 10 to 64 rps (2 → 10 replicas) at t = 200: the policy
    /// sees it at 201, and the replicas it orders then serve from 206.
    @Test func seesTheNeedOneSecondLateAndWaitsOneColdStart() {
        let sim = simulator(Array(repeating: 10, count: 200) + Array(repeating: 64, count: 400))
        let need = sim.oracleReady()
        #expect(need[199] == 2 && need[200] == 10)
        let run = sim.runIdealCausal(need: need, holdSeconds: 0)
        #expect(run.replicas[200] == 2 && run.replicas[201] == 10)
        // Ready replicas show in the latency: overloaded until 205, fine from 206.
        #expect(run.p95[205] > 0.2 && run.p95[206 + 30] <= 0.2)
    }

    @Test func onAConstantRateEveryHoldCostsWhatTheOracleDoes() {
        let sim = simulator(Array(repeating: 30, count: 1200))
        for bound in sim.idealCausalBounds(holds: [0, 60, 600]) {
            #expect(bound.costVsOracle == 1)
            #expect(bound.sloMinutesPct == 100)
        }
    }

    /// Holding longer keeps at least as many replicas every second, so the
    /// cost cannot fall and (p95 falls with replicas and backlog) neither
    /// can the share of minutes within the SLO.
    @Test func longerHoldsCostMoreAndMissNoMoreMinutes() {
        var random = SplitMix64(seed: 11)
        var rps: [Double] = []
        while rps.count < 7200 {
            let level = random.unit() < 0.1 ? 40 + 60 * random.unit() : 10 + 10 * random.unit()
            rps += Array(repeating: level, count: 5 + Int(random.next() % 120))
        }
        let bounds = simulator(rps, mode: .poisson).idealCausalBounds(holds: [0, 30, 120, 300, 900])
        for (shorter, longer) in zip(bounds, bounds.dropFirst()) {
            #expect(longer.costVsOracle >= shorter.costVsOracle, "\(shorter) → \(longer)")
            #expect(longer.sloMinutesPct >= shorter.sloMinutesPct, "\(shorter) → \(longer)")
        }
        // The bursts are shorter than the hold of 900 s is long: nearly the oracle's attainment, at a price.
        #expect(bounds[0].sloMinutesPct < bounds[4].sloMinutesPct)
        #expect(bounds[4].costVsOracle > 1.5)
    }
}
