import HTTP
import KubeAPI
import KubeClient
import Locking
import Logging
import Synchronization
import TestSupport
import Testing
@testable import ControllerRuntime

@Suite struct InformerTests {
    static func cm(_ name: String, _ rv: String) -> String {
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"ns","resourceVersion":"\#(rv)"}}"#
    }

    static func response(_ body: String, status: Int = 200) -> ScriptedTransport.Reply {
        .response(HTTPResponse(status: status, body: Array(body.utf8)))
    }

    @Test func relistsAfterGoneAndEmitsTheDeletesMissedWhileDisconnected() async throws {
        let transport = ScriptedTransport { request, index in
            switch index {
            case 0:
                return Self.response(#"{"metadata":{"resourceVersion":"10"},"items":[\#(Self.cm("a", "1")),\#(Self.cm("b", "2"))]}"#)
            case 1:
                let events = [#"{"type":"MODIFIED","object":\#(Self.cm("a", "11"))}"#,
                              #"{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}}"#]
                return .stream(status: 200, headers: [:], chunks: [Array((events.joined(separator: "\n") + "\n").utf8)])
            case 2:
                return Self.response(#"{"metadata":{"resourceVersion":"20"},"items":[\#(Self.cm("a", "11")),\#(Self.cm("c", "15"))]}"#)
            default:
                return .failure(.connection("refused"))
            }
        }
        let clock = ManualClock()
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://api"), transport: transport)
        let informer = Informer<ConfigMap>(client: client, options: .init(namespaces: ["ns"]), clock: TimeSource(clock), logger: Logger(label: "t"))
        let deltas = informer.subscribe()
        let seen = Locked<[String]>([])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            group.addTask {
                for await delta in deltas {
                    let text: String
                    switch delta {
                    case .added(let o): text = "+\(o.name)@\(o.metadata.resourceVersion!)"
                    case .updated(_, let o): text = "~\(o.name)@\(o.metadata.resourceVersion!)"
                    case .deleted(let o): text = "-\(o.name)"
                    }
                    seen.withLock { $0.append(text) }
                }
            }
            // After the relist the next watch fails and the informer backs off on the manual clock.
            #expect(await clock.waitForSleepers(1))
            group.cancelAll()
        }
        let events = seen.withLock { $0 }
        #expect(Array(events.prefix(3)) == ["+a@1", "+b@2", "~a@11"])
        #expect(Set(events.dropFirst(3)) == ["-b", "+c@15"])  // the relist's deltas; a@11 unchanged
        #expect(events.count == 5)
        #expect(informer.relistCount == 1)
        #expect(informer.hasSynced)
        #expect(informer.store.keys.sorted() == ["ns/a", "ns/c"])
        let requests = transport.requests
        #expect(requests[1].query["watch"] == "1")
        #expect(requests[1].query["resourceVersion"] == "10")
        #expect(requests[1].query["allowWatchBookmarks"] == "true")
        #expect(requests[2].query["watch"] == nil)
        #expect(requests[3].query["resourceVersion"] == "20")
    }

    @Test func resumesFromTheLastSeenResourceVersionAndBookmark() async throws {
        let transport = ScriptedTransport { _, index in
            switch index {
            case 0: return Self.response(#"{"metadata":{"resourceVersion":"5"},"items":[]}"#)
            case 1:
                let events = [#"{"type":"ADDED","object":\#(Self.cm("a", "6"))}"#,
                              #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"9"}}}"#]
                return .stream(status: 200, headers: [:], chunks: [Array((events.joined(separator: "\n") + "\n").utf8)])
            case 2:
                return .stream(status: 200, headers: [:], chunks: [Array((#"{"type":"DELETED","object":\#(Self.cm("a", "12"))}"# + "\n").utf8)])
            default: return .failure(.connection("refused"))
            }
        }
        let clock = ManualClock()
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://api"), transport: transport)
        let informer = Informer<ConfigMap>(client: client, clock: TimeSource(clock), logger: Logger(label: "t"))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            #expect(await clock.waitForSleepers(1))
            group.cancelAll()
        }
        let requests = transport.requests
        #expect(requests[0].path == "/api/v1/configmaps")
        #expect(requests[2].query["resourceVersion"] == "9")
        #expect(requests[3].query["resourceVersion"] == "12")
        #expect(informer.store.count == 0)
        #expect(informer.relistCount == 0)
    }

    @Test func throttlingHonoursRetryAfter() async throws {
        let transport = ScriptedTransport { _, index in
            switch index {
            case 0: return .response(HTTPResponse(status: 429, headers: ["Retry-After": "7"], body: Array(#"{"kind":"Status","code":429,"reason":"TooManyRequests","message":"slow down"}"#.utf8)))
            case 1: return Self.response(#"{"metadata":{"resourceVersion":"5"},"items":[\#(Self.cm("a", "3"))]}"#)
            default: return .failure(.connection("refused"))
            }
        }
        let clock = ManualClock()
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://api"), transport: transport)
        let informer = Informer<ConfigMap>(client: client, clock: TimeSource(clock), logger: Logger(label: "t"))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            #expect(await clock.waitForSleepers(1))
            clock.advance(by: .seconds(6))
            try? await Task.sleep(for: .milliseconds(20))
            #expect(transport.requests.count == 1)
            clock.advance(by: .seconds(1))
            #expect(await informer.waitForSync())
            group.cancelAll()
        }
        #expect(informer.store.count == 1)
    }

    @Test func objectsThatDoNotDecodeAreCountedNotDropped() async throws {
        let bad = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad","namespace":"ns","resourceVersion":"2"},"data":{"k":5}}"#
        let transport = ScriptedTransport { _, index in
            index == 0 ? Self.response(#"{"metadata":{"resourceVersion":"5"},"items":[\#(bad),\#(Self.cm("ok", "3"))]}"#) : .failure(.connection("refused"))
        }
        let clock = ManualClock()
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://api"), transport: transport)
        let informer = Informer<ConfigMap>(client: client, clock: TimeSource(clock), logger: Logger(label: "t"))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            #expect(await clock.waitForSleepers(1))
            group.cancelAll()
        }
        #expect(informer.undecodableCount == 1)
        #expect(informer.store.keys == ["ns/ok"])
    }
}
