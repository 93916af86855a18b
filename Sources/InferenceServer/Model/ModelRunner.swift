import Batching
import InferenceProtocol
import Locking
import NIOCore
import NIOPosix
import ONNXRuntime
import Tracing

/// One request's outputs and how its batch went (for the request's span and logs).
public struct InferResult: Sendable {
    public let outputs: [OutputSlice]
    /// Time between queueing and the batch starting.
    public let queueWait: Duration
    /// Requests in the batch that carried this one.
    public let batchSize: Int
    /// The batch span's context, when tracing is on.
    public let batchTrace: ServiceContext?
}

/// How a runner's batches share the cores, for metadata and logs.
public struct RunnerLayout: Sendable, Equatable {
    public var source: RunLayoutSource
    /// ONNX Runtime's intra-op threads per batch (0: one per core, its default).
    public var intraOpThreads: Int
    /// The layouts `warmup` measured (empty unless the layout came from its report).
    public var measured: [RunLayout]

    public init(source: RunLayoutSource = .fallback, intraOpThreads: Int = 0, measured: [RunLayout] = []) {
        self.source = source
        self.intraOpThreads = intraOpThreads
        self.measured = measured
    }
}

/// One served model: its session, its batcher, and the thread pool ONNX Runtime runs on.
public final class ModelRunner: Sendable {
    public let name: String
    public let session: ORTSession
    public let batchingEnabled: Bool
    /// The largest batch the batcher forms (1 when batching is off).
    public let maxBatchSize: Int
    /// Where `maxBatchSize` came from, and the throughput curve `warmup` measured (empty without one).
    public let batchSizeSource: BatchSizeSource
    public let batchThroughput: [BatchThroughput]
    /// Batches run at once, and how that was chosen.
    public let concurrentBatches: Int
    public let layout: RunnerLayout
    let metrics: ServerMetrics
    let batcher: DynamicBatcher<BatchItem, InferResult, BatchKey, ContinuousClock>
    private let pool: BufferPool

    /// - Parameters:
    ///   - threadPool: runs `OrtApi::Run` off the async executors; size it to `maxConcurrentBatches`.
    ///   - tracer: when set, each batch gets a span linked to its requests' spans.
    ///   - batchSizeSource, batchThroughput: how `batching.maxBatchSize` was chosen (for metadata and logs).
    ///   - layout: how the concurrent batches and intra-op threads were chosen (for metadata and logs).
    public init(name: String, session: ORTSession, batching: BatchingConfiguration, threadPool: NIOThreadPool,
                metrics: ServerMetrics, tracer: (any Tracer)? = nil,
                batchSizeSource: BatchSizeSource = .setting, batchThroughput: [BatchThroughput] = [],
                layout: RunnerLayout = RunnerLayout()) {
        self.name = name
        self.session = session
        self.metrics = metrics
        let enabled = session.info.supportsBatching && batching.maxBatchSize > 1
        self.batchingEnabled = enabled
        var configuration = batching
        if !enabled { configuration.maxBatchSize = 1 }
        self.maxBatchSize = configuration.maxBatchSize
        self.batchSizeSource = batchSizeSource
        self.batchThroughput = batchThroughput
        self.concurrentBatches = configuration.maxConcurrentBatches
        self.layout = layout
        let pool = BufferPool()
        self.pool = pool
        batcher = DynamicBatcher(configuration: configuration, clock: ContinuousClock()) { items in
            try await Self.traced(items, model: name, tracer: tracer) {
                try await Self.execute(items, session: session, pool: pool, threadPool: threadPool, metrics: metrics)
            }
        }
    }

    public var queueDepth: Int { batcher.queueDepth }

