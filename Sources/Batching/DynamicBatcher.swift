import Locking


/// Groups concurrent requests with the same `Key` (e.g. the same non-batch shape)
/// into batches and runs them with one call of `execute`.
///
/// Rules, per key:
/// - a batch leaves as soon as it has `maxBatchSize` requests, or once its oldest
///   request has waited `maxQueueDelay`, whichever comes first; when every
///   execution slot is busy, requests keep queueing and the next free slot takes
///   the oldest group (up to `maxBatchSize`);
/// - at most `maxQueueSize` requests wait; more are refused with `.overloaded`;
/// - a caller whose task is cancelled while waiting leaves the queue;
/// - an error thrown by `execute` fails only the requests of that batch.
///
/// Time comes from the injected clock, so tests run on manual time. `run()` owns
/// every timer and batch execution; call it from a task (a `Service`) and stop it with
/// `shutdown()` for a graceful drain (queued requests still run) or by cancelling it.
public final class DynamicBatcher<Item: Sendable, Output: Sendable, Key: Hashable & Sendable, C: Clock>: Sendable
where C.Duration == Duration {
    public typealias Execute = @Sendable ([Item]) async throws -> [Output]

    public let configuration: BatchingConfiguration
    private let clock: C
    private let execute: Execute
    private let state: Locked<State>
    private let jobs: AsyncStream<Job>
    private let jobSink: AsyncStream<Job>.Continuation

    public init(configuration: BatchingConfiguration, clock: C, execute: @escaping Execute) {
        self.configuration = configuration
        self.clock = clock
        self.execute = execute
        (jobs, jobSink) = AsyncStream.makeStream(of: Job.self)
        state = Locked(State())
    }

    /// Requests waiting for a batch (not counting those in running batches).
    public var queueDepth: Int { state.withLock { $0.waiting } }
    /// Batches running now.
    public var runningBatches: Int { state.withLock { $0.running } }

    /// Queues `item` and returns its result once its batch ran.
    public func submit(_ item: Item, key: Key) async throws -> Output {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
                let outcome = state.withLock { state -> Result<[Job], any Error> in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.isShuttingDown { return .failure(BatchingError.shuttingDown) }
                    if state.waiting >= configuration.maxQueueSize {
                        return .failure(BatchingError.overloaded(limit: configuration.maxQueueSize))
                    }
                    state.enqueue(Pending(id: id, item: item, enqueuedAt: clock.now, continuation: continuation), key: key)
                    return .success(pump(&state))
                }
                switch outcome {
                case .success(let newJobs): newJobs.forEach { jobSink.yield($0) }
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let removed = state.withLock { $0.remove(id: id) }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Runs timers and batches until `shutdown()` has drained the queue, or until cancelled
    /// (then requests still queued fail with `.shuttingDown`).
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                switch job {
                case .wake(let deadline):
                    group.addTask {
                        try? await self.clock.sleep(until: deadline, tolerance: nil)
                        self.timerFired(deadline)
                    }
                case .execute(let batch):
                    group.addTask { await self.runBatch(batch) }
                }
            }
            // Drained (or cancelled): what is left are timers, which have nothing to wake.
            group.cancelAll()
        }
        let leftovers = state.withLock { state -> [Pending] in
            state.isShuttingDown = true
            return state.removeAll()
        }
        leftovers.forEach { $0.continuation.resume(throwing: BatchingError.shuttingDown) }
    }

    /// Stops taking requests, sends what is queued without waiting for the delay,
    /// and lets `run()` return once every batch finished.
    public func shutdown() {
        let newJobs = state.withLock { state -> [Job] in
            state.isShuttingDown = true
            return pump(&state)
        }
        newJobs.forEach { jobSink.yield($0) }
        finishIfDrained()
    }

    // MARK: - Internals

    private func timerFired(_ deadline: C.Instant) {
        let newJobs = state.withLock { state -> [Job] in
            if state.armedDeadline == deadline { state.armedDeadline = nil }
            return pump(&state)
        }
        newJobs.forEach { jobSink.yield($0) }
    }

    private func runBatch(_ batch: [Pending]) async {
        do {
            let outputs = try await execute(batch.map(\.item))
            guard outputs.count == batch.count else {
                throw BatchingError.resultCountMismatch(expected: batch.count, got: outputs.count)
            }
            for (pending, output) in zip(batch, outputs) { pending.continuation.resume(returning: output) }
        } catch {
            batch.forEach { $0.continuation.resume(throwing: error) }
        }
        let newJobs = state.withLock { state -> [Job] in
            state.running -= 1
            return pump(&state)
        }
        newJobs.forEach { jobSink.yield($0) }
        finishIfDrained()
    }

    private func finishIfDrained() {
        let drained = state.withLock { $0.isShuttingDown && $0.waiting == 0 && $0.running == 0 }
        if drained { jobSink.finish() }
    }

    /// The batching decision: which batches leave now, and when to look again.
    private func pump(_ state: inout State) -> [Job] {
        var newJobs: [Job] = []
        let now = clock.now
        while state.running < configuration.maxConcurrentBatches {
            guard let key = state.oldestReadyKey(now: now, configuration: configuration) else { break }
            let batch = state.take(key: key, limit: configuration.maxBatchSize)
            state.running += 1
            newJobs.append(.execute(batch))
        }
        if state.running < configuration.maxConcurrentBatches,
           let oldest = state.oldestEnqueueInstant() {
            let deadline = oldest.advanced(by: configuration.maxQueueDelay)
            if state.armedDeadline.map({ deadline < $0 }) ?? true {
                state.armedDeadline = deadline
                newJobs.append(.wake(deadline))
            }
        }
        return newJobs
    }

    struct Pending: Sendable {
        let id: UInt64
        let item: Item
        let enqueuedAt: C.Instant
        let continuation: CheckedContinuation<Output, any Error>
    }

    enum Job: Sendable {
        case wake(C.Instant)
        case execute([Pending])
    }

    struct State: ~Copyable {
        /// Queues per key; `order` lists keys by the arrival of their current oldest request.
        var queues: [Key: [Pending]] = [:]
        var order: [Key] = []
        var waiting = 0
        var running = 0
        var armedDeadline: C.Instant?
        var isShuttingDown = false
        var nextID: UInt64 = 0

        mutating func enqueue(_ pending: Pending, key: Key) {
            if queues[key, default: []].isEmpty { order.append(key) }
            queues[key, default: []].append(pending)
            waiting += 1
        }

        mutating func remove(id: UInt64) -> Pending? {
            for key in order {
                guard let index = queues[key]?.firstIndex(where: { $0.id == id }) else { continue }
                let pending = queues[key]?.remove(at: index)
                waiting -= 1
                if queues[key]?.isEmpty ?? true { dropKey(key) }
                return pending
            }
            return nil
        }

        mutating func removeAll() -> [Pending] {
            let all = order.flatMap { queues[$0] ?? [] }
            queues = [:]
            order = []
            waiting = 0
            return all
        }

        func oldestReadyKey(now: C.Instant, configuration: BatchingConfiguration) -> Key? {
            order.first { key in
                guard let queue = queues[key], let first = queue.first else { return false }
                return isShuttingDown || queue.count >= configuration.maxBatchSize
                    || first.enqueuedAt.advanced(by: configuration.maxQueueDelay) <= now
            }
        }

        func oldestEnqueueInstant() -> C.Instant? {
            order.compactMap { queues[$0]?.first?.enqueuedAt }.min()
        }

        mutating func take(key: Key, limit: Int) -> [Pending] {
            guard let queue = queues[key] else { return [] }
            let batch = Array(queue.prefix(limit))
            let rest = Array(queue.dropFirst(limit))
            waiting -= batch.count
            if rest.isEmpty {
                dropKey(key)
            } else {
                queues[key] = rest
                // The group's new oldest request arrived later than other groups' may have: keep order by arrival.
                order.removeAll { $0 == key }
                let restStart = rest[0].enqueuedAt
                let position = order.firstIndex { (queues[$0]?.first?.enqueuedAt).map { restStart < $0 } ?? false } ?? order.count
                order.insert(key, at: position)
            }
            return batch
        }

        private mutating func dropKey(_ key: Key) {
            queues[key] = nil
            order.removeAll { $0 == key }
        }
    }
}
