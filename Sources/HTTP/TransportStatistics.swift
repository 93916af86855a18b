import Locking


/// Counters a `CurlTransport` keeps about its own work, for metrics and for
/// tests that check memory stays bounded.
public struct TransportStatistics: Sendable, Equatable {
    /// Transfers started and not yet finished.
    public var activeTransfers = 0
    /// Transfers finished (any outcome).
    public var finishedTransfers = 0
    /// New connections libcurl opened (reused ones do not count).
    public var connectionsOpened = 0
    /// Streaming body bytes received and not yet taken by their consumers.
    public var bufferedBodyBytes = 0
    /// The highest `bufferedBodyBytes` seen.
    public var peakBufferedBodyBytes = 0
    /// Times a stream was paused because its consumer lagged.
    public var pauses = 0

    public init() {}
}

/// Lock-protected `TransportStatistics`, updated from the curl thread and
/// from stream consumers.
final class TransportCounters: Sendable {
    private let state = Locked(TransportStatistics())

    var snapshot: TransportStatistics { state.withLock { $0 } }

    func update(_ change: (inout TransportStatistics) -> Void) {
        state.withLock { stats in
            change(&stats)
            stats.peakBufferedBodyBytes = max(stats.peakBufferedBodyBytes, stats.bufferedBodyBytes)
        }
    }
}