    /// Validates, queues, and returns this request's outputs.
    /// - Parameter trace: the request span's context, which the batch span links to.
    public func infer(_ request: InferRequest, trace: ServiceContext? = nil) async throws(InferenceError) -> InferResult {
        let (inputs, rows, outputs) = try BatchPlan.validate(request, model: session.info, batching: batchingEnabled)
        let item = BatchItem(inputs: inputs, rows: rows, outputNames: outputs, enqueuedAt: .now, trace: trace)
        do {
            return try await batcher.submit(item, key: BatchPlan.key(for: item))
        } catch let error as InferenceError {
            throw error
        } catch BatchingError.overloaded {
            throw .overloaded(retryAfterSeconds: 1)
        } catch BatchingError.shuttingDown {
            throw .notReady("the server is shutting down")
        } catch let error as ORTError {
            throw .inferenceFailed(error.description)
        } catch is CancellationError {
            throw .notReady("request cancelled")
        } catch {
            throw .inferenceFailed("\(error)")
        }
    }

    /// Runs the batcher until shutdown (graceful: queued requests still run).
    public func run() async { await batcher.run() }
    public func shutdown() { batcher.shutdown() }

    /// Runs the model once per batch size 1, 2, 4 ... maxBatchSize with zero-filled inputs,
    /// so ONNX Runtime allocates and plans before the first real request (its arena grows to
    /// the largest; the powers of two in between keep a start at batch 32 to 6 runs, not 32).
    public func warm(upTo maxBatchSize: Int) throws(ORTError) {
        let sizes = batchingEnabled ? BatchSizeChoice.candidates(upTo: max(1, maxBatchSize)) : [1]
        for size in sizes {
            _ = try session.run(WarmupInputs.make(for: session.info, batch: size))
        }
    }

    // MARK: - Batch execution

    /// Runs `body` inside the batch span (when tracing is on) and packs each request's result.
    private static func traced(
        _ items: [BatchItem], model: String, tracer: (any Tracer)?, _ body: () async throws -> [[OutputSlice]]
    ) async throws -> [InferResult] {
        let started = ContinuousClock.now
        guard let tracer, items.contains(where: { $0.trace != nil }) else {
            return try await body().enumerated().map { index, outputs in
                InferResult(outputs: outputs, queueWait: started - items[index].enqueuedAt, batchSize: items.count, batchTrace: nil)
            }
        }
        let span = tracer.startSpan("inference batch", context: .topLevel, ofKind: .internal)
        defer { span.end() }
        var maxWait = Duration.zero
        for item in items {
            maxWait = max(maxWait, started - item.enqueuedAt)
            if let trace = item.trace { span.addLink(SpanLink(context: trace, attributes: [:])) }
        }
        span.attributes[TraceAttribute.model] = model
        span.attributes[TraceAttribute.batchSize] = items.count
        span.attributes[TraceAttribute.batchRows] = items.reduce(0) { $0 + $1.rows }
        span.attributes[TraceAttribute.maxQueueWaitMs] = maxWait.milliseconds
        do {
            let outputs = try await body()
            span.attributes[TraceAttribute.computeMs] = (ContinuousClock.now - started).milliseconds
            span.attributes[TraceAttribute.outcome] = "success"
            let context = span.context
            return outputs.enumerated().map { index, outputs in
                InferResult(outputs: outputs, queueWait: started - items[index].enqueuedAt, batchSize: items.count, batchTrace: context)
            }
        } catch {
            span.attributes[TraceAttribute.outcome] = "error"
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: "\(error)"))
            throw error
        }
    }

    private static func execute(
        _ items: [BatchItem], session: ORTSession, pool: BufferPool, threadPool: NIOThreadPool, metrics: ServerMetrics
    ) async throws -> [[OutputSlice]] {
        let started = ContinuousClock.now
        for item in items { metrics.queueWait.record(started - item.enqueuedAt) }
        metrics.batchSize.record(Double(items.count))
        guard let first = items.first else { return [] }
        let outputNames = first.outputNames
        if items.count == 1 {
            // One request: its own buffers go to ONNX Runtime as they are.
            let outputs = try await threadPool.runIfActive { try session.run(first.inputs, outputNames: outputNames) }
            metrics.compute.record(ContinuousClock.now - started)
            return [outputs.map(OutputSlice.whole)]
        }
        // Several: one copy of each input into a pooled buffer, stacked along the batch dimension.
        var buffers: [BatchBuffer] = []
        defer { pool.giveBack(buffers) }
        var inputs: [InputTensor] = []
        let totalRows = items.reduce(0) { $0 + $1.rows }
        for (index, model) in first.inputs.enumerated() {
            let shape = [Int64(totalRows)] + model.shape.dropFirst()
            if model.elementType == .string {
                var strings: [[UInt8]] = []
                for item in items {
                    if case .strings(let s) = item.inputs[index].data { strings += s }
                }
                inputs.append(InputTensor(name: model.name, elementType: .string, shape: shape, data: .strings(strings)))
            } else {
                let buffer = pool.take(capacity: items.reduce(0) { $0 + rawCount($1.inputs[index].data) })
                for item in items {
                    if case .raw(let bytes) = item.inputs[index].data {
                        bytes.withUnsafeBytes { raw -> Void in buffer.append(raw) }
                    }
                }
                DataMovement.batchAssemblyBytes.add(buffer.byteCount, ordering: .relaxed)
                buffers.append(buffer)
                inputs.append(InputTensor(name: model.name, elementType: model.elementType, shape: shape, data: .raw(buffer)))
            }
        }
        let batchInputs = inputs
        let outputs = try await threadPool.runIfActive { try session.run(batchInputs, outputNames: outputNames) }
        metrics.compute.record(ContinuousClock.now - started)
        return try BatchPlan.split(outputs, rows: items.map(\.rows))
    }

    private static func rawCount(_ data: TensorData) -> Int {
        if case .raw(let bytes) = data { return bytes.byteCount }
        return 0
    }
}

