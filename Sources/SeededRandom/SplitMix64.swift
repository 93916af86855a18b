/// SplitMix64: a small, fast generator with a fixed seed. Everything that
/// must replay the same "random" sequence uses it: backoff jitter and watch
/// timeouts in the controller runtime, the simulator's Poisson arrivals, and
/// the tests' generated and mutated inputs.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1): never exactly 0, so `log(unit())` is finite.
    public mutating func unit() -> Double {
        (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0
    }
}
