import Foundation
import SeededRandom
import Testing
@testable import Autoscaling
@testable import Simulation

@Suite struct TraceLoading {
    @Test func expandsBucketsToSeconds() throws {
        let trace = try Trace.parse(csv: "t_s,rps,n_clients\n0,1.5,3\n10,2.000,4\n", name: "t")
        #expect(trace.rps.count == 20)
        #expect(trace.rps[9] == 1.5)
        #expect(trace.rps[10] == 2)
        #expect(trace.bucketSeconds == 10)
    }

    @Test(arguments: [
        ("", "empty file"),
        ("time,rate\n0,1\n", "header must start with t_s,rps"),
        ("t_s,rps\n", "no data rows"),
        ("t_s,rps\n0,abc\n", "rps \"abc\""),
        ("t_s,rps\n0,-1\n", "rps \"-1\""),
        ("t_s,rps\n5,1\n", "first t_s must be 0"),
        ("t_s,rps\n0,1\n1,1\n3,1\n", "breaks the 1 s bucket grid"),
        ("t_s,rps\n0,1\n1\n", "expected t_s,rps"),
    ])
    func badTracesAreRejectedWithTheLine(csv: String, fragment: String) {
        do {
            _ = try Trace.parse(csv: csv, name: "bad", path: "bad.csv")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
            #expect(error.description.hasPrefix("bad.csv:"))
        }
    }

    @Test func peakMinuteRateIsTheBestSlidingMinute() throws {
        let rows = (0..<180).map { "\($0),\($0 >= 100 && $0 < 130 ? 10 : 1)" }.joined(separator: "\n")
        let trace = try Trace.parse(csv: "t_s,rps\n" + rows, name: "t")
        #expect(abs(trace.peakMinuteRate - (30.0 * 10 + 30) / 60) < 1e-9)
    }

    /// 40 s at 30 rps, then idle, every `period` seconds, for `hours`.
    static func onOff(period: Int, hours: Int) -> [Double] {
        (0..<(hours * 3600)).map { $0 % period < 40 ? 30 : 0 }
    }

    @Test func burstyClassComesFromTheRatesNotTheName() {
        // A flat trace named "bursty" is smooth; an on/off one named "smooth" is bursty.
        #expect(!Trace(name: "flat_bursty_1s", rps: Array(repeating: 5, count: 7200), bucketSeconds: 1).isBursty)
        let onOff = Trace(name: "calls_smooth_1s", rps: Self.onOff(period: 300, hours: 2), bucketSeconds: 1)
        #expect(onOff.isBursty)
        #expect(onOff.suddenRises == 23, "one per 5-minute cycle after the first (the trace's start is no rise)")
    }

    @Test(arguments: [
        // (what, rises expected, bursty)
        ("a diurnal cycle never doubles within a minute", 0, false),
        ("one step a day is under 1% of the minutes", 1, false),
        ("one step in an hour is over 1%", 1, true),
        ("a doubling worth less than a replica is no rise", 0, false),
    ])
    func suddenRisesNeedADoublingWorthAReplica(what: String, rises: Int, bursty: Bool) {
        let rps: [Double]
        switch what {
        case "a diurnal cycle never doubles within a minute":
            rps = (0..<86_400).map { 20 + 15 * sin(2 * Double.pi * Double($0) / 86_400) }
        case "one step a day is under 1% of the minutes":
            rps = (0..<86_400).map { $0 < 43_200 ? 5 : 20 }
        case "one step in an hour is over 1%":
            rps = (0..<3600).map { $0 < 1800 ? 5 : 20 }
        default:
            // 20 ↔ 21.5 rps plus a doubling from 1 to 2 rps, which is 1/20 of the peak (under 1/8).
            rps = (0..<3600).map { $0 < 1800 ? ($0 % 600 < 300 ? 20 : 21.5) : ($0 < 2400 ? 1 : 2) }
        }
        let trace = Trace(name: "t", rps: rps, bucketSeconds: 1)
        #expect(trace.suddenRises == rises, "\(what)")
        #expect(trace.isBursty == bursty, "\(what)")
    }
}

