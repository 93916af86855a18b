import JSONValue
import Testing
import TestAPIServer

@Suite struct WatchTests {
    @Test func watchFromListResourceVersionSeesAddModifyDeleteInOrder() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("before"))
            let list = try await client.request("GET", Fixtures.configMaps).object
            let events = try await client.stream(Fixtures.configMaps + "?watch=1&resourceVersion=\(list.rv)&timeoutSeconds=5") { lines in
                #expect(lines.status == 200)
                _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("w"))
                _ = try await client.request("PATCH", Fixtures.configMaps + "/w", json: ["data": ["k": "2"]], contentType: "application/merge-patch+json")
                _ = try await client.request("DELETE", Fixtures.configMaps + "/w")
                var seen: [JSON] = []
                while seen.count < 3, let event = try await lines.nextEvent() { seen.append(event) }
                return seen
            }
            #expect(events.map { $0["type"] } == ["ADDED", "MODIFIED", "DELETED"])
            #expect(events.allSatisfy { $0[path: "object", "metadata", "name"] == "w" })
            let rvs = events.compactMap { Int($0["object"]?.rv ?? "") }
            #expect(rvs == rvs.sorted() && Set(rvs).count == 3)
        }
    }

    @Test func watchWithoutResourceVersionStartsWithCurrentObjects() async throws {
        try await withServer { _, client in
            for name in ["a", "b"] { _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap(name)) }
            let names = try await client.stream(Fixtures.configMaps + "?watch=true&timeoutSeconds=5") { lines in
                var out: [String] = []
                while out.count < 2, let e = try await lines.nextEvent() {
                    #expect(e["type"] == "ADDED")
                    out.append(e[path: "object", "metadata", "name"]?.stringValue ?? "")
                }
                return out
            }
            #expect(names == ["a", "b"])
        }
    }

    @Test func watchResumesFromResourceVersionAndFiltersByNamespaceAndLabels() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", "/api/v1/namespaces", json: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "other"]])
            let start = try await client.request("GET", Fixtures.configMaps).object.rv
            _ = try await client.request("POST", "/api/v1/namespaces/other/configmaps", json: Fixtures.configMap("elsewhere", labels: ["app": "web"]))
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("db", labels: ["app": "db"]))
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("web", labels: ["app": "web"]))
            // A label change moves an object out of the selection: the watcher sees DELETED.
            _ = try await client.request("PATCH", Fixtures.configMaps + "/web", json: ["metadata": ["labels": ["app": "gone"]]],
                                         contentType: "application/merge-patch+json")
            let events = try await client.stream(Fixtures.configMaps + "?watch=1&resourceVersion=\(start)&labelSelector=app%3Dweb&timeoutSeconds=1") { lines in
                var out: [String] = []
                while let e = try await lines.nextEvent() {
                    out.append("\(e["type"]?.stringValue ?? "") \(e[path: "object", "metadata", "name"]?.stringValue ?? "")")
                }
                return out
            }
            #expect(events == ["ADDED web", "DELETED web"])
        }
    }

    @Test func bookmarksCarryTheCurrentResourceVersion() async throws {
        try await withServer({ $0.bookmarkInterval = .milliseconds(100) }) { _, client in
            let rv = try await client.request("GET", Fixtures.configMaps).object.rv
            let event = try await client.stream(Fixtures.configMaps + "?watch=1&resourceVersion=\(rv)&allowWatchBookmarks=true&timeoutSeconds=5") { lines in
                try await lines.nextEvent()
            }
            #expect(event?["type"] == "BOOKMARK")
            #expect(event?[path: "object", "kind"] == "ConfigMap")
            #expect(event?[path: "object", "metadata", "resourceVersion"] == .string(rv))
            let withoutFlag = try await client.stream(Fixtures.configMaps + "?watch=1&resourceVersion=\(rv)&timeoutSeconds=1") { lines in
                var n = 0
                while try await lines.nextLine() != nil { n += 1 }
                return n
            }
            #expect(withoutFlag == 0, "no bookmarks unless allowWatchBookmarks is set")
        }
    }

    @Test func timeoutSecondsEndsTheStreamCleanly() async throws {
        try await withServer { server, client in
            let clock = ContinuousClock()
            let started = clock.now
            let count = try await client.stream(Fixtures.configMaps + "?watch=1&resourceVersion=1&timeoutSeconds=1") { lines in
                var n = 0
                while try await lines.nextLine() != nil { n += 1 }
                return n
            }
            let elapsed = clock.now - started
            #expect(count == 0)
            // Ends after the timeout, not before; the upper bound only says it
            // ended at all (a loaded 2-core box once took 22 s to get there).
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(120))
            #expect(server.cluster.openWatchCount == 0)
        }
    }

    @Test func compactedResourceVersionAnswers410AtStartAndErrorEventMidStream() async throws {
        try await withServer { server, client in
            let old = try await client.request("GET", Fixtures.configMaps).object.rv
            let current = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("x")).object.rv
            let compact = try await client.request("POST", "/testapi/compact?expireWatches=false")
            #expect(compact.status == 200)
            let gone = try await client.request("GET", Fixtures.configMaps + "?watch=1&resourceVersion=\(old)")
            #expect(gone.status == 410)
            #expect(gone.object["reason"] == "Expired")
            #expect(gone.object["code"] == 410)
            let error = try await client.stream(Fixtures.configMaps + "?watch=1&resourceVersion=\(current)&timeoutSeconds=5") { lines in
                server.cluster.compact()
                return try await lines.nextEvent()
            }
            #expect(error?["type"] == "ERROR")
            #expect(error?[path: "object", "kind"] == "Status")
            #expect(error?[path: "object", "code"] == 410)
        }
    }

    @Test func historyLimitCompactsOldResourceVersionsAutomatically() async throws {
        try await withServer({ $0.cluster.historyLimit = 3 }) { _, client in
            let first = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("c0")).object.rv
            for i in 1...5 { _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("c\(i)")) }
            #expect(try await client.request("GET", Fixtures.configMaps + "?watch=1&resourceVersion=\(first)").status == 410)
        }
    }

    @Test func droppedWatchClosesTheConnection() async throws {
        try await withServer { server, client in
            let ended = try await client.stream(Fixtures.configMaps + "?watch=1&resourceVersion=1&timeoutSeconds=30") { lines in
                #expect(server.cluster.openWatchCount == 1)
                let dropped = try await client.request("POST", "/testapi/faults/drop-watches")
                #expect(dropped.status == 200)
                do { return try await lines.nextLine() == nil } catch { return true }
            }
            #expect(ended)
            #expect(server.cluster.openWatchCount == 0)
        }
    }
}

