import ControllerRuntime
import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Locking
import Logging
import Synchronization
import TestAPIServer
import TestSupport
import Testing

/// The controller runtime against the test API server over real HTTP
/// (libcurl), with its fault hooks: dropped watches, compaction while
/// disconnected, 500 storms, 429 with Retry-After, lease competition.
@Suite struct AgainstTestAPIServerTests {
    static func start() async throws -> (TestAPIServer, KubeClient) {
        let server = TestAPIServer()
        let port = try await server.start()
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:\(port)"), transport: try CurlTransport())
        return (server, client)
    }

    static func configMap(_ name: String) -> JSON {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "default"], "data": ["k": "v"]]
    }

    @Test func informerFollowsDroppedWatchesAndSeesDeletesMissedAcrossCompaction() async throws {
        let (server, client) = try await Self.start()
        for name in ["a", "b"] { _ = try await client.create(.configMaps, Self.configMap(name)) }
        let informer = Informer<ConfigMap>(client: client, options: .init(namespaces: ["default"]), logger: Logger(label: "t"))
        let deltas = informer.subscribe()
        let seen = Locked<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            group.addTask {
                for await delta in deltas {
                    switch delta {
                    case .added(let o): seen.withLock { $0.append("+\(o.name)") }
                    case .updated: break
                    case .deleted(let o): seen.withLock { $0.append("-\(o.name)") }
                    }
                }
            }
            #expect(await informer.waitForSync())
            #expect(informer.store.count == 2)

            // A dropped watch resumes from the last resourceVersion.
            server.cluster.dropWatches()
            _ = try await client.create(.configMaps, Self.configMap("c"))
            #expect(await eventually { informer.store.get(namespace: "default", name: "c") != nil })

            // Disconnected (watches fail) while b is deleted and d created, then compaction: 410 → relist.
            server.faults.failNext(2, code: 500, verb: "watch")
            server.cluster.dropWatches()
            _ = try await client.delete(.configMaps, name: "b", namespace: "default")
            _ = try await client.create(.configMaps, Self.configMap("d"))
            server.cluster.compact()
            #expect(await eventually(timeout: .seconds(30)) {
                informer.store.get(namespace: "default", name: "b") == nil && informer.store.get(namespace: "default", name: "d") != nil
            })
            #expect(informer.relistCount >= 1)
            group.cancelAll()
        }
        let events = seen.withLock { $0 }
        #expect(events.contains("-b"), "\(events)")
        #expect(events.filter { $0 == "+d" }.count == 1, "\(events)")
        #expect(events.filter { $0 == "+a" }.count == 1, "relist must not re-add unchanged objects: \(events)")
        try await server.shutdown()
    }

    @Test func informerRecoversFrom500StormsAndHonours429RetryAfter() async throws {
        let (server, client) = try await Self.start()
        _ = try await client.create(.configMaps, Self.configMap("a"))
        server.faults.failNext(1, code: 429, retryAfter: 1, verb: "list")
        server.faults.failNext(3, code: 500, verb: "list")
        let informer = Informer<ConfigMap>(client: client, logger: Logger(label: "t"))
        let started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            #expect(await eventually(timeout: .seconds(40)) { informer.hasSynced })
            group.cancelAll()
        }
        let lists = server.requestLog.records.filter { $0.verb == "list" && $0.path.hasSuffix("/configmaps") }
        #expect(lists.count >= 2)
        #expect(lists.first?.status == 429 || lists.first?.status == 500)
        #expect(ContinuousClock.now - started >= .seconds(1), "Retry-After and backoff were skipped")
        #expect(informer.store.count == 1)
        try await server.shutdown()
    }

    @Test func aSlowAPIDelaysButDoesNotBreakSyncAndWatch() async throws {
        let (server, client) = try await Self.start()
        _ = try await client.create(.configMaps, Self.configMap("a"))
        server.faults.latencyMilliseconds = 400
        let informer = Informer<ConfigMap>(client: client, logger: Logger(label: "t"))
        let started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            #expect(await eventually(timeout: .seconds(30)) { informer.hasSynced })
            #expect(ContinuousClock.now - started >= .milliseconds(400))
            _ = try? await client.create(.configMaps, Self.configMap("b"))
            #expect(await eventually(timeout: .seconds(30)) { informer.store.count == 2 })
            group.cancelAll()
        }
        server.faults.latencyMilliseconds = 0
        try await server.shutdown()
    }

    @Test func staleUpdatesConflict() async throws {
        let (server, client) = try await Self.start()
        _ = try await client.create(.configMaps, Self.configMap("x"))
        let first = try await client.getEditable(ConfigMap.self, name: "x", namespace: "default")
        var a = first
        var b = first
        a.value.data = ["k": "from-a"]
        b.value.data = ["k": "from-b"]
        _ = try await client.update(a)
        await #expect {
            _ = try await client.update(b)
        } throws: { error in
            if case .conflict = error as? KubeAPIError { return true }
            return false
        }
        try await server.shutdown()
    }
}

