import DecimalText
import JSONValue

/// One policy's figures over one trace.
public struct PolicySummary: Sendable, Hashable {
    public var name: PolicyName
    /// % of minutes whose p95 is within the SLO (minutes without requests count as within).
    public var sloMinutesPct: Double
    /// Σ replicas paid for, each second.
    public var replicaSeconds: Double
    public var costVsOracle: Double
    /// Highest per-minute p95 (ms), over minutes with requests.
    public var maxP95Ms: Double
    public var scaleEvents: Int
    public var reversalsPerHour: Double
    /// Longest run of consecutive minutes outside the SLO, in seconds: how
    /// long the worst burst took to recover from (0 when none).
    public var longestViolationSeconds: Int
    /// Per-minute series for the plot.
    public var minuteReplicas: [Double]
    public var minuteP95Ms: [Double]
    /// Most replicas paid for in the first `Simulator.openingSeconds`.
    public var openingPeakReplicas: Int = 0
    /// How far the replicas of the first `Simulator.openingSeconds` went
    /// beyond what the start allows: at each second, the most the oracle
    /// has paid for so far + 1, or the highest target the latency rule has
    /// set so far when that is more. ≤ 0 when within (the fresh-start goal).
    public var openingExcessReplicas: Int = 0
    /// The decision engine's changes with their rules and reasons (empty for
    /// the baselines).
    public var changes: [ScaleChange] = []
}

public struct SimulationReport: Sendable {
    public var trace: String
    /// The goals' class of the trace (`Trace.isBursty`), and the sudden
    /// rises it counts (`Trace.suddenRises`).
    public var isBursty: Bool
    public var suddenRises: Int = 0
    public var durationSeconds: Int
    /// Seconds simulated before the trace (not counted).
    public var warmupSeconds: Int
    public var scale: Double
    public var peakMinuteRate: Double
    public var peakReplicas: Double
    public var model: ServiceModel
    public var settings: SimulationSettings
    public var arrivals: ArrivalMode
    public var seed: UInt64
    /// Per-minute mean arrival rate (requests/s) after scaling.
    public var minuteRate: [Double]
    public var policies: [PolicySummary]
    /// The idealised causal policy, for the holds asked for (none unless asked).
    public var idealCausal: [IdealCausalBound] = []

    public func policy(_ name: PolicyName) -> PolicySummary? { policies.first { $0.name == name } }
}

extension Simulator {
    /// Runs the policies (the oracle always, as the cost yardstick) and summarises them.
    public func report(traceName: String, isBursty: Bool, suddenRises: Int = 0, policies: [PolicyName], peakReplicas: Double,
                       arrivals: ArrivalMode, seed: UInt64, idealCausalHolds: [Int] = []) -> SimulationReport {
        var names = policies
        if !names.contains(.oracle) { names.append(.oracle) }
        let runs = names.map { run($0) }
        let start = workload.warmupSeconds
        let oracleCost = runs.first { $0.name == .oracle }.map { $0.replicas[start...].reduce(0.0) { $0 + Double($1) } } ?? 0
        let end = workload.arrivals.count
        let n = end - start
        let minutes = (n + 59) / 60
        var minuteRate = [Double](repeating: 0, count: minutes)
        for m in 0..<minutes {
            let lo = start + m * 60, hi = min(end, lo + 60)
            minuteRate[m] = workload.arrivals[lo..<hi].reduce(0, +) / Double(hi - lo)
        }
        let oracleReplicas = runs.first { $0.name == .oracle }?.replicas ?? []
        let summaries = runs.filter { policies.contains($0.name) }.map {
            summarize($0, oracleCost: oracleCost, oracleReplicas: oracleReplicas)
        }
        return SimulationReport(trace: traceName, isBursty: isBursty, suddenRises: suddenRises, durationSeconds: n, warmupSeconds: start, scale: workload.scale,
                                peakMinuteRate: workload.peakMinuteRate, peakReplicas: peakReplicas, model: model,
                                settings: settings, arrivals: arrivals, seed: seed, minuteRate: minuteRate,
                                policies: summaries, idealCausal: idealCausalBounds(holds: idealCausalHolds))
    }

