import JSONValue
import Testing
@testable import TestAPIServer

@Suite struct ListTests {
    static let labels: JSONObject = ["app": "web", "tier": "frontend", "rank": "3"]

    @Test(arguments: [
        ("app=web", true), ("app==web", true), ("app!=web", false), ("app=db", false),
        ("app in (web,db)", true), ("app notin (web)", false), ("tier notin (backend)", true),
        ("app", true), ("!app", false), ("!missing", true), ("missing", false),
        ("app=web,tier=frontend", true), ("app=web,tier=backend", false), ("missing notin (x)", true),
        ("rank>2", true), ("rank<3", false), ("", true),
    ])
    func labelSelectorMatches(selector: String, expected: Bool) throws {
        #expect(try LabelSelector(parsing: selector).matches(Self.labels) == expected)
    }

    @Test(arguments: ["app in web", "=x", "app in (a,(b)", "a b c = d", "rank>x"])
    func malformedLabelSelectorIsBadRequest(selector: String) {
        #expect(throws: APIError.self) { try LabelSelector(parsing: selector) }
    }

    @Test func listFiltersByLabelAndFieldSelectors() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", "/api/v1/namespaces", json: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "other"]])
            for (name, app) in [("a", "web"), ("b", "db"), ("c", "web")] {
                _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap(name, labels: ["app": .string(app)]))
            }
            _ = try await client.request("POST", "/api/v1/namespaces/other/configmaps", json: Fixtures.configMap("a", labels: ["app": "web"]))
            func names(_ target: String) async throws -> [String] {
                let list = try await client.request("GET", target).object
                return list["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue } ?? []
            }
            #expect(try await names(Fixtures.configMaps + "?labelSelector=app%3Dweb") == ["a", "c"])
            #expect(try await names(Fixtures.configMaps + "?labelSelector=app+in+(db)") == ["b"])
            #expect(try await names(Fixtures.configMaps + "?fieldSelector=metadata.name%3Db") == ["b"])
            #expect(try await names(Fixtures.configMaps + "?fieldSelector=metadata.name!%3Db") == ["a", "c"])
            #expect(try await names("/api/v1/configmaps?labelSelector=app%3Dweb") == ["a", "c", "a"], "cluster-wide list spans namespaces")
            #expect(try await names("/api/v1/configmaps?fieldSelector=metadata.namespace%3Dother") == ["a"])
            let bad = try await client.request("GET", Fixtures.configMaps + "?fieldSelector=spec.foo%3D1")
            #expect(bad.status == 400)
            #expect(bad.object["message"] == "field label not supported: spec.foo")
            let list = try await client.request("GET", Fixtures.configMaps).object
            #expect(list["kind"] == "ConfigMapList")
            #expect(list[path: "metadata", "resourceVersion"] != nil)
        }
    }

    @Test func paginatesWithLimitAndContinue() async throws {
        try await withServer { _, client in
            for i in 0..<7 { _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("cm-\(i)")) }
            var seen: [String] = []
            var token: String?
            var pages = 0
            var firstRV: String?
            repeat {
                let target = Fixtures.configMaps + "?limit=3" + (token.map { "&continue=\($0)" } ?? "")
                let page = try await client.request("GET", target).object
                firstRV = firstRV ?? page.rv
                #expect(page.rv == firstRV, "every page reports the first page's resourceVersion")
                seen += page["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue } ?? []
                token = page[path: "metadata", "continue"]?.stringValue
                if token != nil { #expect(page[path: "metadata", "remainingItemCount"] != nil) }
                pages += 1
            } while token != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == (0..<7).map { "cm-\($0)" })
        }
    }

    @Test func continueTokenOlderThanCompactionIsExpired() async throws {
        try await withServer { server, client in
            for i in 0..<3 { _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("cm-\(i)")) }
            let page = try await client.request("GET", Fixtures.configMaps + "?limit=1").object
            let token = try #require(page[path: "metadata", "continue"]?.stringValue)
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("later"))
            server.cluster.compact()
            let expired = try await client.request("GET", Fixtures.configMaps + "?limit=1&continue=\(token)")
            #expect(expired.status == 410)
            #expect(expired.object["reason"] == "Expired")
            #expect(try await client.request("GET", Fixtures.configMaps + "?continue=garbage").status == 400)
        }
    }
}
