import Metrics

/// A deduplicating work queue with delayed and rate-limited adds, following
/// client-go's workqueue semantics:
/// - a key added while queued is queued once;
/// - a key being processed is not handed to a second worker; if it is added
///   meanwhile it is queued again once, when `done` is called;
/// - `addAfter` keeps the earliest requested time per key;
/// - `addRateLimited` waits the rate limiter's delay (per-key backoff + bucket).
///
/// Delayed adds wait inside `run()`, which the owner runs in its task group.
public actor WorkQueue {
    public let name: String
    private let time: TimeSource
    private var rateLimiter: RateLimiter

    private var queue: [String] = []
    private var head = 0
    private var dirty: Set<String> = []
    private var processing: [String: Duration] = [:]
    private var queuedAt: [String: Duration] = [:]
    private var waiters: [CheckedContinuation<String?, Never>] = []
    private var waitingUntil: [String: Duration] = [:]
    private var isShuttingDown = false

    private let delayed: AsyncStream<(key: String, delay: Duration)>
    private let delayedInput: AsyncStream<(key: String, delay: Duration)>.Continuation

    private let depthGauge: Gauge
    private let addsCounter: Counter
    private let retriesCounter: Counter
    private let queueLatency: Metrics.Timer
    private let workDuration: Metrics.Timer
    private let unfinishedWork: Gauge
    private let longestRunning: Gauge

    public init(name: String, clock: TimeSource = .continuous, rateLimiter: RateLimiter = RateLimiter()) {
        self.name = name
        self.time = clock
        self.rateLimiter = rateLimiter
        (delayed, delayedInput) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        let labels = [("name", name)]
        // Names as client-go's workqueue metrics (controller-runtime exports them with this prefix).
        depthGauge = Gauge(label: "workqueue_depth", dimensions: labels)
        addsCounter = Counter(label: "workqueue_adds_total", dimensions: labels)
        retriesCounter = Counter(label: "workqueue_retries_total", dimensions: labels)
        queueLatency = Metrics.Timer(label: "workqueue_queue_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds)
        workDuration = Metrics.Timer(label: "workqueue_work_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds)
        unfinishedWork = Gauge(label: "workqueue_unfinished_work_seconds", dimensions: labels)
        longestRunning = Gauge(label: "workqueue_longest_running_processor_seconds", dimensions: labels)
    }

    // MARK: Adding

    public func add(_ key: String) {
        guard !isShuttingDown, !dirty.contains(key) else { return }
        addsCounter.increment()
        dirty.insert(key)
        queuedAt[key] = time.now()
        if processing[key] != nil { return }  // queued again by done(_:)
        enqueue(key)
    }

    /// Adds `key` after `delay`; an earlier pending time for the key wins.
    public func addAfter(_ key: String, _ delay: Duration) {
        guard !isShuttingDown else { return }
        guard delay > .zero else { add(key); return }
        let deadline = time.now() + delay
        if let existing = waitingUntil[key], existing <= deadline { return }
        waitingUntil[key] = deadline
        delayedInput.yield((key, delay))
    }

    /// Adds `key` after the rate limiter's delay and counts a retry.
    public func addRateLimited(_ key: String) {
        retriesCounter.increment()
        addAfter(key, rateLimiter.when(key, now: time.now()))
    }

    /// Ends backoff tracking for `key` (after a successful reconcile).
    public func forget(_ key: String) { rateLimiter.forget(key) }

    public func retries(_ key: String) -> Int { rateLimiter.retries(key) }

    // MARK: Processing

    /// The next key to process, waiting for one; nil once shut down and empty.
    /// The caller must call `done(_:)` with the key when finished.
    public func get() async -> String? {
        if let key = dequeue() { return key }
        if isShuttingDown { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    public func done(_ key: String) {
        if let started = processing.removeValue(forKey: key) {
            workDuration.recordNanoseconds(Self.nanoseconds(time.now() - started))
        }
        if dirty.contains(key) { enqueue(key) }
        updateGauges()
    }

    public var depth: Int { queue.count - head }
    public var processingCount: Int { processing.count }
    public var shuttingDown: Bool { isShuttingDown }

    /// Stops intake; waiting workers get nil; queued keys are still handed out.
    public func shutDown() {
        isShuttingDown = true
        delayedInput.finish()
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.resume(returning: dequeue()) }
    }

    /// Runs the timers of delayed adds until shut down. Run it in the
    /// owner's task group.
    public nonisolated func run() async {
        await withDiscardingTaskGroup { group in
            for await item in delayed {
                group.addTask {
                    do {
                        try await self.time.sleep(item.delay)
                    } catch {
                        return  // cancelled: shutting down
                    }
                    await self.fireDelayed(item.key)
                }
            }
            group.cancelAll()
        }
    }

    private func fireDelayed(_ key: String) {
        guard let deadline = waitingUntil[key], deadline <= time.now() else { return }
        waitingUntil[key] = nil
        add(key)
    }

    // MARK: Internals

    private func enqueue(_ key: String) {
        if let waiter = waiters.first {
            waiters.removeFirst()
            queue.append(key)
            waiter.resume(returning: dequeue())
        } else {
            queue.append(key)
        }
        updateGauges()
    }

    private func dequeue() -> String? {
        guard head < queue.count else { return nil }
        let key = queue[head]
        head += 1
        if head > 1024, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        dirty.remove(key)
        let now = time.now()
        if let added = queuedAt.removeValue(forKey: key) {
            queueLatency.recordNanoseconds(Self.nanoseconds(now - added))
        }
        processing[key] = now
        updateGauges()
        return key
    }

    private func updateGauges() {
        depthGauge.record(depth)
        let now = time.now()
        var total = 0.0
        var longest = 0.0
        for started in processing.values {
            let running = (now - started).seconds
            total += running
            longest = max(longest, running)
        }
        unfinishedWork.record(total)
        longestRunning.record(longest)
    }

    private static func nanoseconds(_ d: Duration) -> Int64 {
        let (s, attos) = d.components
        return s * 1_000_000_000 + attos / 1_000_000_000
    }
}