    func summarize(_ run: PolicyRun, oracleCost: Double, oracleReplicas: [Int32] = []) -> PolicySummary {
        let figures = minuteFigures(replicas: run.replicas, p95: run.p95, delay: run.delay)
        let hours = Double(run.p95.count - workload.warmupSeconds) / 3600
        let opening = openingFigures(run, oracleReplicas: oracleReplicas)
        return PolicySummary(name: run.name, sloMinutesPct: figures.sloMinutesPct,
                             replicaSeconds: figures.replicaSeconds,
                             costVsOracle: oracleCost > 0 ? figures.replicaSeconds / oracleCost : 0,
                             maxP95Ms: figures.maxP95Ms, scaleEvents: run.scaleEvents,
                             reversalsPerHour: hours > 0 ? Double(run.reversals) / hours : 0,
                             longestViolationSeconds: figures.longestViolationSeconds,
                             minuteReplicas: figures.minuteReplicas, minuteP95Ms: figures.minuteP95Ms,
                             openingPeakReplicas: opening.peak, openingExcessReplicas: opening.excess,
                             changes: run.changes)
    }

    /// The first `openingSeconds` of a run (from the warm-up's end): its
    /// most replicas, and how far they went beyond the oracle's most so far
    /// + 1 (or the latency rule's highest target so far, when more).
    func openingFigures(_ run: PolicyRun, oracleReplicas: [Int32]) -> (peak: Int, excess: Int) {
        let start = workload.warmupSeconds
        let end = min(run.replicas.count, oracleReplicas.count, start + Simulator.openingSeconds)
        guard start < end else { return (0, 0) }
        var peak = 0, excess = Int.min, oracleSoFar = 0, latencySoFar = 0
        let latencyUps = run.latencyScaleUps
        var nextLatency = latencyUps.startIndex
        for t in start..<end {
            while nextLatency < latencyUps.endIndex, latencyUps[nextLatency].time <= Double(t - start) {
                latencySoFar = max(latencySoFar, latencyUps[nextLatency].replicas)
                nextLatency += 1
            }
            oracleSoFar = max(oracleSoFar, Int(oracleReplicas[t]))
            let replicas = Int(run.replicas[t])
            peak = max(peak, replicas)
            excess = max(excess, replicas - max(oracleSoFar + 1, latencySoFar))
        }
        return (peak, excess)
    }

    /// The per-minute verdicts and totals of one run's seconds, from the
    /// warm-up's end.
    func minuteFigures(replicas: [Int32], p95: [Float], delay: [Float]) -> MinuteFigures {
        let start = workload.warmupSeconds
        let end = p95.count
        let minutes = (end - start + 59) / 60
        var figures = MinuteFigures(minuteReplicas: [Double](repeating: 0, count: minutes),
                                    minuteP95Ms: [Double](repeating: 0, count: minutes))
        var within = 0
        var currentRun = 0, longest = 0
        var scratch = WindowScratch()
        for m in 0..<minutes {
            let lo = start + m * 60, hi = min(end, lo + 60)
            var replicaSum = 0.0
            for s in lo..<hi { replicaSum += Double(replicas[s]) }
            figures.replicaSeconds += replicaSum
            figures.minuteReplicas[m] = replicaSum / Double(hi - lo)
            let windowP95 = windowP95(from: lo, to: hi, p95: p95, delay: delay, scratch: &scratch)
            // p95 is stored as Float: compare with a tolerance far below 1 ms.
            if windowP95.isNaN || windowP95 <= settings.sloSeconds + 1e-6 {
                within += 1
                currentRun = 0
            } else {
                currentRun += 1
                longest = max(longest, currentRun)
            }
            if !windowP95.isNaN {
                figures.minuteP95Ms[m] = windowP95 * 1000
                figures.maxP95Ms = max(figures.maxP95Ms, windowP95 * 1000)
            }
        }
        figures.sloMinutesPct = minutes > 0 ? Double(within) / Double(minutes) * 100 : 100
        figures.longestViolationSeconds = longest * 60
        return figures
    }
}

/// What `minuteFigures` finds in one run.
struct MinuteFigures {
    var minuteReplicas: [Double]
    var minuteP95Ms: [Double]
    var sloMinutesPct = 100.0
    var replicaSeconds = 0.0
    var maxP95Ms = 0.0
    var longestViolationSeconds = 0
}

