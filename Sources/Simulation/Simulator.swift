import Autoscaling

/// What one policy did over one trace, second by second, plus its totals.
public struct PolicyRun: Sendable {
    public var name: PolicyName
    /// Replicas paid for each second (ordered pods, starting or ready).
    public var replicas: [Int32]
    /// p95 (seconds) of requests arriving in each second.
    public var p95: [Float]
    /// Queueing delay (seconds) of requests arriving in each second: the
    /// backlog ahead of them / capacity; part of `p95`.
    public var delay: [Float]
    public var scaleEvents: Int
    public var reversals: Int
    /// The decision engine's changes of replicas, with rule and reason
    /// (empty for the other policies).
    public var changes: [ScaleChange] = []

    /// Targets the decision engine's latency rule set, and when.
    var latencyScaleUps: [TimedReplicas] {
        changes.filter { $0.rule == .latency }.map { TimedReplicas(time: Double($0.second), replicas: $0.to) }
    }
}

/// One change of replicas the decision engine made, as it explained it.
public struct ScaleChange: Sendable, Hashable {
    public var second: Int
    public var from: Int
    public var to: Int
    public var rule: ScalingRule
    public var reason: String
}

/// Replays a workload through a policy in 1 s steps.
///
/// Each second t: (1) if a decision is due, the policy observes what it
/// can see of seconds before t and its target is applied (new replicas are
/// ready `coldStartSeconds` later; removals take pods that are still
/// starting first); (2) the ready replicas serve second t: p95 from the
/// service model, backlog carried over.
/// Observation (Prometheus-like, for `default`, `matrix`, `hpa`,
/// `hpa-util`): scrapes every 15 s; p95 = the 0.95 quantile of the last
/// 60 s of requests (each second's p95 weighted by its arrivals; NaN → no
/// data when there were none), rate = arrivals of the last 60 s / 60,
/// GPU utilisation = mean busy fraction of the ready replicas over the last
/// scrape interval. The KPA reads the per-second arrivals directly (as
/// Knative's autoscaler scrapes its queue-proxies every second).
public struct Simulator: Sendable {
    public var workload: Workload
    public var model: ServiceModel
    public var settings: SimulationSettings

    /// The opening the fresh-start goal looks at: the first 10 minutes.
    public static let openingSeconds = 600

    public init(workload: Workload, model: ServiceModel, settings: SimulationSettings) {
        self.workload = workload
        self.model = model
        self.settings = settings
    }

    /// Arrival prefix sums shared by all policies: prefix[i] = Σ arrivals[0..<i].
    private var arrivalPrefix: [Double] {
        var prefix = [Double](repeating: 0, count: workload.arrivals.count + 1)
        for (i, a) in workload.arrivals.enumerated() { prefix[i + 1] = prefix[i] + a }
        return prefix
    }

    /// Replicas the oracle keeps ready each second: the fewest that keep
    /// p95 within the SLO at the known rate, within [min, max].
    public func oracleReady() -> [Int] {
        var known: [Double: Int] = [:]
        return workload.rate.map { rate in
            if let n = known[rate] { return n }
            let n = min(max(model.replicasNeeded(rate: rate, sloSeconds: settings.sloSeconds), settings.minReplicas), settings.maxReplicas)
            if model.load == .arrivals { known[rate] = n }
            return n
        }
    }

    /// Replicas the oracle pays for: each replica is ordered one cold start
    /// before it must be ready, so at t it pays for the highest need in
    /// [t, t + cold start] (sliding maximum).
    public func oracleOrdered(ready: [Int]) -> [Int] {
        let lead = max(0, Int(model.coldStartSeconds.rounded(.up)))
        // The window [t, t + lead] ahead is a window behind in the reversed
        // series; past the end there is nothing to order for.
        return slidingExtreme(Array(ready.reversed()), window: lead + 1, before: .min, keepLarger: true).reversed()
    }

    /// Replicas every policy starts with, all ready: settled, the oracle's
    /// for the first minute's highest rate; fresh, the minimum. Within
    /// [min, max].
    var startReplicas: Int {
        switch settings.start {
        case .settled:
            return min(max(model.replicasNeeded(rate: workload.firstMinutePeakRate, sloSeconds: settings.sloSeconds),
                           settings.minReplicas), settings.maxReplicas)
        case .fresh:
            return min(max(settings.minReplicas, 0), settings.maxReplicas)
        }
    }