/// A transport that can be cut, standing in for a crashed process.
final class SeverableTransport: HTTPTransport, Sendable {
    let inner: any HTTPTransport
    let severed = Mutex(false)
    init(_ inner: any HTTPTransport) { self.inner = inner }

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        if severed.withLock({ $0 }) { throw .connection("severed") }
        return try await inner.send(request)
    }

    func stream(_ request: HTTPRequest) async throws(HTTPError) -> HTTPStreamingResponse {
        if severed.withLock({ $0 }) { throw .connection("severed") }
        return try await inner.stream(request)
    }
}

@Suite struct LeaderElectionTests {
    /// Long enough that "at once" (a release) and "after the lease" (a
    /// crash) stay apart on a loaded 2-core CI machine, where a single step
    /// has been seen to take 2.4 s.
    static let leaseDuration: Duration = .seconds(10)

    static func elector(_ identity: String, port: Int, transport: any HTTPTransport) -> LeaderElector {
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:\(port)"), transport: transport)
        return LeaderElector(client: client, configuration: .init(
            leaseName: "op", namespace: "default", identity: identity,
            leaseDuration: leaseDuration, renewDeadline: .seconds(6), retryPeriod: .milliseconds(300)), logger: Logger(label: identity))
    }

    @Test func exactlyOneLeadsAndAFollowerTakesOverAfterACrashOrARelease() async throws {
        let server = TestAPIServer()
        let port = try await server.start()
        let cutA = SeverableTransport(try CurlTransport())
        let a = Self.elector("a", port: port, transport: cutA)
        let b = Self.elector("b", port: port, transport: try CurlTransport())
        let c = Self.elector("c", port: port, transport: try CurlTransport())

        let taskA = Task { await a.run() }
        try await Task.sleep(for: .milliseconds(500))
        let taskB = Task { await b.run() }
        #expect(await eventually { a.isLeader })
        // Both campaign for a while: never two leaders at once.
        for _ in 0..<20 {
            #expect([a.isLeader, b.isLeader].filter { $0 }.count <= 1)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(a.isLeader && !b.isLeader)

        // Crash: a can no longer reach the API; b leads within the lease duration (+ retry).
        let crashed = ContinuousClock.now
        cutA.severed.withLock { $0 = true }
        #expect(await eventually(timeout: .seconds(30)) { b.isLeader })
        let takeover = ContinuousClock.now - crashed
        #expect(takeover <= Self.leaseDuration + .seconds(5), "takeover took \(takeover)")
        #expect(await eventually(timeout: .seconds(15)) { !a.isLeader }, "a must step down after its renew deadline")
        taskA.cancel()
        await taskA.value

        // Graceful stop releases the lease: c takes over at once, not after the lease duration.
        let taskC = Task { await c.run() }
        try await Task.sleep(for: .milliseconds(600))
        #expect(!c.isLeader)
        let released = ContinuousClock.now
        taskB.cancel()
        await taskB.value
        #expect(await eventually(timeout: .seconds(20)) { c.isLeader })
        #expect(ContinuousClock.now - released < Self.leaseDuration / 2, "release did not hand over at once")
        let lease = try server.cluster.get(server.cluster.servedTypes.first { $0.plural == "leases" }!, namespace: "default", name: "op")
        #expect(lease[path: "spec", "holderIdentity"] == "c")
        #expect((lease[path: "spec", "leaseTransitions"]?.intValue ?? 0) >= 2)
        taskC.cancel()
        await taskC.value
        try await server.shutdown()
    }
}

