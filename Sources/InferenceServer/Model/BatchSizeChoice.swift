/// Items per second the model ran at one batch size (measured by `warmup`).
public struct BatchThroughput: Sendable, Codable, Equatable {
    public var batchSize: Int
    public var itemsPerSecond: Double

    public init(batchSize: Int, itemsPerSecond: Double) {
        self.batchSize = batchSize
        self.itemsPerSecond = itemsPerSecond
    }
}

/// Where the batcher's largest batch came from.
public enum BatchSizeSource: String, Sendable, Codable, Equatable {
    /// `--max-batch-size` or `MAX_BATCH_SIZE`.
    case setting
    /// Chosen by `warmup` from the model's measured throughput curve.
    case measured
    /// Neither: no setting and no warmup report beside the model.
    case fallback
}

/// The batcher's default largest batch, chosen from what the model shows
/// rather than a constant: the smallest batch size whose throughput is within
/// `tolerance` of the best measured. A larger batch than that buys (almost) no
/// throughput and costs every request in it the wait for the batch to fill
/// and the longer run. Pure.
public enum BatchSizeChoice {
    /// The largest batch size `warmup` measures when nothing limits it.
    public static let searchLimit = 32
    /// "Within a few %" of the best: 2%. The server pays per-batch costs of its
    /// own (stacking inputs, one ORT call, the responses) that larger batches
    /// spread thinner, so a size that loses raw throughput loses more through the
    /// server: with 5%, MiniLM's warmup chose 16 (94.5-97.3% of batch 32's raw
    /// rate) and the server reached 0.87 of raw ORT's best at concurrency 32;
    /// with 32 it reached 0.90-0.91 (docs/inference-server.md). Two sizes within
    /// 2% of each other are as good as each other within the probe's own spread.
    public static let tolerance = 0.02
    /// Without a setting or a measurement: the seed's rule.
    public static let fallback = 8
    /// The sizes `serve` takes from a warmup report (as the CRD's `maxBatchSize` range).
    public static let accepted = 1...1024

    /// Batch sizes measured up to `limit`: the powers of two, and `limit`
    /// itself. Empty for a limit below 1.
    public static func candidates(upTo limit: Int) -> [Int] {
        guard limit >= 1 else { return [] }
        var sizes: [Int] = []
        var size = 1
        while size < limit {
            sizes.append(size)
            size *= 2
        }
        sizes.append(limit)
        return sizes
    }

    /// The smallest batch size within `tolerance` of the best throughput;
    /// nil when no measurement is usable (empty, or none finite and positive).
    public static func choose(_ curve: [BatchThroughput], tolerance: Double = tolerance) -> Int? {
        leastWithin(tolerance, of: curve, rate: \.itemsPerSecond, size: \.batchSize)?.batchSize
    }

    /// Of the measurements with a size of at least 1 and a finite, positive rate, the one
    /// with the least size whose rate is within `tolerance` of the best; nil when none is
    /// usable. The rule both of warmup's choices follow (batch size, run layout).
    static func leastWithin<T>(_ tolerance: Double, of measured: [T], rate: KeyPath<T, Double>, size: KeyPath<T, Int>) -> T? {
        let usable = measured.filter { $0[keyPath: size] >= 1 && $0[keyPath: rate].isFinite && $0[keyPath: rate] > 0 }
        guard let best = usable.map({ $0[keyPath: rate] }).max() else { return nil }
        return usable.filter { $0[keyPath: rate] >= (1 - tolerance) * best }.min { $0[keyPath: size] < $1[keyPath: size] }
    }
}