extension SimulationReport {
    /// The JSON object of `simulate --json`.
    public var json: JSON {
        var policyObject = JSONObject()
        for p in policies {
            policyObject[p.name.rawValue] = .object([
                "slo_minutes_pct": .double(round3(p.sloMinutesPct)),
                "replica_seconds": .double(p.replicaSeconds.rounded()),
                "cost_vs_oracle": .double(round3(p.costVsOracle)),
                "max_p95_ms": .double(round3(p.maxP95Ms)),
                "scale_events": .int(Int64(p.scaleEvents)),
                "reversals_per_hour": .double(round3(p.reversalsPerHour)),
                "longest_violation_s": .int(Int64(p.longestViolationSeconds)),
                "first_10min_peak_replicas": .int(Int64(p.openingPeakReplicas)),
                "first_10min_excess_replicas": .int(Int64(p.openingExcessReplicas)),
            ])
        }
        var object: JSONObject = [
            "trace": .string(trace),
            "bursty": .bool(isBursty),
            "duration_s": .int(Int64(durationSeconds)),
            "normalisation": .object([
                "factor": .double(round6(scale)),
                "trace_peak_1m_rps": .double(round3(peakMinuteRate)),
                "peak_replicas": .double(peakReplicas),
                "capacity_per_replica_rps": .double(model.capacityPerReplicaRPS),
            ]),
            "cold_start_s": .double(model.coldStartSeconds),
            "warmup_s": .int(Int64(warmupSeconds)),
            "start": .string(settings.start.rawValue),
            "sudden_rises": .int(Int64(suddenRises)),
            "arrivals": .string(arrivals.rawValue),
            "seed": .int(Int64(bitPattern: seed)),
            "slo_ms": .double(settings.sloSeconds * 1000),
            "policies": .object(policyObject),
        ]
        if !idealCausal.isEmpty {
            object["ideal_causal"] = .array(idealCausal.map {
                .object(["hold_s": .int(Int64($0.holdSeconds)), "slo_minutes_pct": .double(round3($0.sloMinutesPct)),
                         "cost_vs_oracle": .double(round3($0.costVsOracle))])
            })
        }
        return .object(object)
    }

    /// Per-minute CSV: minute, rate, then replicas and p95 (ms) per policy.
    public var minutesCSV: String {
        var lines = ["minute,rate_rps," + policies.map { "\($0.name.rawValue)_replicas,\($0.name.rawValue)_p95_ms" }.joined(separator: ",")]
        for m in minuteRate.indices {
            var fields = [String(m), formatFixed(minuteRate[m], 2)]
            for p in policies {
                fields.append(formatFixed(p.minuteReplicas[m], 2))
                fields.append(formatFixed(p.minuteP95Ms[m], 1))
            }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The decision engine's changes of one policy as CSV: second, from,
    /// to, rule, reason (quoted).
    public func changesCSV(_ name: PolicyName) -> String {
        var lines = ["second,from,to,rule,reason"]
        for change in policy(name)?.changes ?? [] {
            let reason = "\"" + change.reason.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
            lines.append("\(change.second),\(change.from),\(change.to),\(change.rule.rawValue),\(reason)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The stdout table.
    public var table: String {
        var lines: [String] = []
        lines.append("trace \(trace) (\(isBursty ? "bursty" : "smooth"): \(suddenRises) sudden rises), \(durationSeconds) s (after \(warmupSeconds) s warm-up), \(settings.start.rawValue) start, cold start \(formatFixed(model.coldStartSeconds, 0)) s, arrivals \(arrivals.rawValue) (seed \(seed))")
        lines.append("normalisation: peak 1-minute rate \(formatFixed(peakMinuteRate, 3)) rps × \(formatFixed(scale, 4)) = \(formatFixed(peakReplicas, 0)) replicas × \(formatFixed(model.capacityPerReplicaRPS, 1)) rps")
        lines.append(pad("policy", 10) + pad("SLO min %", 11, right: true) + pad("replica-s", 12, right: true)
                     + pad("vs oracle", 11, right: true) + pad("max p95 ms", 12, right: true)
                     + pad("scale ev", 10, right: true) + pad("rev/h", 8, right: true) + pad("worst s", 9, right: true))
        for p in policies {
            lines.append(pad(p.name.rawValue, 10) + pad(formatFixed(p.sloMinutesPct, 2), 11, right: true)
                         + pad(formatFixed(p.replicaSeconds, 0), 12, right: true)
                         + pad(formatFixed(p.costVsOracle, 3), 11, right: true)
                         + pad(formatFixed(p.maxP95Ms, 0), 12, right: true)
                         + pad(String(p.scaleEvents), 10, right: true)
                         + pad(formatFixed(p.reversalsPerHour, 2), 8, right: true)
                         + pad(String(p.longestViolationSeconds), 9, right: true))
        }
        if !idealCausal.isEmpty {
            lines.append("idealised causal policy (sees the oracle's need 1 s late, holds the highest of the last H s):")
            for bound in idealCausal {
                lines.append("  hold \(pad(String(bound.holdSeconds), 5, right: true)) s: \(pad(formatFixed(bound.sloMinutesPct, 2), 6, right: true))% of minutes at \(formatFixed(bound.costVsOracle, 3))x the oracle")
            }
        }
        return lines.joined(separator: "\n")
    }
}

func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
func round6(_ v: Double) -> Double { (v * 1_000_000).rounded() / 1_000_000 }

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}