    public func run(_ name: PolicyName) -> PolicyRun {
        if name == .oracle { return runOracle() }
        var controller = Controller.make(name, model: model, settings: settings)
        let n = workload.rate.count
        let prefix = arrivalPrefix
        let scrape = max(1, settings.scrapeIntervalSeconds)
        let window = max(1, settings.rateWindowSeconds)
        let interval = controller.interval
        let coldStart = max(0, Int(model.coldStartSeconds.rounded()))

        // Settled: with the replicas the oracle holds for the first minute's
        // highest rate, all ready (then the warm-up, if any, lets each settle
        // at the first minute's mean before the trace). Fresh: at the minimum.
        let initial = startReplicas
        var ready = initial
        var pending: [Int] = []   // ready-at seconds, ascending
        var pendingHead = 0
        var backlog = 0.0

        var replicas = [Int32](repeating: 0, count: n)
        var p95 = [Float](repeating: 0, count: n)
        var delay = [Float](repeating: 0, count: n)
        var busy = [Double](repeating: 0, count: n)       // busy fraction of ready replicas
        var busyPrefix = [Double](repeating: 0, count: n + 1)
        var events = ScaleEvents(countFrom: workload.warmupSeconds)
        var scratch = WindowScratch()
        var changes: [ScaleChange] = []

        for t in 0..<n {
            if t % interval == 0 && t > 0 {
                let current = ready + pending.count - pendingHead
                let target: Int
                switch controller {
                case .kpa(let config, let state):
                    // Knative's autoscaler reads the per-second arrivals, not Prometheus.
                    let stable = min(t, Int(config.stableWindowSeconds))
                    let panic = max(1, min(t, Int(config.stableWindowSeconds * config.panicWindowPercentage / 100)))
                    let stableAverage = stable > 0 ? (prefix[t] - prefix[t - stable]) / Double(stable) : 0
                    let panicAverage = (prefix[t] - prefix[t - panic]) / Double(panic)
                    let result = kpaDecide(config: config, state: state, stableAverage: stableAverage,
                                           panicAverage: panicAverage, readyReplicas: ready, now: Double(t))
                    controller = .kpa(config, result.state)
                    target = result.replicas
                case .oracle:
                    target = current
                case .engine, .hpaLatency, .hpaUtilization:
                    let observation = observe(t: t - t % scrape, window: window, scrape: scrape, current: current, ready: ready,
                                              prefix: prefix, p95: p95, delay: delay, busyPrefix: busyPrefix, scratch: &scratch)
                    let decided = controller.decide(observing: observation, now: Double(t))
                    target = decided?.target ?? current
                    if let decision = decided?.decision, target != current {
                        changes.append(ScaleChange(second: t - workload.warmupSeconds, from: current, to: target,
                                                   rule: decision.rule, reason: decision.reason))
                    }
                }
                if target != current {
                    events.record(up: target > current, at: t)
                    if target > current {
                        for _ in 0..<(target - current) { pending.append(t + coldStart) }
                    } else {
                        var remove = current - target
                        while remove > 0 && pending.count > pendingHead { pending.removeLast(); remove -= 1 }
                        ready -= remove
                    }
                }
            }
            while pendingHead < pending.count && pending[pendingHead] <= t {
                ready += 1
                pendingHead += 1
            }
            if pendingHead > 1024 { pending.removeFirst(pendingHead); pendingHead = 0 }

            step(t: t, ready: ready, backlog: &backlog, p95: &p95, delay: &delay, busy: &busy)
            busyPrefix[t + 1] = busyPrefix[t] + busy[t]
            replicas[t] = Int32(ready + pending.count - pendingHead)
        }
        return PolicyRun(name: name, replicas: replicas, p95: p95, delay: delay, scaleEvents: events.count, reversals: events.reversals,
                         changes: changes)
    }

    func runOracle() -> PolicyRun {
        let readyNeed = oracleReady()
        let ordered = oracleOrdered(ready: readyNeed)
        let n = workload.rate.count
        var p95 = [Float](repeating: 0, count: n)
        var delay = [Float](repeating: 0, count: n)
        var busy = [Double](repeating: 0, count: n)
        var backlog = 0.0
        var events = ScaleEvents(countFrom: workload.warmupSeconds)
        for t in 0..<n {
            if t > 0 && ordered[t] != ordered[t - 1] { events.record(up: ordered[t] > ordered[t - 1], at: t) }
            step(t: t, ready: readyNeed[t], backlog: &backlog, p95: &p95, delay: &delay, busy: &busy)
        }
        return PolicyRun(name: .oracle, replicas: ordered.map { Int32($0) }, p95: p95, delay: delay,
                         scaleEvents: events.count, reversals: events.reversals)
    }

