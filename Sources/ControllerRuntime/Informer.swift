import KubeAPI
import KubeClient
import Locking
import Logging
import Metrics
import SeededRandom

/// Keeps a `Store` in step with the API server: list, then watch from the
/// list's resourceVersion; re-watch from the last seen resourceVersion when
/// a watch ends; relist (replacing the store atomically and emitting the
/// deltas missed meanwhile) on `410 Gone`; back off on errors.
public final class Informer<T: KubeResource>: Sendable {
    public struct Options: Sendable {
        /// Namespaces to watch; nil watches all namespaces with one watch.
        public var namespaces: [String]?
        public var labelSelector: String?
        public var fieldSelector: String?
        /// Re-delivers every cached object as `updated` this often; nil for never.
        public var resyncPeriod: Duration?
        /// Page size of the initial list.
        public var pageSize: Int = 500
        /// A watch that stayed up this long resets the backoff.
        public var healthyAfter: Duration = .seconds(30)
        /// Watch `timeoutSeconds` range; client-go picks 5-10 minutes at random.
        public var watchTimeout: ClosedRange<Int> = 300...600

        public init(namespaces: [String]? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
                    resyncPeriod: Duration? = nil) {
            self.namespaces = namespaces
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
            self.resyncPeriod = resyncPeriod
        }
    }

    private struct State {
        var subscribers: [AsyncStream<Delta<T>>.Continuation] = []
        var syncedScopes: Set<String> = []
        var lastResourceVersion: [String: String] = [:]
        var relists = 0
        var undecodable = 0
    }

    public let store = Store<T>()
    private let client: KubeClient
    private let options: Options
    private let time: TimeSource
    private let logger: Logger
    private let backoffSeed: UInt64
    private let state = Locked(State())

    public init(client: KubeClient, options: Options = Options(), clock: TimeSource = .continuous,
                logger: Logger, backoffSeed: UInt64 = 0x5EED) {
        self.client = client
        self.options = options
        self.time = clock
        self.logger = logger
        self.backoffSeed = backoffSeed
    }

    /// A stream of every change from now on. Subscribe before `run()` to see the initial adds.
    public func subscribe() -> AsyncStream<Delta<T>> {
        let (stream, continuation) = AsyncStream.makeStream(of: Delta<T>.self, bufferingPolicy: .unbounded)
        state.withLock { $0.subscribers.append(continuation) }
        return stream
    }

    private var scopes: [String?] { options.namespaces.map { $0.map(Optional.some) } ?? [nil] }

    /// True once every scope completed its first list.
    public var hasSynced: Bool { state.withLock { $0.syncedScopes.count == scopes.count } }

    /// How many times a scope relisted after its first list (410s, errors).
    public var relistCount: Int { state.withLock { $0.relists } }

    /// Objects seen that did not decode (each also logged with its reason).
    public var undecodableCount: Int { state.withLock { $0.undecodable } }