@Suite struct WorkloadAndModel {
    @Test func normalisationPutsThePeakMinuteAtPeakReplicasCapacity() {
        let trace = Trace(name: "t", rps: Array(repeating: 4, count: 120) + Array(repeating: 8, count: 60), bucketSeconds: 1)
        let workload = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: 8, mode: .exact, seed: 1)
        #expect(workload.scale == 10)
        #expect(workload.rate.last == 80)
    }

    @Test func poissonArrivalsAreSeededAndKeepTheMean() {
        let trace = Trace(name: "t", rps: Array(repeating: 5, count: 20_000), bucketSeconds: 1)
        let a = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: 4, mode: .poisson, seed: 7)
        let b = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: 4, mode: .poisson, seed: 7)
        let c = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: 4, mode: .poisson, seed: 8)
        #expect(a.arrivals == b.arrivals)
        #expect(a.arrivals != c.arrivals)
        let mean = a.arrivals.reduce(0, +) / Double(a.arrivals.count)
        let variance = a.arrivals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(a.arrivals.count)
        #expect(abs(mean - 40) < 0.3)
        #expect(abs(variance / mean - 1) < 0.1, "Poisson: variance equals the mean")
    }

    @Test(arguments: [(0.0, 40.0), (0.5, 80.0), (0.8, 200.0), (0.9, 400.0), (2.0, 800.0)])
    func latencyCurveIsMM1Like(utilisation: Double, p95ms: Double) {
        let model = ServiceModel()
        #expect(abs(model.p95(rate: utilisation * 40, ready: 4, backlog: 0) * 1000 - p95ms) < 1e-6)
    }

    @Test func replicasNeededKeepP95AtTheSLO() {
        let model = ServiceModel()
        #expect(model.replicasNeeded(rate: 80, sloSeconds: 0.2) == 10)
        #expect(model.replicasNeeded(rate: 80.5, sloSeconds: 0.2) == 11)
        #expect(model.replicasNeeded(rate: 0, sloSeconds: 0.2) == 0)
    }
}

@Suite struct SimulatorBehaviour {
    func simulator(_ rps: [Double], coldStart: Double = 5) -> Simulator {
        let trace = Trace(name: "t", rps: rps, bucketSeconds: 1)
        let workload = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: 8, mode: .exact, seed: 1)
        return Simulator(workload: workload, model: ServiceModel(coldStartSeconds: coldStart), settings: SimulationSettings())
    }

    @Test func oracleOrdersReplicasOneColdStartAhead() {
        let sim = simulator(Array(repeating: 10, count: 100) + Array(repeating: 64, count: 100), coldStart: 30)
        let ready = sim.oracleReady()
        let ordered = sim.oracleOrdered(ready: ready)
        // 64 rps scaled ×1.25 = 80 → 10 replicas at 80%; 12.5 rps → 2.
        #expect(ready[99] == 2 && ready[100] == 10)
        #expect(ordered[69] == 2 && ordered[70] == 10, "ordered 30 s before it must be ready")
    }

    @Test func oracleMeetsTheSLOOnASmoothTrace() {
        let rps = (0..<7200).map { 20 + 10 * sin(Double($0) / 600) }
        let report = simulator(rps).report(traceName: "t", isBursty: false, policies: [.oracle], peakReplicas: 8,
                                           arrivals: .exact, seed: 1)
        #expect(report.policy(.oracle)?.sloMinutesPct == 100)
        #expect(report.policy(.oracle)?.costVsOracle == 1)
    }

    @Test func aStepTooBigForTheMatrixShowsInTheFigures() {
        // 2 replicas' worth, then a step to 8: the matrix needs several
        // rounds of +2 (45 s each) and misses minutes; the default's rate
        // rule jumps at once.
        let rps = Array(repeating: 2.0, count: 900) + Array(repeating: 8.0, count: 900)
        let report = simulator(rps).report(traceName: "t", isBursty: false, policies: [.default, .matrix], peakReplicas: 8,
                                           arrivals: .exact, seed: 1)
        let matrix = try! #require(report.policy(.matrix))
        let best = try! #require(report.policy(.default))
        #expect(matrix.sloMinutesPct < 100)
        #expect(best.sloMinutesPct > matrix.sloMinutesPct)
        #expect(best.scaleEvents >= 1)
    }

    @Test func matrixNeverScalesDownBeforeIdleAndDoesAfter() {
        let rps = Array(repeating: 8.0, count: 600) + Array(repeating: 1.0, count: 600) + Array(repeating: 0.0, count: 600)
        let sim = simulator(rps)
        let run = sim.run(.matrix)
        let busyEnd = Int(run.replicas[1190])
        #expect(busyEnd >= Int(run.replicas[590]), "no scale-down while requests continue")
        #expect(run.replicas.last == 2, "idle for > 300 s: min replicas")
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let report = simulator(Array(repeating: 5, count: 600)).report(traceName: "t", isBursty: false, policies: PolicyName.allCases,
                                                                       peakReplicas: 8, arrivals: .exact, seed: 1)
        let json = report.json
        #expect(json["trace"]?.stringValue == "t")
        #expect(json["cold_start_s"]?.doubleValue == 5)
        #expect(json["normalisation"]?["factor"]?.doubleValue == 16)
        let policies = try #require(json["policies"]?.objectValue)
        #expect(policies.keys == ["default", "matrix", "hpa", "hpa-util", "kpa", "oracle"])
        for key in ["slo_minutes_pct", "replica_seconds", "cost_vs_oracle", "max_p95_ms", "scale_events", "reversals_per_hour"] {
            #expect(policies["default"]?[key] != nil, "missing \(key)")
        }
    }

    @Test func svgHasOnePanelPerPolicy() {
        let report = simulator(Array(repeating: 5, count: 600)).report(traceName: "t<&>", isBursty: false, policies: [.default, .kpa],
                                                                       peakReplicas: 8, arrivals: .exact, seed: 1)
        let svg = SVGPlot().render(report)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("t&lt;&amp;&gt;"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 4, "replicas and p95 per policy")
    }
}

