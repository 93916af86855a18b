/// Per-key exponential backoff combined with an overall token bucket, as
/// controller-runtime's default controller rate limiter: the delay for a
/// key is the larger of the two.
public struct RateLimiter: Sendable {
    /// 5 ms doubling to 1000 s, as client-go's `DefaultControllerRateLimiter`.
    public var baseDelay: Duration = .milliseconds(5)
    public var maxDelay: Duration = .seconds(1000)
    /// 10 qps with a burst of 100, as client-go's bucket rate limiter.
    public var bucketRate: Double = 10
    public var bucketBurst: Double = 100

    private var failures: [String: Int] = [:]
    private var tokens: Double
    private var last: Duration?

    public init(baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000),
                bucketRate: Double = 10, bucketBurst: Double = 100) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.bucketRate = bucketRate
        self.bucketBurst = bucketBurst
        self.tokens = bucketBurst
    }

    /// The delay before `key` may be processed again; counts a failure.
    /// `now` is the elapsed time on the caller's clock.
    public mutating func when(_ key: String, now: Duration) -> Duration {
        let count = failures[key, default: 0]
        failures[key] = count + 1
        let exponent = min(count, 62)
        let factor = Double(1 << UInt64(min(exponent, 40)))
        let backoffSeconds = min(baseDelay.seconds * factor, maxDelay.seconds)
        return max(.seconds(backoffSeconds), bucketDelay(now: now))
    }

    /// Failures counted for `key` since it was last forgotten.
    public func retries(_ key: String) -> Int { failures[key, default: 0] }

    /// Resets `key`'s backoff after a success.
    public mutating func forget(_ key: String) { failures[key] = nil }

    /// Reserves one token; returns how long until it is available.
    private mutating func bucketDelay(now: Duration) -> Duration {
        if let last {
            tokens = min(bucketBurst, tokens + (now - last).seconds * bucketRate)
        }
        last = now
        tokens -= 1
        if tokens >= 0 { return .zero }
        return .seconds(-tokens / bucketRate)
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }
}
