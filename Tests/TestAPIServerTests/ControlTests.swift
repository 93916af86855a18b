import JSONValue
import Testing
import TestAPIServer
import YAML

@Suite struct ControlTests {
    /// `TestAPIServer.kubeconfig` (every test's kubectl, Helm and operator
    /// config): tokens and namespaces arrive as given, whatever they hold.
    @Test(arguments: [nil, "plain-token", "a: b #c", "quote\" and \\ backslash"] as [String?])
    func kubeconfigCarriesServerTokenAndNamespace(token: String?) throws {
        let config = try YAML.parse(TestAPIServer.kubeconfig(port: 6443, token: token, namespace: "ml"))
        #expect(config["current-context"] == "test-apiserver")
        #expect(config["clusters"]?[0]?[path: "cluster", "server"] == "http://127.0.0.1:6443")
        #expect(config["contexts"]?[0]?[path: "context", "namespace"] == "ml")
        #expect(config["users"]?[0]?[path: "user", "token"] == token.map(JSON.string))
    }

    @Test func requestLogRecordsVerbPathAgentAndStatus() async throws {
        try await withServer { server, client in
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("a"))
            _ = try await client.request("GET", Fixtures.configMaps + "/a", headers: [("User-Agent", "operator/0.1")])
            _ = try await client.request("GET", Fixtures.configMaps + "/missing")
            _ = try await client.request("GET", Fixtures.configMaps + "?labelSelector=app%3Dx")
            let records = server.requestLog.records
            #expect(records.map(\.verb) == ["create", "get", "get", "list"])
            #expect(records.map(\.status) == [201, 200, 404, 200])
            #expect(records[1].userAgent == "operator/0.1")
            #expect(records[3].query == "labelSelector=app=x")
            #expect(records[1].resource == "configmaps" && records[1].namespace == "default" && records[1].name == "a")
            #expect(records[0].name == "" && records[0].resource == "configmaps")
            #expect(server.requestLog.writes.count == 1)
            let remote = try await client.request("GET", "/testapi/requests").object["items"]?.arrayValue ?? []
            #expect(remote.count == 4)
            #expect(remote.first?["verb"] == "create")
            _ = try await client.request("DELETE", "/testapi/requests")
            #expect(server.requestLog.records.isEmpty)
        }
    }

    @Test(arguments: [(500, "InternalError", nil), (429, "TooManyRequests", "7")] as [(Int, String, String?)])
    func injectedFailuresHitTheNextRequestsThenStop(code: Int, reason: String, retryAfter: String?) async throws {
        try await withServer { _, client in
            #expect(try await client.request("POST", "/testapi/faults/fail?count=2&code=\(code)&retryAfter=7").status == 200)
            for _ in 0..<2 {
                let failed = try await client.request("GET", Fixtures.configMaps)
                #expect(failed.status == code)
                #expect(failed.object["reason"] == .string(reason))
                #expect(failed.header("Retry-After") == retryAfter)
            }
            #expect(try await client.request("GET", Fixtures.configMaps).status == 200)
        }
    }

    @Test func injectedFailureCanTargetOneVerb() async throws {
        try await withServer { server, client in
            server.faults.failNext(1, code: 500, verb: "update")
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("a"))
            let object = try await client.request("GET", Fixtures.configMaps + "/a").object
            #expect(try await client.request("PUT", Fixtures.configMaps + "/a", json: object).status == 500)
            #expect(try await client.request("PUT", Fixtures.configMaps + "/a", json: object).status == 200)
        }
    }

    @Test func injectedFailureCanTargetOneSubresource() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web"))
            #expect(try await client.request("POST", "/testapi/faults/fail?count=1&code=500&resource=deployments/status").status == 200)
            #expect(try await client.request("PATCH", Fixtures.deployments + "/web", json: ["metadata": ["labels": ["a": "b"]]],
                                             contentType: "application/merge-patch+json").status == 200, "the main resource is not hit")
            let status = ["status": ["replicas": 1]] as JSON
            #expect(try await client.request("PATCH", Fixtures.deployments + "/web/status", json: status, contentType: "application/merge-patch+json").status == 500)
            #expect(try await client.request("PATCH", Fixtures.deployments + "/web/status", json: status, contentType: "application/merge-patch+json").status == 200)
        }
    }

    @Test func injectedLatencyDelaysAnswers() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", "/testapi/faults/latency?ms=200")
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await client.request("GET", "/api/v1/namespaces/default").status == 200)
            #expect(clock.now - start >= .milliseconds(190))
            _ = try await client.request("POST", "/testapi/faults/latency?ms=0")
        }
    }

    @Test(arguments: ["/testapi/faults/fail?code=418", "/testapi/faults/fail?count=0", "/testapi/faults/latency?ms=-5", "/testapi/nothing"])
    func adminEndpointsRejectBadInput(target: String) async throws {
        try await withServer { _, client in
            let response = try await client.request("POST", target)
            #expect(response.status == 400 || response.status == 404)
            #expect(response.object["kind"] == "Status")
        }
    }
}
