/// Elapsed time and sleeping taken from an injected `Clock`, so components
/// need not be generic over the clock type. Tests pass `TestSupport.ManualClock`.
public struct TimeSource: Sendable {
    /// Time elapsed since the source was made.
    public let now: @Sendable () -> Duration
    public let sleep: @Sendable (Duration) async throws -> Void

    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let start = clock.now
        now = { start.duration(to: clock.now) }
        sleep = { duration in try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil) }
    }

    public static var continuous: TimeSource { TimeSource(ContinuousClock()) }
}
