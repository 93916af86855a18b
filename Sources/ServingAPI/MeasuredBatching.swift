import JSONValue

/// What warming pods measured while `spec.batching.maxBatchSize` is unset:
/// the batcher that the pods which follow run (they only fetch the model, so
/// they have no measurement of their own). Each measuring pod's init
/// container reports its choice as its termination message; the operator
/// reads one when the warming rollout has finished.
public struct MeasuredBatching: Codable, Sendable, Hashable {
    /// What the figures hold for (`BatchingMeasurementKey`: image, GPU model,
    /// model, resources). Another key means measuring again.
    public var key: String
    /// Absent when no pod reported a measurement (`note` says why): the
    /// following pods then run the server's own fallback.
    public var maxBatchSize: Int?
    public var concurrentBatches: Int?
    public var intraOpThreads: Int?
    /// The pod the figures were read from, or why there are none.
    public var note: String?

    public init(key: String, maxBatchSize: Int? = nil, concurrentBatches: Int? = nil, intraOpThreads: Int? = nil, note: String? = nil) {
        self.key = key
        self.maxBatchSize = maxBatchSize
        self.concurrentBatches = concurrentBatches
        self.intraOpThreads = intraOpThreads
        self.note = note
    }

    static var schema: JSON {
        Schema.object(
            "The batcher that warming pods measured while spec.batching.maxBatchSize is unset; the pods that follow run it.",
            [
                ("key", Schema.string("Image, GPU model, model and resources the figures were measured for.", maxLength: 128)),
                ("maxBatchSize", Schema.integer("Largest batch of each concurrent batch.", range: Limits.maxBatchSize)),
                ("concurrentBatches", Schema.integer("Batches run at once.", range: 1...1024)),
                ("intraOpThreads", Schema.integer("ONNX Runtime intra-op threads per batch.", range: 1...1024)),
                ("note", Schema.string("The pod the figures were read from, or why there are none.", maxLength: 1024)),
            ],
            required: ["key"])
    }
}
