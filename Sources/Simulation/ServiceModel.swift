#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The model of one InferenceService the policies scale.
///
/// Latency (p95 of requests arriving in a second) follows an M/M/1-like
/// curve in the utilisation ρ = rate / (ready replicas × capacity):
/// p95 = idleP95 / (1 − ρ), i.e. 40 ms idle, 200 ms at ρ = 0.8, 400 ms at
/// 0.9; above `saturation` (0.95, 800 ms) the service is overloaded and a
/// backlog builds at (rate − capacity) per second, adding backlog/capacity
/// seconds of queueing. The curve is a stated assumption until the
/// inference server's own benchmark exists; it is then recalibrated by
/// fitting `idleP95Seconds` and `capacityPerReplicaRPS` to the measured
/// p95-vs-load curve. The rate (not the Poisson counts) drives the curve:
/// M/M/1 already describes Poisson arrivals, so feeding it noisy counts
/// would count the noise twice.
public struct ServiceModel: Sendable, Hashable, Codable {
    /// Requests per second one replica serves at 100% utilisation.
    /// Default 10 (a mid-size model on one GPU; placeholder until measured).
    public var capacityPerReplicaRPS: Double
    /// p95 latency of an idle replica. Default 40 ms.
    public var idleP95Seconds: Double
    /// Utilisation above which the curve stops and the backlog takes over.
    public var saturation: Double
    /// Seconds from ordering a replica to it serving (scheduling, image,
    /// model load, warmup). CPU class 5 s, GPU class 30 s.
    public var coldStartSeconds: Double
    /// What loads the latency curve each second.
    public var load: LatencyLoad
    /// How a window's (a minute's, a scrape's) p95 is formed from its seconds.
    public var windowLatency: WindowLatency

    public init(capacityPerReplicaRPS: Double = 10, idleP95Seconds: Double = 0.040, saturation: Double = 0.95,
                coldStartSeconds: Double = 5, load: LatencyLoad = .rate, windowLatency: WindowLatency = .requests) {
        self.windowLatency = windowLatency
        self.capacityPerReplicaRPS = capacityPerReplicaRPS
        self.idleP95Seconds = idleP95Seconds
        self.saturation = saturation
        self.coldStartSeconds = coldStartSeconds
        self.load = load
    }

    /// p95 in seconds at `rate` with `ready` replicas and `backlog` queued requests.
    @inline(__always)
    func p95(rate: Double, ready: Int, backlog: Double) -> Double {
        let capacity = Double(ready) * capacityPerReplicaRPS
        guard capacity > 0 else { return rate > 0 || backlog > 0 ? 60 : idleP95Seconds }
        let rho = min(rate / capacity, saturation)
        return idleP95Seconds / (1 - rho) + backlog / capacity
    }

    /// Highest utilisation at which p95 stays within `sloSeconds`.
    public func utilizationLimit(sloSeconds: Double) -> Double {
        min(saturation, max(0, 1 - idleP95Seconds / sloSeconds))
    }

    /// The fewest replicas that keep p95 within the SLO at `rate`. When
    /// the curve is loaded by each second's Poisson count (`load ==
    /// .arrivals`), "within" means in expectation over that count: the
    /// share of requests slower than the SLO (requests' p95) or the share of
    /// requests in seconds whose p95 exceeds it (seconds' p95) is at most 5%.
    public func replicasNeeded(rate: Double, sloSeconds: Double) -> Int {
        guard rate > 0 else { return 0 }
        let perReplica = capacityPerReplicaRPS * utilizationLimit(sloSeconds: sloSeconds)
        guard perReplica > 0 else { return Int.max }
        let atRate = Int((rate / perReplica - 1e-9).rounded(.up))
        guard load == .arrivals else { return atRate }
        var n = max(1, atRate)
        while n < atRate + 64, expectedSlowShare(rate: rate, replicas: n, sloSeconds: sloSeconds) > 0.05 { n += 1 }
        return n
    }

    /// Over Poisson(rate) arrivals in a second on `replicas` replicas: the
    /// arrival-weighted share of requests that miss the SLO, as the window
    /// rule counts them (backlog ignored).
    func expectedSlowShare(rate: Double, replicas: Int, sloSeconds: Double) -> Double {
        let capacity = Double(replicas) * capacityPerReplicaRPS
        let spread = 8 * rate.squareRoot() + 5
        let lo = max(0, Int(rate - spread)), hi = Int(rate + spread) + 1
        var slow = 0.0, total = 0.0
        for k in lo...hi where k > 0 {
            let count = Double(k)
            let weight = count * exp(count * log(rate) - rate - lgamma(count + 1))
            let p95 = p95(rate: count, ready: replicas, backlog: 0)
            let share: Double
            switch windowLatency {
            case .requests: share = count / capacity >= saturation ? 1 : pow(20, -sloSeconds / p95)
            case .seconds: share = p95 > sloSeconds + 1e-9 ? 1 : 0
            }
            slow += weight * share
            total += weight
        }
        return total > 0 ? slow / total : 0
    }
}

/// What drives the latency curve each second.
public enum LatencyLoad: String, Sendable, Hashable, Codable, CaseIterable {
    /// The rate the arrivals are drawn at (the smoothed, scaled trace).
    case rate
    /// The requests that actually arrive that second (the Poisson counts).
    case arrivals
}

/// How the p95 of a window of seconds is formed.
public enum WindowLatency: String, Sendable, Hashable, Codable, CaseIterable {
    /// The 95th percentile of all the window's requests (the mixture of each
    /// second's latency distribution, weighted by its arrivals).
    case requests
    /// The 95th percentile of the seconds' p95 values, weighted by arrivals.
    case seconds
}
