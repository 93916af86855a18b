import SeededRandom

/// Exponential backoff with jitter: 800 ms doubling to 30 s, as kube-rs'
/// watcher default; reset once things are healthy again.
public struct Backoff: Sendable {
    public var initial: Duration = .milliseconds(800)
    public var maximum: Duration = .seconds(30)
    /// Each delay is stretched by a random factor in [1, 1 + jitter).
    public var jitter: Double = 0.2
    private var current: Duration?
    private var random: SplitMix64

    public init(initial: Duration = .milliseconds(800), maximum: Duration = .seconds(30), jitter: Double = 0.2, seed: UInt64 = 0x5EED) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
        self.random = SplitMix64(seed: seed)
    }

    /// The next delay (doubling up to `maximum`).
    public mutating func next() -> Duration {
        let base = current.map { min($0 * 2, maximum) } ?? initial
        current = base
        guard jitter > 0 else { return base }
        let factor = 1 + jitter * Double(random.next() >> 11) / Double(1 << 53)
        return .seconds(base.seconds * factor)
    }

    public mutating func reset() { current = nil }
}
