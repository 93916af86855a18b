import HTTP
import JSONValue
import KubeAPI
import Testing
import TestSupport
@testable import KubeClient

@Suite struct WatchTests {
    static let events = [
        #"{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"5"},"data":{"k":"v"}}}"#,
        #"{"type":"MODIFIED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"6"},"data":{"k":"é😀"}}}"#,
        #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"9"}}}"#,
        #"{"type":"DELETED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"10"}}}"#,
    ]

    static func chunked(_ text: String, size: Int) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    static func client(chunks: [[UInt8]], status: Int = 200) -> (KubeClient, ScriptedTransport) {
        let transport = ScriptedTransport { _, _ in .stream(status: status, headers: [:], chunks: chunks) }
        return (KubeClient(configuration: KubeClientConfiguration(server: "http://x"), transport: transport), transport)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 100_000])
    func eventsSplitAcrossAnyChunkBoundaryDecode(chunkSize: Int) async throws {
        let body = Self.events.joined(separator: "\n") + "\n"
        let (client, transport) = Self.client(chunks: Self.chunked(body, size: chunkSize))
        var seen: [String] = []
        for try await event in try await client.watch(.configMaps, namespace: "ns", options: WatchOptions(resourceVersion: "4", timeoutSeconds: 300)) {
            switch event {
            case .added(let o): seen.append("ADDED " + (o[path: "metadata", "name"]?.stringValue ?? ""))
            case .modified(let o): seen.append("MODIFIED " + (o[path: "data", "k"]?.stringValue ?? ""))
            case .deleted: seen.append("DELETED")
            case .bookmark(let rv): seen.append("BOOKMARK " + rv)
            }
        }
        #expect(seen == ["ADDED a", "MODIFIED é😀", "BOOKMARK 9", "DELETED"])
        let query = transport.requests[0].query
        #expect(query["watch"] == "1")
        #expect(query["resourceVersion"] == "4")
        #expect(query["allowWatchBookmarks"] == "true")
        #expect(query["timeoutSeconds"] == "300")
        #expect(transport.requests[0].timeout == nil)
    }

    @Test func goneAtStartIsADistinctError() async {
        let status = #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (50)","reason":"Expired","code":410}"#
        let (client, _) = Self.client(chunks: [Array(status.utf8)], status: 410)
        await #expect {
            _ = try await client.watch(.pods, options: WatchOptions(resourceVersion: "1"))
        } throws: { error in
            if case .gone(let s) = error as? KubeAPIError { return s.message?.contains("too old") == true }
            return false
        }
    }

    @Test func goneMidStreamEndsTheWatchWithGone() async throws {
        let body = Self.events[0] + "\n" + #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old","reason":"Gone","code":410}}"# + "\n"
        let (client, _) = Self.client(chunks: Self.chunked(body, size: 5))
        var added = 0
        do {
            for try await event in try await client.watch(.configMaps) {
                if case .added = event { added += 1 }
            }
            Issue.record("expected gone")
        } catch let error as KubeAPIError {
            guard case .gone = error else { Issue.record("wrong error \(error)"); return }
        }
        #expect(added == 1)
    }

    @Test func typedWatchReportsObjectsThatDoNotDecode() async throws {
        let bad = #"{"type":"ADDED","object":{"kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":"x"}}}"#
        let good = #"{"type":"ADDED","object":{"kind":"Deployment","metadata":{"name":"e"},"spec":{"replicas":2}}}"#
        let (client, _) = Self.client(chunks: [Array((bad + "\n" + good + "\n").utf8)])
        var results: [String] = []
        for try await event in try await client.watch(Deployment.self) {
            switch event {
            case .added(let d): results.append("ok \(d.name) \(d.spec?.replicas ?? 0)")
            case .undecodable(let type, let object, let reason):
                results.append("bad \(type) \(object[path: "metadata", "name"]?.stringValue ?? "") \(reason.contains("spec.replicas"))")
            default: results.append("other")
            }
        }
        #expect(results == ["bad ADDED d true", "ok e 2"])
    }

    @Test(arguments: [
        ("{garbage", "not valid JSON"),
        (#"{"object":{}}"#, "has no type"),
        (#"{"type":"ADDED"}"#, "has no object"),
        (#"{"type":"WEIRD","object":{}}"#, "unknown watch event type"),
    ])
    func malformedLinesAreDecodingErrors(line: String, message: String) async {
        let (client, _) = Self.client(chunks: [Array((line + "\n").utf8)])
        do {
            for try await _ in try await client.watch(.pods) {}
            Issue.record("expected an error")
        } catch let error as KubeAPIError {
            guard case .decoding(let text) = error else { Issue.record("wrong error \(error)"); return }
            #expect(text.contains(message))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func blankKeepAliveLinesAreSkipped() async throws {
        let body = "\n\r\n" + Self.events[0] + "\r\n\n"
        let (client, _) = Self.client(chunks: [Array(body.utf8)])
        var count = 0
        for try await _ in try await client.watch(.configMaps) { count += 1 }
        #expect(count == 1)
    }
}