/// The issue's goals, checked on traffic the policy was not tuned on: a
/// synthetic "day" compressed into 8 hours (10 s buckets, a 4x cycle, the
/// level jumping ±10% every 10 minutes, fixed seed), Poisson arrivals,
/// both cold-start classes. Not timed (about 6 s in a debug build).
@Suite struct DefaultPolicyGoals {
    static func diurnalDay() -> Trace {
        var random = SplitMix64(seed: 7)
        var level = 1.0
        var rps: [Double] = []
        for bucket in 0..<2880 {
            if bucket % 60 == 0 { level = 0.9 + 0.2 * random.unit() }
            let day = 1 + 1.5 * (1 - cos(2 * Double.pi * Double(bucket * 10) / 28800))
            rps += Array(repeating: 200 * day * level, count: 10)  // a Trace holds one value per second
        }
        return Trace(name: "diurnal", rps: rps, bucketSeconds: 10)
    }

    @Test(arguments: [5.0, 30.0])
    func defaultMeetsTheSmoothGoalsOnASyntheticDay(coldStart: Double) throws {
        let workload = Workload(trace: Self.diurnalDay(), capacityPerReplicaRPS: 10, peakReplicas: 8, mode: .poisson, seed: 1)
        let simulator = Simulator(workload: workload, model: ServiceModel(coldStartSeconds: coldStart), settings: SimulationSettings())
        let report = simulator.report(traceName: "diurnal", isBursty: false, policies: PolicyName.allCases, peakReplicas: 8,
                                      arrivals: .poisson, seed: 1)
        let oracle = try #require(report.policy(.oracle))
        let best = try #require(report.policy(.default))
        let line = min(99, oracle.sloMinutesPct - 1)
        #expect(best.sloMinutesPct >= line)
        #expect(best.costVsOracle <= 1.3)
        #expect(best.reversalsPerHour <= 12)
        // Cheaper than the matrix and both HPAs. (Knative's KPA, which sizes
        // at a fixed 70% from per-second counts, is cheaper on such
        // noise-free diurnal traffic: a known gap, docs/autoscaling.md.)
        for name in [PolicyName.matrix, .hpa, .hpaUtil] {
            let other = try #require(report.policy(name))
            #expect(best.replicaSeconds < other.replicaSeconds, "\(name.rawValue)")
        }
    }
}

