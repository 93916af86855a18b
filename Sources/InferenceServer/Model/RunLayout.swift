/// How a server runs its batches on the cores it has: `concurrentBatches` batches at
/// once, each on `intraOpThreads` ONNX Runtime threads, each of at most `maxBatchSize`
/// items. `warmup` measures the layouts `RunLayoutChoice.candidates` lists and records
/// what each ran at.
public struct RunLayout: Sendable, Codable, Equatable {
    public var concurrentBatches: Int
    public var intraOpThreads: Int
    public var maxBatchSize: Int
    /// Items per second all batches together ran at (0 until measured).
    public var itemsPerSecond: Double

    public init(concurrentBatches: Int, intraOpThreads: Int, maxBatchSize: Int, itemsPerSecond: Double = 0) {
        self.concurrentBatches = concurrentBatches
        self.intraOpThreads = intraOpThreads
        self.maxBatchSize = maxBatchSize
        self.itemsPerSecond = itemsPerSecond
    }
}

/// Where the served layout (concurrent batches, intra-op threads) came from.
public enum RunLayoutSource: String, Sendable, Codable, Equatable {
    /// `--max-concurrent-batches`, `--intra-op-threads` or `--max-batch-size` (or their variables).
    case setting
    /// Chosen by `warmup` from the layouts it measured.
    case measured
    /// Neither: one batch at a time on every core (ONNX Runtime's own default).
    case fallback
}

/// One batch at a time on every core, or one batch per core on one thread each,
/// chosen from what the model shows. A CNN's operators are small: ONNX Runtime's
/// intra-op threads meet at the end of each one and spin while they wait, so
/// batches that each keep one core busy can run more items per second than one
/// batch on all of them (the OCR classifier on 2 cores: 2,300-2,450 items/s as two
/// batches of 4 on a thread each, 2,050-2,150 as one batch of 8 on two). The
/// price is latency at low load: a batch on one thread takes longer than on all.
/// Pure.
public enum RunLayoutChoice {
    /// More concurrent batches must buy more than this to be chosen: each of their
    /// batches runs on fewer threads, so a request that finds no company waits longer
    /// for its run, and two measurements half a second apart differ by a few % on a
    /// shared machine.
    public static let tolerance = 0.05

    /// The layouts measured on `cores` cores for a model whose chosen batch (one at a
    /// time) is `batchSize`: one batch of `batchSize` on every core, and, with 2 cores or
    /// more, one batch per core on one thread each, `batchSize` split between them (at
    /// least 1), so the same requests in flight keep every batch as full. Only these
    /// two: batches at once share the session's intra-op pool, so a layout in between
    /// (2 batches of 4 threads on 8 cores) would need a session per batch.
    public static func candidates(cores: Int, batchSize: Int) -> [RunLayout] {
        let size = max(1, batchSize)
        var layouts = [RunLayout(concurrentBatches: 1, intraOpThreads: max(1, cores), maxBatchSize: size)]
        if cores >= 2 {
            layouts.append(RunLayout(concurrentBatches: cores, intraOpThreads: 1, maxBatchSize: max(1, size / cores)))
        }
        return layouts
    }

    /// The layout with the fewest concurrent batches whose throughput is within
    /// `tolerance` of the best measured; nil when none is usable.
    public static func choose(_ measured: [RunLayout], tolerance: Double = tolerance) -> RunLayout? {
        BatchSizeChoice.leastWithin(tolerance, of: measured, rate: \.itemsPerSecond, size: \.concurrentBatches)
    }
}
