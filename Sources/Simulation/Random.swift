import Foundation

/// SplitMix64: a small, fast generator with a fixed seed, so every run of
/// the simulator sees the same arrivals.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    mutating func unit() -> Double {
        (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    /// A Poisson count: exact (multiplication method) below mean 30, normal
    /// approximation with continuity correction above, where its error is
    /// far below the noise the simulator cares about.
    mutating func poisson(mean: Double) -> Double {
        guard mean > 0 else { return 0 }
        if mean < 30 {
            let limit = exp(-mean)
            var product = unit()
            var count = 0.0
            while product > limit {
                product *= unit()
                count += 1
            }
            return count
        }
        let gaussian = sqrt(-2 * log(unit())) * cos(2 * Double.pi * unit())
        return max(0, (mean + sqrt(mean) * gaussian).rounded())
    }
}
