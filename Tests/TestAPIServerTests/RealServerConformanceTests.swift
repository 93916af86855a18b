import Foundation
import JSONValue
import Testing
import TestAPIServer

/// The test API server held to what a real kube-apiserver answered: every
/// request in `Fixtures/kube-apiserver-v1.23.16.jsonl` is replayed, in the
/// capture's order, against a test API server configured as that server ran
/// (release 1.23, the CEL gate on, no watch cache), with the setup each
/// case needs in between (the objects it reads, an old resourceVersion, a
/// prior applier). Each answer must match the real one: the HTTP status,
/// and for a Status its reason, code, message and every cause's field,
/// reason and message; for an object every field the capture kept, masked
/// values only required to be present.
@Suite struct RealServerConformanceTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let method: String
        let path: String
        let contentType: String?
        let body: JSON?
        let status: Int
        let answer: JSON
        var description: String { name }
    }

    static let cases: [Case] = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/kube-apiserver-v1.23.16.jsonl")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> Case? in
            guard let record = try? JSON.parse(String(line)), let request = record["request"], let response = record["response"] else { return nil }
            return Case(name: record["case"]?.stringValue ?? "?", method: request["method"]?.stringValue ?? "GET",
                        path: request["path"]?.stringValue ?? "/", contentType: request["content_type"]?.stringValue,
                        body: request["body"].flatMap { $0.isNull ? nil : $0 },
                        status: Int(response["status"]?.intValue ?? 0), answer: response["body"] ?? .null)
        }
    }()

    @Test func theCaptureIsThere() {
        #expect(Self.cases.count == 22, "Fixtures/kube-apiserver-v1.23.16.jsonl should hold the 22 captured cases")
    }

    @Test func everyCapturedAnswerIsReproducedInOrder() async throws {
        try await withServer({ configuration in
            configuration.cluster.kubernetesVersion = KubernetesVersion(1, 23)
            configuration.cluster.validationRulesGate = true
            configuration.cluster.watchCache = false
        }) { server, client in
            let widgets = "/apis/example.test/v1/namespaces/default/widgets"
            var oldResourceVersion = ""
            for item in Self.cases {
                var path = item.path
                var body = item.body
                // Setup the capture did between its recorded requests.
                switch item.name {
                case "cr-update-conflict":
                    // PUT the object as it was before someone else changed it.
                    var stale = try await client.request("GET", widgets + "/a").object
                    let changed = try await client.request("PUT", widgets + "/a", json: Self.with(stale, ["metadata", "labels"], ["x": "y"]))
                    #expect(changed.status == 200)
                    stale["metadata"]?["managedFields"] = nil
                    body = stale
                case "ssa-conflict":
                    let first = try await client.request("PATCH", widgets + "/e?fieldManager=one",
                                                         json: ["apiVersion": "example.test/v1", "kind": "Widget", "metadata": ["name": "e"],
                                                                "spec": ["replicas": 3]],
                                                         contentType: "application/apply-patch+yaml")
                    #expect(first.status == 201)
                case "list-limit":
                    // A resourceVersion that the writes below and a compaction make too old.
                    oldResourceVersion = try await client.request("GET", widgets).object.rv
                    for name in ["f", "g", "h", "i", "j"] {
                        let made = try await client.request("POST", widgets, json: ["apiVersion": "example.test/v1", "kind": "Widget",
                                                                                    "metadata": ["name": .string(name)], "spec": [:]])
                        #expect(made.status == 201)
                    }
                case "watch-expired":
                    server.cluster.compact()
                    path = path.replacingOccurrences(of: "<old>", with: oldResourceVersion)
                default:
                    break
                }
                let response = try await client.request(item.method, path, json: body, contentType: item.contentType ?? "application/json")
                #expect(response.status == item.status, "\(item.name): HTTP \(response.status), the real server said \(item.status)\n\(response.object)")
                if item.name == "watch-expired" {
                    let event = try JSON.parse(String(decoding: response.body, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "")
                    Self.expectMatch(event, item.answer, item.name)
                } else if item.name == "list-limit" {
                    let list = response.object
                    #expect(list["items"]?.arrayValue?.count == Int(item.answer["items"]?.intValue ?? -1), "\(item.name)")
                    #expect(list[path: "metadata", "remainingItemCount"] == item.answer["remainingItemCount"], "\(item.name)")
                    let keys = Set(list["metadata"]?.objectValue?.keys ?? [])
                    #expect(keys == Set(item.answer["metadata_keys"]?.arrayValue?.compactMap(\.stringValue) ?? []), "\(item.name)")
                } else {
                    Self.expectMatch(response.object, item.answer, item.name)
                }
            }
        }
    }

    /// Every field of `expected` is in `actual` with the same value; `"<masked>"`
    /// only needs to be present. Causes compare as a set, and so do the parts
    /// of a message listing several errors: the real server finds schema errors
    /// walking Go maps, whose order changes from run to run.
    static func expectMatch(_ actual: JSON, _ expected: JSON, _ name: String, path: String = "") {
        if path == ".details.causes", let got = actual.arrayValue, let want = expected.arrayValue {
            let same = got.count == want.count && want.allSatisfy { cause in got.contains { $0.isEquivalent(to: cause) } }
            #expect(same, "\(name): causes \(actual), the real server said \(expected)")
            return
        }
        if path == ".message", let got = actual.stringValue, let want = expected.stringValue,
           let gotList = got.range(of: " is invalid: ["), let wantList = want.range(of: " is invalid: [") {
            // The same errors in another order: same head, and the same characters
            // in the list (each error is compared exactly through the causes).
            #expect(got[..<gotList.upperBound] == want[..<wantList.upperBound], "\(name): \(got)")
            #expect(got[gotList.upperBound...].sorted() == want[wantList.upperBound...].sorted(), "\(name): \(got), the real server said \(want)")
            return
        }
        switch expected {
        case .string("<masked>"):
            #expect(actual != .null, "\(name): \(path) is missing")
        case .object(let fields):
            for (key, value) in fields {
                expectMatch(actual[key] ?? .null, value, name, path: path + "." + key)
            }
        case .array(let items):
            let got = actual.arrayValue ?? []
            #expect(got.count == items.count, "\(name): \(path) has \(got.count) items, the real server \(items.count): \(actual)")
            for (i, item) in items.enumerated() where i < got.count {
                expectMatch(got[i], item, name, path: "\(path)[\(i)]")
            }
        default:
            #expect(actual.isEquivalent(to: expected), "\(name): \(path) is \(actual), the real server said \(expected)")
        }
    }

    static func with(_ object: JSON, _ path: [String], _ value: JSON) -> JSON {
        guard let first = path.first else { return value }
        var copy = object
        copy[first] = with(object[first] ?? [:], Array(path.dropFirst()), value)
        return copy
    }
}