/// Reusable buffers for assembling batched inputs, so steady-state batching does not allocate.
final class BufferPool: Sendable {
    private let free = Locked<[BatchBuffer]>([])
    private static let keep = 8

    func take(capacity: Int) -> BatchBuffer {
        let buffer = free.withLock { $0.popLast() } ?? BatchBuffer()
        buffer.reset(capacity: capacity)
        return buffer
    }

    /// Called once the batch that used `buffers` has finished (ONNX Runtime no longer reads them).
    func giveBack(_ buffers: [BatchBuffer]) {
        free.withLock { list in
            for buffer in buffers where list.count < Self.keep { list.append(buffer) }
        }
    }
}

/// One pooled batch input. A class rather than a `ByteBuffer`: a value buffer that is still
/// referenced after its batch (a thread pool keeps its last work item, and with it the
/// inputs it captured) would be copied on write when reused, an allocation of the whole batch
/// every time. Only the pool's current holder writes to it (between `take` and `giveBack`).
final class BatchBuffer: TensorBytes, @unchecked Sendable {
    private var bytes: [UInt8] = []

    var byteCount: Int { bytes.count }

    func reset(capacity: Int) {
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(capacity)
    }

    func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
}

/// Zero-filled inputs shaped for a batch size, with dynamic inner dimensions set to 1.
public enum WarmupInputs {
    /// Zero-filled inputs of `batch` rows. Each input's other dynamic dimensions take
    /// `dynamicDimensions` in order (the last one repeats; none given: 1).
    public static func make(for model: ModelInfo, batch: Int, dynamicDimensions: [Int] = [1]) -> [InputTensor] {
        model.inputs.compactMap { info in
            guard let type = info.elementType else { return nil }
            var dynamicSeen = 0
            let shape = info.shape.enumerated().map { index, dim -> Int64 in
                if dim >= 0 { return dim }
                if index == 0 { return Int64(batch) }
                defer { dynamicSeen += 1 }
                return Int64(max(1, dynamicDimensions.isEmpty ? 1 : dynamicDimensions[min(dynamicSeen, dynamicDimensions.count - 1)]))
            }
            let count = Shape.elementCount(shape) ?? 0
            if type == .string {
                return InputTensor(name: info.name, elementType: type, shape: shape, data: .strings(Array(repeating: [], count: count)))
            }
            let zeros = [UInt8](repeating: 0, count: count * (type.byteWidth ?? 1))
            return InputTensor(name: info.name, elementType: type, shape: shape, data: .raw(zeros))
        }
    }
}
