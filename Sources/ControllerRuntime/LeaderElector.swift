#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import KubeAPI
import KubeClient
import Locking
import Logging

/// Leader election on a `coordination.k8s.io/v1` Lease, as client-go's
/// leaderelection package: optimistic concurrency on the Lease's
/// resourceVersion; expiry judged by the local time since the lease record
/// last changed (not by comparing clocks with other replicas).
public final class LeaderElector: Sendable {
    public struct Configuration: Sendable {
        public var leaseName: String
        public var namespace: String
        public var identity: String
        /// controller-runtime defaults: 15 s lease, 10 s renew deadline, 2 s retry.
        public var leaseDuration: Duration = .seconds(15)
        public var renewDeadline: Duration = .seconds(10)
        public var retryPeriod: Duration = .seconds(2)

        public init(leaseName: String, namespace: String, identity: String,
                    leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)) {
            self.leaseName = leaseName
            self.namespace = namespace
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }
    }

    public enum Role: Sendable, Equatable { case unknown, follower(leader: String?), leader }

    private struct Observed {
        var record: Lease.Spec?
        var resourceVersion: String?
        /// Local time at which the record last changed.
        var at: Duration = .zero
    }

    private struct State {
        var role: Role = .unknown
        var observed = Observed()
        var watchers: [AsyncStream<Role>.Continuation] = []
    }

    private let client: KubeClient
    public let configuration: Configuration
    private let time: TimeSource
    private let wallClock: @Sendable () -> Date
    private let logger: Logger
    private let state = Locked(State())

    public init(client: KubeClient, configuration: Configuration, clock: TimeSource = .continuous,
                wallClock: @escaping @Sendable () -> Date = { Date() }, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.time = clock
        self.wallClock = wallClock
        self.logger = logger
    }

    public var role: Role { state.withLock { $0.role } }
    public var isLeader: Bool { role == .leader }

    /// Role changes from now on (the current role first).
    public func roles() -> AsyncStream<Role> {
        let (stream, continuation) = AsyncStream.makeStream(of: Role.self, bufferingPolicy: .bufferingNewest(8))
        state.withLock { s in
            continuation.yield(s.role)
            s.watchers.append(continuation)
        }
        return stream
    }

    private func set(_ role: Role) {
        let watchers = state.withLock { s -> [AsyncStream<Role>.Continuation] in
            guard s.role != role else { return [] }
            s.role = role
            return s.watchers
        }
        for watcher in watchers { watcher.yield(role) }
        if !watchers.isEmpty { logger.info("leader election role changed", metadata: ["role": "\(role)", "identity": "\(configuration.identity)"]) }
    }

    /// Campaigns and renews until cancelled. On cancellation a leader
    /// releases the lease so a successor takes over at once.
    public func run() async {
        var lastRenew: Duration?
        while !Task.isCancelled {
            let acquired = await tryAcquireOrRenew()
            let now = time.now()
            if acquired {
                lastRenew = now
                set(.leader)
            } else if isLeader, let last = lastRenew, now - last >= configuration.renewDeadline {
                logger.error("failed to renew the lease within the renew deadline; stepping down")
                lastRenew = nil
                set(.follower(leader: nil))
            } else if !isLeader {
                set(.follower(leader: state.withLock { $0.observed.record?.holderIdentity }))
            }
            do {
                try await time.sleep(configuration.retryPeriod)
            } catch {
                break
            }
        }
        // Released from a task of its own: this one is cancelled, and a
        // cancelled task's requests are aborted at once.
        if isLeader { await Task { await self.release() }.value }
        set(.follower(leader: nil))
        let watchers = state.withLock { s in
            defer { s.watchers.removeAll() }
            return s.watchers
        }
        for watcher in watchers { watcher.finish() }
    }

    /// One attempt; true when this replica holds the lease afterwards.
    func tryAcquireOrRenew() async -> Bool {
        let now = wallClock()
        let stamp = Timestamps.formatMicro(now)
        let leaseSeconds = Int32(configuration.leaseDuration.components.seconds)
        do {
            let current: Editable<Lease>
            do {
                current = try await client.getEditable(Lease.self, name: configuration.leaseName, namespace: configuration.namespace)
            } catch .notFound {
                let lease = Lease(metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.namespace),
                                  spec: Lease.Spec(holderIdentity: configuration.identity, leaseDurationSeconds: leaseSeconds,
                                                   acquireTime: stamp, renewTime: stamp, leaseTransitions: 0))
                let created = try await client.create(lease)
                observe(created)
                return true
            }
            observe(current.value)
            let spec = current.value.spec ?? Lease.Spec()
            let holder = spec.holderIdentity ?? ""
            let iHold = holder == configuration.identity
            if !holder.isEmpty, !iHold, !observedExpired(spec) {
                return false
            }
            var edited = current
            var newSpec = spec
            newSpec.holderIdentity = configuration.identity
            newSpec.leaseDurationSeconds = leaseSeconds
            newSpec.renewTime = stamp
            if !iHold {
                newSpec.acquireTime = stamp
                newSpec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
            }
            edited.value.spec = newSpec
            let updated = try await client.update(edited)
            observe(updated)
            return true
        } catch {
            logger.debug("lease attempt failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func observe(_ lease: Lease) {
        let now = time.now()
        state.withLock { s in
            if s.observed.resourceVersion != lease.metadata.resourceVersion || s.observed.record != lease.spec {
                s.observed = Observed(record: lease.spec, resourceVersion: lease.metadata.resourceVersion, at: now)
            }
        }
    }

    private func observedExpired(_ spec: Lease.Spec) -> Bool {
        let duration = Duration.seconds(Int(spec.leaseDurationSeconds ?? Int32(configuration.leaseDuration.components.seconds)))
        let at = state.withLock { $0.observed.at }
        return time.now() - at >= duration
    }

    /// Gives the lease up (empty holder, 1 s duration), as client-go's ReleaseOnCancel.
    func release() async {
        do {
            var current = try await client.getEditable(Lease.self, name: configuration.leaseName, namespace: configuration.namespace)
            guard current.value.spec?.holderIdentity == configuration.identity else { return }
            let stamp = Timestamps.formatMicro(wallClock())
            current.value.spec?.holderIdentity = nil
            current.value.spec?.leaseDurationSeconds = 1
            current.value.spec?.renewTime = stamp
            current.value.spec?.acquireTime = stamp
            _ = try await client.update(current)
            logger.info("released the lease", metadata: ["lease": "\(configuration.namespace)/\(configuration.leaseName)"])
        } catch {
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        }
    }
}
