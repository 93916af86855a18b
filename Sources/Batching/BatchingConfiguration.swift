/// Limits of one model's dynamic batcher.
public struct BatchingConfiguration: Sendable, Equatable {
    /// A batch is sent as soon as it holds this many requests. 8, the seed's rule.
    public var maxBatchSize: Int
    /// ...or when its oldest request has waited this long. 50 ms, the seed's rule.
    public var maxQueueDelay: Duration
    /// Requests waiting (not yet in a running batch) beyond which new ones are refused.
    public var maxQueueSize: Int
    /// Batches that may run at once (model instances). 1 keeps a CPU model from fighting itself for cores.
    public var maxConcurrentBatches: Int

    public init(maxBatchSize: Int = 8, maxQueueDelay: Duration = .milliseconds(50), maxQueueSize: Int = 256, maxConcurrentBatches: Int = 1) {
        self.maxBatchSize = max(1, maxBatchSize)
        self.maxQueueDelay = max(.zero, maxQueueDelay)
        self.maxQueueSize = max(1, maxQueueSize)
        self.maxConcurrentBatches = max(1, maxConcurrentBatches)
    }
}

/// Why a request did not get a result from the batcher.
public enum BatchingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The queue already holds `limit` requests; the caller should retry later (HTTP 429).
    case overloaded(limit: Int)
    /// The batcher is draining for shutdown and takes no new requests (HTTP 503).
    case shuttingDown
    /// The batch function broke its contract by returning the wrong number of results.
    case resultCountMismatch(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .overloaded(let limit): return "the request queue is full (\(limit) waiting); retry later"
        case .shuttingDown: return "the server is shutting down"
        case .resultCountMismatch(let expected, let got): return "batch returned \(got) results for \(expected) requests"
        }
    }
}