@Suite struct WindowLatencyModel {
    @Test func oneSecondsQuantileIsItsOwnP95() {
        var mixture = LatencyMixture()
        mixture.add(p95: 0.150, delay: 0, weight: 12)
        #expect(abs(mixture.quantile(0.95) - 0.150) < 1e-6)
        #expect(abs(mixture.fractionAbove(0.150) - 0.05) < 1e-9, "exponential: 5% of requests above its p95")
    }

    @Test func aShortSlowSecondDoesNotSetTheWindowsP95() {
        // 10% of the requests at a p95 of 300 ms, 90% at 100 ms: the 95th
        // percentile of the seconds' p95 values would be 300 ms, but only
        // 0.1 × 20^(-2/3) + 0.9 × 20^(-2) = 1.6% of the requests exceed 200 ms.
        var mixture = LatencyMixture()
        mixture.add(p95: 0.300, delay: 0, weight: 10)
        mixture.add(p95: 0.100, delay: 0, weight: 90)
        let expected = 0.1 * pow(20, -2.0 / 3) + 0.9 * pow(20, -2.0)
        #expect(abs(mixture.fractionAbove(0.200) - expected) < 1e-9)
        let p95 = mixture.quantile(0.95)
        #expect(p95 > 0.100 && p95 < 0.200)
        #expect(abs(mixture.fractionAbove(p95) - 0.05) < 1e-4)
    }

    @Test func manyNearlySlowSecondsCanExceedTheSLOTogether() {
        // 96% of requests at 190 ms and 4% at 1 s: the seconds' 95th
        // percentile is 190 ms, the requests' p95 is above 200 ms.
        var mixture = LatencyMixture()
        mixture.add(p95: 0.190, delay: 0, weight: 96)
        mixture.add(p95: 1.0, delay: 0, weight: 4)
        #expect(mixture.fractionAbove(0.200) > 0.05)
        #expect(mixture.quantile(0.95) > 0.200)
    }

    @Test func queueingDelayIsAFloor() {
        var mixture = LatencyMixture()
        mixture.add(p95: 0.540, delay: 0.500, weight: 5)
        #expect(mixture.fractionAbove(0.499) == 1, "every request waits out the backlog")
        #expect(abs(mixture.quantile(0.95) - 0.540) < 1e-6)
    }

    @Test func emptyWindowHasNoP95() {
        let mixture = LatencyMixture()
        #expect(mixture.quantile(0.95).isNaN)
        #expect(mixture.fractionAbove(0.2) == 0)
    }