    /// Serves second t with `ready` replicas. The model treats
    /// `saturation × capacity` as the usable capacity: any rate above it
    /// accumulates as backlog, which drains when the rate falls below.
    @inline(__always)
    func step(t: Int, ready: Int, backlog: inout Double, p95: inout [Float], delay: inout [Float],
              busy: inout [Double]) {
        let rate = model.load == .rate ? workload.rate[t] : workload.arrivals[t]
        let capacity = Double(ready) * model.capacityPerReplicaRPS
        backlog = max(0, backlog + rate - capacity * model.saturation)
        p95[t] = Float(model.p95(rate: rate, ready: ready, backlog: backlog))
        delay[t] = capacity > 0 ? Float(backlog / capacity) : 0
        busy[t] = capacity > 0 ? min(1, (workload.arrivals[t] + backlog) / capacity) : 0
    }

    /// What a Prometheus-reading policy sees at a scrape made at `t`.
    func observe(t: Int, window: Int, scrape: Int, current: Int, ready: Int, prefix: [Double], p95: [Float],
                 delay: [Float], busyPrefix: [Double], scratch: inout WindowScratch) -> Observation {
        let from = max(0, t - window)
        let requests = prefix[t] - prefix[from]
        let seconds = Double(max(1, t - from))
        let latency: SignalValue
        if requests > 0 {
            latency = .value(windowP95(from: from, to: t, p95: p95, delay: delay, scratch: &scratch))
        } else {
            latency = .noData
        }
        let utilFrom = max(0, t - scrape)
        let utilization = t > utilFrom ? (busyPrefix[t] - busyPrefix[utilFrom]) / Double(t - utilFrom) * 100 : 0
        return Observation(p95Latency: latency, gpuUtilization: .value(utilization),
                           requestRate: .value(requests / seconds), currentReplicas: current, readyReplicas: ready)
    }
}

extension Simulator {
    /// p95 of the requests arriving in seconds [from, to), as the model's
    /// `windowLatency` defines it; NaN when none arrived.
    func windowP95(from: Int, to: Int, p95: [Float], delay: [Float], scratch: inout WindowScratch) -> Double {
        switch model.windowLatency {
        case .requests:
            scratch.mixture.reset()
            for s in from..<to where workload.arrivals[s] > 0 {
                scratch.mixture.add(p95: Double(p95[s]), delay: Double(delay[s]), weight: workload.arrivals[s])
            }
            return scratch.mixture.quantile(0.95)
        case .seconds:
            scratch.quantile.reset()
            for s in from..<to where workload.arrivals[s] > 0 {
                scratch.quantile.add(Double(p95[s]), weight: workload.arrivals[s])
            }
            return scratch.quantile.quantile(0.95)
        }
    }
}

/// Buffers reused by every window p95 of a run (one per window rule).
struct WindowScratch {
    var quantile = WeightedQuantile()
    var mixture = LatencyMixture()
}

/// Scale events and direction reversals of a run, counted from `countFrom`
/// (the end of the warm-up); the direction before it still sets what a
/// later change reverses.
struct ScaleEvents {
    let countFrom: Int
    private(set) var count = 0
    private(set) var reversals = 0
    private var lastUp: Bool?

    init(countFrom: Int) { self.countFrom = countFrom }

    mutating func record(up: Bool, at t: Int) {
        if t >= countFrom {
            count += 1
            if let lastUp, lastUp != up { reversals += 1 }
        }
        lastUp = up
    }
}

/// The q-quantile of weighted values (each second's p95 weighted by its
/// requests): the smallest value whose cumulative weight reaches q.
struct WeightedQuantile {
    private var values: [(value: Double, weight: Double)] = []

    mutating func reset() { values.removeAll(keepingCapacity: true) }
    mutating func add(_ value: Double, weight: Double) { values.append((value, weight)) }

    mutating func quantile(_ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        values.sort { $0.value < $1.value }
        let total = values.reduce(0) { $0 + $1.weight }
        var cumulative = 0.0
        for entry in values {
            cumulative += entry.weight
            if cumulative >= q * total - 1e-9 { return entry.value }
        }
        return values[values.count - 1].value
    }
}