@Suite struct WatchFanOutTests {
    /// Many watchers and concurrent writers: every watcher sees every event
    /// once, in resourceVersion order (bounded: 10 watchers x 200 writes).
    @Test func concurrentWritesReachEveryWatcherInOrder() async throws {
        try await withServer { server, client in
            let start = try await client.request("GET", Fixtures.configMaps).object.rv
            let writes = 200
            let watchers = 10
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<watchers {
                    group.addTask {
                        try await client.stream(Fixtures.configMaps + "?watch=1&resourceVersion=\(start)&timeoutSeconds=20") { lines in
                            var rvs: [Int] = []
                            while rvs.count < writes, let event = try await lines.nextEvent() {
                                rvs.append(Int(event["object"]?.rv ?? "") ?? -1)
                            }
                            return rvs
                        }
                    }
                }
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { writers in
                        for w in 0..<4 {
                            writers.addTask {
                                for i in stride(from: w, to: writes, by: 4) {
                                    _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("cm-\(i)"))
                                }
                            }
                        }
                        try await writers.waitForAll()
                    }
                    return []
                }
                var all: [[Int]] = []
                for try await result in group where !result.isEmpty { all.append(result) }
                return all
            }
            #expect(results.count == watchers)
            for rvs in results {
                #expect(rvs.count == writes)
                #expect(rvs == rvs.sorted() && Set(rvs).count == writes)
            }
        }
    }
}