    @Test func minuteVerdictFollowsTheChosenWindowLatency() {
        // One minute on 5 replicas: 54 s at 37.5 rps (ρ 0.75, p95 160 ms), then
        // 6 s at 45 rps (ρ 0.9, 400 ms), 11.8% of the requests. The seconds'
        // 95th percentile is 400 ms (outside); of the requests, 4.7% exceed
        // 200 ms (within). Scale factor 1: peak minute 38.25 rps = 3.825 × 10.
        let rps = Array(repeating: 37.5, count: 54) + Array(repeating: 45.0, count: 6)
        let trace = Trace(name: "t", rps: rps, bucketSeconds: 1)
        let workload = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: 38.25 / 10, mode: .exact, seed: 1)
        let run = PolicyRun(name: .matrix, replicas: Array(repeating: 5, count: 60),
                            p95: rps.map { Float(0.040 / (1 - $0 / 50)) }, delay: Array(repeating: 0, count: 60),
                            scaleEvents: 0, reversals: 0)
        for (window, within) in [(WindowLatency.requests, 100.0), (.seconds, 0.0)] {
            let sim = Simulator(workload: workload, model: ServiceModel(windowLatency: window), settings: SimulationSettings())
            #expect(sim.summarize(run, oracleCost: 300).sloMinutesPct == within, "\(window)")
        }
    }

    @Test func noiseAwareOracleSizesForThePoissonCountsWhenTheyLoadTheCurve() {
        // 64 rps: at the rate, 8 replicas run at 0.8 (the SLO exactly). When
        // each second's count loads the curve, half the seconds exceed it, so
        // the oracle needs more, and with what it picks at most 5% of the
        // requests are slow in expectation.
        for window in WindowLatency.allCases {
            let model = ServiceModel(load: .arrivals, windowLatency: window)
            let n = model.replicasNeeded(rate: 64, sloSeconds: 0.2)
            #expect(n > 8, "\(window)")
            #expect(model.expectedSlowShare(rate: 64, replicas: n, sloSeconds: 0.2) <= 0.05)
            #expect(model.expectedSlowShare(rate: 64, replicas: n - 1, sloSeconds: 0.2) > 0.05, "the fewest")
        }
        #expect(ServiceModel(load: .rate).replicasNeeded(rate: 64, sloSeconds: 0.2) == 8)
    }

    @Test func arrivalsLoadFeedsTheCountsToTheCurve() {
        let trace = Trace(name: "t", rps: Array(repeating: 40, count: 600), bucketSeconds: 1)
        let workload = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: 4, mode: .poisson, seed: 3)
        let byRate = Simulator(workload: workload, model: ServiceModel(load: .rate), settings: SimulationSettings()).run(.oracle)
        let byCounts = Simulator(workload: workload, model: ServiceModel(load: .arrivals), settings: SimulationSettings()).run(.oracle)
        // The oracle sizes for the counts' noise too, so it never holds fewer.
        #expect(zip(byRate.replicas, byCounts.replicas).allSatisfy { $0 <= $1 })
        #expect(byCounts.replicas.reduce(0, +) > byRate.replicas.reduce(0, +))
        #expect(Set(byRate.p95.dropFirst(10).dropLast(10)).count == 1, "the smoothed rate is constant")
        #expect(Set(byCounts.p95).count > 10, "the counts vary second to second")
    }
}