    /// Waits (polling) until synced or the task is cancelled.
    public func waitForSync() async -> Bool {
        while !hasSynced {
            if Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Lists and watches until cancelled; then ends the subscribers' streams.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for (index, scope) in scopes.enumerated() {
                group.addTask { await self.reflect(scope: scope, seed: self.backoffSeed &+ UInt64(index)) }
            }
            if let period = options.resyncPeriod {
                group.addTask { await self.resync(every: period) }
            }
        }
        let subscribers = state.withLock { s in
            defer { s.subscribers.removeAll() }
            return s.subscribers
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    private func emit(_ deltas: [Delta<T>]) {
        guard !deltas.isEmpty else { return }
        let subscribers = state.withLock { $0.subscribers }
        for delta in deltas {
            for subscriber in subscribers { subscriber.yield(delta) }
        }
    }

    private func reflect(scope namespace: String?, seed: UInt64) async {
        let scopeName = namespace ?? "*"
        var backoff = Backoff(seed: seed)
        var resourceVersion: String?
        var timeoutPicker = SplitMix64(seed: seed &+ 77)
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    resourceVersion = try await list(namespace: namespace)
                    state.withLock { s in
                        if s.syncedScopes.contains(scopeName) { s.relists += 1 }
                        s.syncedScopes.insert(scopeName)
                    }
                }
                let span = UInt64(options.watchTimeout.upperBound - options.watchTimeout.lowerBound + 1)
                let timeout = options.watchTimeout.lowerBound + Int(timeoutPicker.next() % span)
                let started = time.now()
                let events = try await client.watch(T.self, namespace: namespace, options: WatchOptions(
                    resourceVersion: resourceVersion, labelSelector: options.labelSelector,
                    fieldSelector: options.fieldSelector, allowWatchBookmarks: true, timeoutSeconds: timeout))
                for try await event in events {
                    if let rv = apply(event) { resourceVersion = rv }
                    if time.now() - started >= options.healthyAfter { backoff.reset() }
                }
                if time.now() - started >= options.healthyAfter { backoff.reset() }
                // The server closed the watch (timeout): re-watch from the last resourceVersion.
            } catch let error as KubeAPIError {
                if Task.isCancelled { return }
                switch error {
                case .gone:
                    logger.info("watch expired; relisting", metadata: ["resource": "\(T.resourceType)", "namespace": "\(scopeName)"])
                    resourceVersion = nil
                case .tooManyRequests(_, let retryAfter):
                    let delay = retryAfter ?? backoff.next()
                    logger.warning("throttled by the API server", metadata: ["resource": "\(T.resourceType)", "retryAfter": "\(delay)"])
                    guard await pause(delay) else { return }
                default:
                    let delay = backoff.next()
                    logger.warning("list/watch failed; retrying", metadata: [
                        "resource": "\(T.resourceType)", "namespace": "\(scopeName)", "error": "\(error)", "delay": "\(delay)"])
                    guard await pause(delay) else { return }
                }
            } catch {
                if Task.isCancelled { return }
                let delay = backoff.next()
                logger.warning("watch failed; retrying", metadata: ["resource": "\(T.resourceType)", "error": "\(error)"])
                guard await pause(delay) else { return }
            }
        }
    }

    private func pause(_ delay: Duration) async -> Bool {
        do {
            try await time.sleep(delay)
            return true
        } catch {
            return false
        }
    }

    /// Lists all pages, replaces the scope in the store, emits deltas; returns the list's resourceVersion.
    private func list(namespace: String?) async throws(KubeAPIError) -> String {
        var items: [T] = []
        var listOptions = ListOptions(labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: options.pageSize)
        var resourceVersion = ""
        while true {
            let page = try await client.list(T.self, namespace: namespace, options: listOptions)
            items.append(contentsOf: page.items)
            for bad in page.undecodable { reportUndecodable(name: bad.name, reason: bad.reason) }
            resourceVersion = page.resourceVersion
            guard let token = page.continueToken else { break }
            listOptions.continue = token
        }
        emit(store.replace(with: items, scope: namespace))
        return resourceVersion
    }

    /// Applies one watch event to the store; returns the resourceVersion to resume from.
    private func apply(_ event: TypedWatchEvent<T>) -> String? {
        switch event {
        case .added(let object), .modified(let object):
            if let delta = store.upsert(object) { emit([delta]) }
            return object.metadata.resourceVersion
        case .deleted(let object):
            if let delta = store.remove(object) { emit([delta]) }
            return object.metadata.resourceVersion
        case .bookmark(let rv):
            return rv.isEmpty ? nil : rv
        case .undecodable(let type, let object, let reason):
            reportUndecodable(name: object[path: "metadata", "name"]?.stringValue, reason: "\(type): \(reason)")
            return object[path: "metadata", "resourceVersion"]?.stringValue
        }
    }

    private func reportUndecodable(name: String?, reason: String) {
        state.withLock { $0.undecodable += 1 }
        Counter(label: "informer_undecodable_objects_total", dimensions: [("resource", T.resourceType.description)]).increment()
        logger.error("object does not decode; skipped", metadata: ["resource": "\(T.resourceType)", "name": "\(name ?? "?")", "reason": "\(reason)"])
    }

    private func resync(every period: Duration) async {
        while await pause(period) {
            emit(store.list().map { .updated(old: $0, new: $0) })
        }
    }
}
