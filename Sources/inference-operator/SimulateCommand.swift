import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming
import Autoscaling
import Operator
import ServingAPI
import Simulation
import YAML

/// `inference-operator simulate`: replays a request-rate trace through the
/// scaling policies (the operator's own decision engine and the baselines)
/// and reports SLO attainment, cost and stability.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Replay a request-rate trace through the scaling policies and compare them.")

    @Option(name: .long, help: "Trace CSV with header t_s,rps (one or more --trace).")
    var trace: [String] = []

    @Option(name: .long, help: "Policy to run (repeatable; default all).")
    var policy: [PolicyName] = []

    @Option(name: .long, help: "Seconds from ordering a replica to it serving (CPU class 5, GPU class 30).")
    var coldStart: Double = 5

    @Option(name: .long, help: "Scale the trace so its highest 1-minute mean rate needs this many replicas' capacity.")
    var peakReplicas: Double = 8

    @Option(name: .long, help: "Requests/s one replica serves at 100% utilisation (latency model).")
    var capacity: Double = 10

    @Option(name: .long, help: "Seed of the Poisson arrivals.")
    var seed: UInt64 = 1

    @Flag(name: .long, help: "Replay the scaled trace rate exactly instead of Poisson arrivals.")
    var exactArrivals = false

    @Flag(name: .long, help: "Print one JSON object per trace instead of the table.")
    var json = false

    @Option(name: .long, help: "Write an SVG plot (load, replicas, p95 per policy). With several traces, the trace name is inserted before .svg.")
    var svg: String?

    @Option(name: .long, help: "Write per-minute load, replicas and p95 of every policy as CSV (trace name inserted with several traces).")
    var minutesCsv: String?

    @Option(name: .long, help: "Write every change of replicas the default policy made, with its rule and reason, as CSV (trace name inserted with several traces).")
    var decisionsCsv: String?

    @Option(name: .long, help: "Sweep: start utilisation of the default policy's rate rule (shipped \(Shipped.policy.requestRate?.targetUtilization ?? 0)).")
    var defaultUtilization: Double?

    @Option(name: .long, help: "Sweep: scale-down stabilisation window of the default policy, seconds (shipped \(Int(Shipped.policy.scaleDown?.stabilizationWindowSeconds ?? 0))).")
    var defaultWindow: Double?

    @Option(name: .long, help: "Sweep: lookahead of the default policy's rate trend, seconds (0 = off).")
    var defaultLookahead: Double?

    @Option(name: .long, help: "Sweep: seconds of evidence the adaptive headroom needs to raise its target (shipped \(Int(Shipped.policy.requestRate?.adaptive?.raiseHorizonSeconds ?? 0))).")
    var defaultRaiseHorizon: Double?

    @Flag(name: .long, help: "Sweep: turn off the default policy's adaptive headroom.")
    var defaultFixedHeadroom = false

    @Option(name: .long, help: "Sweep: how long the default policy holds a burst's size, seconds (shipped \(Int(Shipped.policy.burst?.holdSeconds ?? 0))).")
    var defaultBurstHold: Double?


    @Option(name: .long, help: "Ablation: run the default policy without one improvement: rate (and all that needs it), adaptive, scale-down, burst, last-rise (the burst rule's sizing from the last rise), hold-scale-ups (the burst hold keeping other rules' scale-ups), recurrence (every burst starts the hold, not only recurring ones) (repeatable).")
    var defaultWithout: [String] = []

    @Option(name: .long, help: "Sweep: the default policy as JSON (a ScalingPolicy, as --print-default-policy writes it); replaces the shipped one before the other --default-* flags apply.")
    var defaultPolicyJson: String?

    @Flag(name: .long, help: "Print the shipped default policy (for --capacity) as JSON and exit.")
    var printDefaultPolicy = false

    @Option(name: .long, help: "Latency model: p95 of an idle replica in ms (40; the SLO is reached where idle/(1-utilisation) = 200 ms).")
    var idleP95Ms: Double = 40

    @Option(name: .long, help: "Latency model: what loads the curve each second: rate (the rate arrivals are drawn at) or arrivals (that second's Poisson count; the oracle then sizes for that noise). With --window-latency seconds this reproduces the terrain the issue describes.")
    var latencyLoad: LatencyLoad = .rate

    @Option(name: .long, help: "Latency model: a minute's (and a scrape's) p95 is that of its requests (requests) or the 95th percentile of its seconds' p95 values (seconds).")
    var windowLatency: WindowLatency = .requests

    @Option(name: .long, help: "Also run the idealised causal policy (a yardstick, not a policy: it sees the oracle's per-second need 1 s late and holds the highest of the last H seconds) for these holds, comma-separated seconds, e.g. 0,60,300,600.")
    var idealCausalHolds: String?

    @Option(name: .long, help: "Seconds every policy runs at the highest rate of the trace's first minute before the trace starts, so none begins with empty windows; not counted. 0 (default): every policy starts with the oracle's replicas for that rate, all ready, and no history.")
    var warmupSeconds: Int = 0

    // Like for like with a running object (the live demo's summary): its policy, bounds and SLO,
    // and the Prometheus timing its queries use, instead of the simulator's shipped setup.

    @Option(name: .long, help: "An InferenceService (YAML or JSON, as applied): `default` runs its autoscaling spec as the operator maps it (its matrix rules alone when it sets no requestRate.capacityPerReplicaRPS), and its replicas.min/max and latency thresholdMs become every policy's bounds and the SLO (the flags below override them).")
    var object: String?

    @Option(name: .long, help: "Lowest replica count of every policy (default 2, the matrix's idle floor; with --object its replicas.min).")
    var minReplicas: Int?

    @Option(name: .long, help: "Highest replica count of every policy (default 16, the p95 rule's cap; with --object its replicas.max).")
    var maxReplicas: Int?

    @Option(name: .long, help: "Latency SLO in ms: a minute is within it when its p95 is at most this (default 200; with --object its latency thresholdMs).")
    var sloMs: Double?

    @Option(name: .long, help: "Prometheus scrape interval of the observation model, seconds.")
    var scrapeInterval: Int = 15

    @Option(name: .long, help: "Window of the observed rate and p95, seconds (the default queries read [1m]).")
    var rateWindow: Int = 60

    @Option(name: .long, help: "How every policy begins: settled (the oracle's replicas for the first minute's highest rate, all ready, no history) or fresh (just created: minReplicas, no history, the trace's traffic is its first).")
    var start: SimulationStart = .settled

    func validate() throws {
        if printDefaultPolicy { return }
        if trace.isEmpty { throw ValidationError("give at least one --trace FILE") }
        if !(coldStart >= 0 && coldStart <= 3600) { throw ValidationError("--cold-start must be between 0 and 3600 seconds") }
        if !(peakReplicas > 0) { throw ValidationError("--peak-replicas must be > 0") }
        if !(capacity > 0) { throw ValidationError("--capacity must be > 0") }
        if !(warmupSeconds >= 0 && warmupSeconds <= 86_400) { throw ValidationError("--warmup-seconds must be between 0 and 86400") }
        if start == .fresh && warmupSeconds > 0 {
            throw ValidationError("--start fresh begins without history: it cannot be combined with --warmup-seconds")
        }
        if let idealCausalHolds, parsedHolds(idealCausalHolds) == nil {
            throw ValidationError("--ideal-causal-holds must be comma-separated whole seconds from 0 to 86400, not \"\(idealCausalHolds)\"")
        }
        if object != nil && defaultPolicyJson != nil { throw ValidationError("give --object or --default-policy-json, not both") }
        if let minReplicas, minReplicas < 0 { throw ValidationError("--min-replicas must be >= 0") }
        if let maxReplicas, maxReplicas < max(1, minReplicas ?? 0) { throw ValidationError("--max-replicas must be >= max(1, --min-replicas)") }
        if let sloMs, !(sloMs > 0 && sloMs.isFinite) { throw ValidationError("--slo-ms must be > 0") }
        if !(1...3600).contains(scrapeInterval) { throw ValidationError("--scrape-interval must be between 1 and 3600 seconds") }
        if !(1...86_400).contains(rateWindow) { throw ValidationError("--rate-window must be between 1 and 86400 seconds") }
        // With --object the SLO may come from the object; run() checks the idle p95 against it.
        if object == nil {
            let slo = sloMs ?? 200
            if !(idleP95Ms > 0 && idleP95Ms < slo) {
                throw ValidationError("--idle-p95-ms must be in (0, \(formatted(slo))): the SLO is \(formatted(slo)) ms")
            }
        }
    }

    func run() throws {
        let policies = policy.isEmpty ? PolicyName.allCases : policy
        let model = ServiceModel(capacityPerReplicaRPS: capacity, idleP95Seconds: idleP95Ms / 1000, coldStartSeconds: coldStart,
                                 load: latencyLoad, windowLatency: windowLatency)
        var defaultPolicy = ScalingPolicy.recommended(capacityPerReplicaRPS: capacity)
        var settings = SimulationSettings(scrapeIntervalSeconds: scrapeInterval, rateWindowSeconds: rateWindow)
        if let object {
            let service = try loadObject(object)
            defaultPolicy = PolicyMapping.policy(for: service.spec, followFallback: false)
            settings.minReplicas = service.spec.replicas.min
            settings.maxReplicas = service.spec.replicas.max
            if let latency = defaultPolicy.latency { settings.sloSeconds = latency.thresholdMilliseconds / 1000 }
        }
        if let minReplicas { settings.minReplicas = minReplicas }
        if let maxReplicas { settings.maxReplicas = maxReplicas }
        if let sloMs { settings.sloSeconds = sloMs / 1000 }
        if object != nil && !(idleP95Ms > 0 && idleP95Ms < settings.sloSeconds * 1000) {
            throw ValidationError("--idle-p95-ms must be in (0, \(formatted(settings.sloSeconds * 1000))): the SLO is \(formatted(settings.sloSeconds * 1000)) ms")
        }
        if printDefaultPolicy {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(defaultPolicy), as: UTF8.self))
            return
        }
        if let path = defaultPolicyJson {
            do {
                defaultPolicy = try JSONDecoder().decode(ScalingPolicy.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw ValidationError("--default-policy-json \(path): \(error)")
            }
        }
        if let defaultUtilization { defaultPolicy.requestRate?.targetUtilization = defaultUtilization }
        if let defaultWindow { defaultPolicy.scaleDown?.stabilizationWindowSeconds = defaultWindow }
        if let defaultLookahead { defaultPolicy.requestRate?.lookaheadSeconds = defaultLookahead }
        if let defaultRaiseHorizon { defaultPolicy.requestRate?.adaptive?.raiseHorizonSeconds = defaultRaiseHorizon }
        if defaultFixedHeadroom { defaultPolicy.requestRate?.adaptive = nil }
        if let defaultBurstHold { defaultPolicy.burst?.holdSeconds = defaultBurstHold }
        for part in defaultWithout {
            switch part {
            case "rate": defaultPolicy.requestRate = nil; defaultPolicy.scaleDown = nil; defaultPolicy.burst = nil
            case "adaptive": defaultPolicy.requestRate?.adaptive = nil
            case "scale-down": defaultPolicy.scaleDown = nil
            case "burst": defaultPolicy.burst = nil
            case "last-rise": defaultPolicy.burst?.sizesFromLastRise = false
            case "hold-scale-ups": defaultPolicy.burst?.holdKeepsScaleUpsSeconds = 0
            case "recurrence": defaultPolicy.burst?.holdNeedsRecurrence = false
            default: throw ValidationError("--default-without: unknown improvement \"\(part)\"; use rate, adaptive, scale-down, burst, last-rise, hold-scale-ups or recurrence")
            }
        }
        let problems = defaultPolicy.validationErrors()
        if !problems.isEmpty { throw ValidationError("default policy: " + problems.joined(separator: "; ")) }
        settings.defaultPolicy = defaultPolicy
        settings.start = start
        for path in trace {
            let started = ContinuousClock.now
            let loaded: Trace
            do {
                loaded = try Trace.load(path: path)
            } catch {
                throw ValidationError(error.description)
            }
            let mode: ArrivalMode = exactArrivals ? .exact : .poisson
            let workload = Workload(trace: loaded, capacityPerReplicaRPS: capacity, peakReplicas: peakReplicas,
                                    mode: mode, seed: seed, warmupSeconds: warmupSeconds)
            let simulator = Simulator(workload: workload, model: model, settings: settings)
            let report = simulator.report(traceName: loaded.name, isBursty: loaded.isBursty, suddenRises: loaded.suddenRises,
                                          policies: policies,
                                          peakReplicas: peakReplicas, arrivals: mode, seed: seed,
                                          idealCausalHolds: idealCausalHolds.flatMap(parsedHolds) ?? [])
            let elapsed = ContinuousClock.now - started
            if json {
                print(report.json.serialized())
            } else {
                print(report.table)
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print("simulated \(loaded.rps.count) s of trace for \(policies.count) policies in \((seconds * 1000).rounded() / 1000) s\n")
            }
            if let minutesCsv {
                let out = trace.count > 1 ? insert(loaded.name, into: minutesCsv, suffix: ".csv") : minutesCsv
                do {
                    try report.minutesCSV.write(toFile: out, atomically: true, encoding: .utf8)
                } catch {
                    throw ValidationError("cannot write \(out): \(ErrorText.plain(error))")
                }
            }
            if let decisionsCsv {
                let out = trace.count > 1 ? insert(loaded.name, into: decisionsCsv, suffix: ".csv") : decisionsCsv
                do {
                    try report.changesCSV(.default).write(toFile: out, atomically: true, encoding: .utf8)
                } catch {
                    throw ValidationError("cannot write \(out): \(ErrorText.plain(error))")
                }
            }
            if let svg {
                let out = trace.count > 1 ? insert(loaded.name, into: svg, suffix: ".svg") : svg
                do {
                    try SVGPlot().render(report).write(toFile: out, atomically: true, encoding: .utf8)
                } catch {
                    throw ValidationError("cannot write \(out): \(ErrorText.plain(error))")
                }
            }
        }
    }

    /// The InferenceService in `path` (YAML or JSON), defaulted and
    /// validated as the operator reads it.
    private func loadObject(_ path: String) throws -> InferenceService {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("--object \(path): \(ErrorText.plain(error))")
        }
        do {
            return try InferenceService.decodeValidated(try YAML.parse(text))
        } catch {
            throw ValidationError("--object \(path): \(error)")
        }
    }

    /// 200 → "200", 212.5 → "212.5".
    private func formatted(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// "0,60,300" → [0, 60, 300]; nil when any part is not a whole number in 0...86400.
    private func parsedHolds(_ text: String) -> [Int]? {
        var holds: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let hold = Int(part.trimmingWhitespace()), (0...86_400).contains(hold) else { return nil }
            holds.append(hold)
        }
        return holds
    }

    /// `out.svg` + `trace` → `out-trace.svg`.
    private func insert(_ name: String, into path: String, suffix: String) -> String {
        path.hasSuffix(suffix) ? String(path.dropLast(suffix.count)) + "-\(name)\(suffix)" : path + "-\(name)\(suffix)"
    }
}

// The simulator's choices as typed options: ArgumentParser checks them and
// lists the allowed values in --help and in its error message.
extension PolicyName: ExpressibleByArgument {}
extension LatencyLoad: ExpressibleByArgument {}
extension WindowLatency: ExpressibleByArgument {}
extension SimulationStart: ExpressibleByArgument {}

/// The shipped default policy, for help texts that name its values (so they
/// cannot drift from it).
private enum Shipped {
    static let policy = ScalingPolicy.recommended(capacityPerReplicaRPS: 10)
}
