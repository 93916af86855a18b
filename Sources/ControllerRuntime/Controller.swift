import Logging
import Metrics

/// What a reconcile decided about its key's next visit.
public enum ReconcileAction: Sendable, Equatable {
    /// Nothing more until something changes.
    case done
    /// Visit again after the delay (e.g. the next scaling interval).
    case requeue(after: Duration)
}

/// Runs `reconcile` for keys from a work queue on N concurrent workers.
/// Each key is reconciled by at most one worker at a time (the queue
/// guarantees it); errors requeue the key through the rate limiter.
public struct Controller: Sendable {
    public let name: String
    public let queue: WorkQueue
    public let workers: Int
    private let reconcile: @Sendable (String) async throws -> ReconcileAction
    private let logger: Logger
    private let time: TimeSource

    private let reconcileTime: Metrics.Timer
    private let activeWorkers: Meter

    public init(name: String, queue: WorkQueue, workers: Int = 4, clock: TimeSource = .continuous, logger: Logger,
                reconcile: @escaping @Sendable (String) async throws -> ReconcileAction) {
        self.name = name
        self.queue = queue
        self.workers = max(1, workers)
        self.reconcile = reconcile
        self.logger = logger
        self.time = clock
        // Names as controller-runtime's controller metrics.
        reconcileTime = Metrics.Timer(label: "controller_runtime_reconcile_time_seconds", dimensions: [("controller", name)], preferredDisplayUnit: .seconds)
        activeWorkers = Meter(label: "controller_runtime_active_workers", dimensions: [("controller", name)])
        Gauge(label: "controller_runtime_max_concurrent_reconciles", dimensions: [("controller", name)]).record(self.workers)
    }

    /// Runs the workers until the queue shuts down. Cancellation of the
    /// calling task shuts the queue down: workers finish the key in hand and
    /// exit (the caller bounds how long it waits).
    public func run() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await queue.run() }
                for _ in 0..<workers {
                    group.addTask { await worker() }
                }
            }
        } onCancel: {
            Task { await queue.shutDown() }
        }
    }

    private func worker() async {
        while let key = await queue.get() {
            activeWorkers.increment()
            await process(key)
            activeWorkers.decrement()
            await queue.done(key)
        }
    }

    private func process(_ key: String) async {
        let started = time.now()
        let result: String
        do {
            switch try await reconcile(key) {
            case .done:
                await queue.forget(key)
                result = "success"
            case .requeue(let delay):
                await queue.forget(key)
                await queue.addAfter(key, delay)
                result = "requeue_after"
            }
        } catch {
            result = "error"
            Counter(label: "controller_runtime_reconcile_errors_total", dimensions: [("controller", name)]).increment()
            logger.warning("reconcile failed", metadata: ["controller": "\(name)", "key": "\(key)", "error": "\(error)"])
            await queue.addRateLimited(key)
        }
        let elapsed = time.now() - started
        reconcileTime.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        Counter(label: "controller_runtime_reconcile_total", dimensions: [("controller", name), ("result", result)]).increment()
    }
}
