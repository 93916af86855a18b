#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The latency quantile of all requests over several seconds.
///
/// Each second's requests have the model's response-time distribution: a
/// queueing delay `d` (backlog / capacity) plus an exponential wait whose
/// 95th percentile is p95 − d (M/M/1: mean = (p95 − d) / ln 20). A window's
/// p95 is the 95th percentile of the mixture of those seconds weighted by
/// their arrivals: what a Prometheus histogram over the window reports, and
/// what "the minute's p95" means for the requests in it. It is at most the
/// highest second's p95 and at least the lowest one's.
struct LatencyMixture {
    private var seconds: [(weight: Double, delay: Double, mean: Double, p95: Double)] = []
    private var total = 0.0

    static let ln20 = log(20.0)

    mutating func reset() {
        seconds.removeAll(keepingCapacity: true)
        total = 0
    }

    mutating func add(p95: Double, delay: Double, weight: Double) {
        guard weight > 0 else { return }
        let delay = min(max(0, delay), p95)
        seconds.append((weight, delay, (p95 - delay) / LatencyMixture.ln20, p95))
        total += weight
    }

    /// Fraction of the requests slower than `x` seconds.
    func fractionAbove(_ x: Double) -> Double {
        guard total > 0 else { return 0 }
        var above = 0.0
        for s in seconds {
            if x < s.delay {
                above += s.weight
            } else if s.mean > 0 {
                above += s.weight * exp(-(x - s.delay) / s.mean)
            }
        }
        return above / total
    }

    /// The q-quantile (0 < q < 1) of the requests' latency; NaN when empty.
    func quantile(_ q: Double) -> Double {
        guard !seconds.isEmpty else { return .nan }
        var lo = Double.infinity, hi = 0.0
        for s in seconds {
            lo = min(lo, s.p95)
            hi = max(hi, s.p95)
        }
        if hi - lo < 1e-9 { return hi }
        let tail = 1 - q
        // fractionAbove falls as x grows; it is >= tail at lo and <= tail at hi.
        for _ in 0..<30 {
            let mid = (lo + hi) / 2
            if fractionAbove(mid) > tail { lo = mid } else { hi = mid }
            if hi - lo < 1e-6 { break }
        }
        return hi
    }
}
