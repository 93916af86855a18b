import Synchronization

/// Counts the bytes the server itself copies or converts, at each place it does so, so the
/// zero-copy benchmark (`server-bench`) can show which copies grow with tensor size.
/// Relaxed atomic adds: one per copy, not per element.
public enum DataMovement {
    /// Inputs stacked into the pooled batch buffer (the one copy a batch of N > 1 makes).
    public static let batchAssemblyBytes = Atomic<Int>(0)
    /// JSON input elements converted into a tensor buffer (JSON requests only).
    public static let jsonInputBytes = Atomic<Int>(0)
    /// Binary output bytes written into the response body (the write to the socket's buffer).
    public static let responseBinaryBytes = Atomic<Int>(0)

    public struct Snapshot: Sendable, Equatable {
        public let batchAssemblyBytes: Int
        public let jsonInputBytes: Int
        public let responseBinaryBytes: Int
    }

    public static func snapshot() -> Snapshot {
        Snapshot(batchAssemblyBytes: batchAssemblyBytes.load(ordering: .relaxed),
                 jsonInputBytes: jsonInputBytes.load(ordering: .relaxed),
                 responseBinaryBytes: responseBinaryBytes.load(ordering: .relaxed))
    }
}
