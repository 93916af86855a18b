#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import SeededRandom

extension SplitMix64 {
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