@Suite struct Starts {
    /// A steady `peakReplicas` replicas' worth (60 rps: 8 replicas at the SLO's 0.8) unless `rps` says otherwise.
    static func simulator(_ start: SimulationStart, rps: [Double] = Array(repeating: 6, count: 1800),
                          peakReplicas: Double = 6) -> Simulator {
        let trace = Trace(name: "t", rps: rps, bucketSeconds: 1)
        let workload = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: peakReplicas, mode: .exact, seed: 1)
        return Simulator(workload: workload, model: ServiceModel(), settings: SimulationSettings(start: start))
    }

    @Test func settledStartsAtTheOraclesSizeAndFreshAtTheMinimum() {
        // 60 rps: the oracle holds ceil(60 / 8) = 8.
        for name in [PolicyName.default, .matrix, .hpa, .hpaUtil, .kpa] {
            #expect(Self.simulator(.settled).run(name).replicas[0] == 8, "\(name)")
            #expect(Self.simulator(.fresh).run(name).replicas[0] == 2, "\(name)")
        }
        #expect(Self.simulator(.fresh).idealCausalBounds(holds: [0]).count == 1)
    }

    @Test func freshFirstTrafficIsSizedNotMistakenForABurst() {
        // 30 rps from t = 0 on the 2 minimum replicas: the oracle holds 4.
        let report = Self.simulator(.fresh, peakReplicas: 3).report(traceName: "t", isBursty: false, policies: [.default],
                                                                    peakReplicas: 3, arrivals: .exact, seed: 1)
        let run = try! #require(report.policy(.default))
        // The rate rule orders what 30 rps needs at the starting headroom (30 / 6.5 → 5); the backlog of
        // the first seconds buys nothing more.
        #expect(run.openingPeakReplicas == 5 && run.openingExcessReplicas <= 0, "peak \(run.openingPeakReplicas)")
        #expect(run.changes.first?.rule == .requestRate, "\(run.changes)")
        #expect(!run.changes.contains { $0.rule == .latency || $0.rule == .gpuUtilization || $0.rule == .burst }, "\(run.changes)")
        #expect(report.json["start"]?.stringValue == "fresh")
    }

    @Test func trafficRisingFromIdleMidwayIsSizedAndNotHeld() {
        // 20 minutes without a request, then 60 rps for 40 minutes, from a fresh start.
        let rps = Array(repeating: 0.0, count: 1200) + Array(repeating: 6.0, count: 2400)
        let report = Self.simulator(.fresh, rps: rps).report(traceName: "t", isBursty: false, policies: [.default, .oracle],
                                                             peakReplicas: 6, arrivals: .exact, seed: 1)
        let run = try! #require(report.policy(.default))
        let oracle = try! #require(report.policy(.oracle))
        // The rise from nothing is a burst (sized at once), but it does not start the 20-minute hold, and
        // the matrix rules add nothing to what it ordered: from minute 27 (the stabilisation window after
        // the rise) the replicas are the rate rule's 60 / 6.5 → 10, never more.
        #expect(run.changes.first?.rule == .burst, "\(run.changes)")
        #expect(!run.changes.contains { $0.rule == .latency || $0.rule == .gpuUtilization }, "\(run.changes)")
        #expect(run.minuteReplicas[27...].allSatisfy { $0 <= 10 }, "\(run.minuteReplicas)")
        #expect(oracle.minuteReplicas[27] == 8)
    }

    @Test func openingExcessCountsFromTheOraclesMostSoFarAndExemptsTheLatencyRule() {
        let sim = Self.simulator(.fresh)
        let oracle = Array(repeating: Int32(4), count: 900)
        var replicas = Array(repeating: Int32(5), count: 900)
        replicas[100] = 7
        let run = PolicyRun(name: .default, replicas: replicas, p95: Array(repeating: 0.05, count: 900),
                            delay: Array(repeating: 0, count: 900), scaleEvents: 0, reversals: 0)
        #expect(sim.openingFigures(run, oracleReplicas: oracle) == (peak: 7, excess: 2))
        var latency = run
        latency.changes = [ScaleChange(second: 90, from: 5, to: 7, rule: .latency, reason: "p95")]
        #expect(sim.openingFigures(latency, oracleReplicas: oracle) == (peak: 7, excess: 0))
        // Seconds after the first 10 minutes do not count.
        replicas[100] = 5
        replicas[700] = 9
        let late = PolicyRun(name: .default, replicas: replicas, p95: run.p95, delay: run.delay, scaleEvents: 0, reversals: 0)
        #expect(sim.openingFigures(late, oracleReplicas: oracle) == (peak: 5, excess: 0))
    }
}

@Suite struct WarmUp {
    @Test func policiesSettleBeforeTheTraceAndOnlyTheTraceCounts() {
        // A constant 5 replicas' worth: the oracle starts every policy at
        // ceil(50 / 8) = 7; the HPA on utilisation wants 50 / (10 × 0.6) → 9.
        let trace = Trace(name: "t", rps: Array(repeating: 5, count: 900), bucketSeconds: 1)
        func report(warmup: Int) -> SimulationReport {
            let workload = Workload(trace: trace, capacityPerReplicaRPS: 10, peakReplicas: 5, mode: .exact, seed: 1,
                                    warmupSeconds: warmup)
            return Simulator(workload: workload, model: ServiceModel(), settings: SimulationSettings())
                .report(traceName: "t", isBursty: false, policies: [.hpaUtil], peakReplicas: 5, arrivals: .exact, seed: 1)
        }
        let cold = report(warmup: 0), warm = report(warmup: 600)
        #expect(cold.durationSeconds == 900 && warm.durationSeconds == 900)
        #expect(warm.warmupSeconds == 600 && cold.warmupSeconds == 0)
        #expect(warm.minuteRate.count == 15)
        #expect(cold.policy(.hpaUtil)!.scaleEvents > 0, "starts at the oracle's size and moves to its own")
        #expect(warm.policy(.hpaUtil)!.scaleEvents == 0, "settled during the warm-up, which is not counted")
        #expect(warm.policy(.hpaUtil)!.minuteReplicas.allSatisfy { $0 == warm.policy(.hpaUtil)!.minuteReplicas[0] })
    }
}
