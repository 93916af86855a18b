import SeededRandom

/// How arrivals are produced from a trace.
public enum ArrivalMode: String, Sendable, Codable {
    /// Poisson counts at the trace's rate smoothed over 10 s and scaled.
    case poisson
    /// The scaled trace itself, every second, without noise.
    case exact
}

/// The trace turned into what the service receives: the rate the model
/// (and the oracle) knows, and the arrivals per second all policies share.
public struct Workload: Sendable {
    /// Requests/s the latency model and the oracle use, per second.
    public var rate: [Double]
    /// Requests that arrive in each second (same for every policy).
    public var arrivals: [Double]
    /// Factor applied to the trace's rates.
    public var scale: Double
    /// The trace's highest 1-minute mean rate, before scaling.
    public var peakMinuteRate: Double
    /// The highest rate of the trace's first minute (after scaling): what
    /// every policy starts sized for, and the warm-up's level.
    public var firstMinutePeakRate: Double
    /// Leading seconds that are not part of the trace: the highest rate of
    /// the trace's first minute, held so every policy enters the trace settled
    /// (its windows and histories filled) instead of deciding on an empty
    /// history. Not counted in any figure.
    public var warmupSeconds: Int

    /// Scales the trace so its highest 1-minute mean rate equals
    /// `peakReplicas` replicas' capacity; smooths over `smoothingSeconds`
    /// (centred moving average) for Poisson arrivals.
    public init(trace: Trace, capacityPerReplicaRPS: Double, peakReplicas: Double, mode: ArrivalMode,
                seed: UInt64, smoothingSeconds: Int = 10, warmupSeconds: Int = 0) {
        let peak = trace.peakMinuteRate
        let factor = peak > 0 ? peakReplicas * capacityPerReplicaRPS / peak : 1
        peakMinuteRate = peak
        scale = factor
        switch mode {
        case .exact:
            let scaled = trace.rps.map { $0 * factor }
            rate = scaled
            arrivals = scaled
        case .poisson:
            let smoothed = Workload.movingAverage(trace.rps, window: smoothingSeconds).map { $0 * factor }
            var random = SplitMix64(seed: seed)
            rate = smoothed
            arrivals = smoothed.map { random.poisson(mean: $0) }
        }
        firstMinutePeakRate = rate.prefix(60).max() ?? 0
        self.warmupSeconds = 0
        if warmupSeconds > 0 && !rate.isEmpty {
            let level = firstMinutePeakRate
            var random = SplitMix64(seed: seed &+ 0x5741_524D)
            let lead = (0..<warmupSeconds).map { _ in mode == .exact ? level : random.poisson(mean: level) }
            rate = Array(repeating: level, count: warmupSeconds) + rate
            arrivals = lead + arrivals
            self.warmupSeconds = warmupSeconds
        }
    }

    /// Centred moving average; near the ends the window shrinks.
    static func movingAverage(_ values: [Double], window: Int) -> [Double] {
        guard window > 1, !values.isEmpty else { return values }
        var prefix = [0.0]
        prefix.reserveCapacity(values.count + 1)
        for v in values { prefix.append(prefix[prefix.count - 1] + v) }
        let before = window / 2, after = window - before - 1
        return values.indices.map { i in
            let lo = max(0, i - before), hi = min(values.count - 1, i + after)
            return (prefix[hi + 1] - prefix[lo]) / Double(hi - lo + 1)
        }
    }
}
