import JSONValue
import Testing
import TestAPIServer

@Suite struct DiscoveryTests {
    @Test func servesCoreAndGroupDiscoveryWithShortNamesAndSubresources() async throws {
        try await withServer { _, client in
            let api = try await client.request("GET", "/api").object
            #expect(api["versions"] == ["v1"])
            let groups = try await client.request("GET", "/apis").object["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            for group in ["apps", "coordination.k8s.io", "events.k8s.io", "rbac.authorization.k8s.io", "apiextensions.k8s.io", "authorization.k8s.io"] {
                #expect(groups.contains(group), "missing group \(group)")
            }
            let core = try await client.request("GET", "/api/v1").object["resources"]?.arrayValue ?? []
            let services = core.first { $0["name"] == "services" }
            #expect(services?["shortNames"] == ["svc"])
            #expect(services?["namespaced"] == true)
            #expect(core.contains { $0["name"] == "namespaces" && $0["namespaced"] == false })
            let apps = try await client.request("GET", "/apis/apps/v1").object["resources"]?.arrayValue ?? []
            let scale = apps.first { $0["name"] == "deployments/scale" }
            #expect(scale?["kind"] == "Scale" && scale?["group"] == "autoscaling")
            #expect(apps.contains { $0["name"] == "deployments/status" })
            #expect(try await client.request("GET", "/apis/apps").object["preferredVersion"]?["groupVersion"] == "apps/v1")
        }
    }

    @Test(arguments: [("/version", 200), ("/healthz", 200), ("/readyz", 200), ("/openapi/v3", 200),
                      ("/apis/nope.example.com/v1", 404), ("/api/v1/widgets", 404), ("/not-kubernetes", 404)])
    func answersFixedPaths(path: String, code: Int) async throws {
        try await withServer { _, client in
            let response = try await client.request("GET", path)
            #expect(response.status == code)
            if code == 404 {
                #expect(response.object["kind"] == "Status")
                #expect(response.object["reason"] == "NotFound")
            }
        }
    }

    @Test func appliedCRDIsServedWithItsNames() async throws {
        try await withServer { _, client in
            #expect(try await client.request("POST", Fixtures.crds, json: Fixtures.crd).status == 201)
            let crd = try await client.request("GET", Fixtures.crds + "/inferenceservices.serving.swiftinfer.io").object
            #expect(crd[path: "status", "conditions"]?.arrayValue?.contains { $0["type"] == "Established" && $0["status"] == "True" } == true)
            let groups = try await client.request("GET", "/apis").object["groups"]?.arrayValue ?? []
            #expect(groups.contains { $0["name"] == "serving.swiftinfer.io" })
            let resources = try await client.request("GET", "/apis/serving.swiftinfer.io/v1alpha1").object["resources"]?.arrayValue ?? []
            let main = resources.first { $0["name"] == "inferenceservices" }
            #expect(main?["shortNames"] == ["infsvc"])
            #expect(main?["categories"] == ["all"])
            #expect(main?["kind"] == "InferenceService")
            #expect(resources.contains { $0["name"] == "inferenceservices/status" })
            #expect(resources.contains { $0["name"] == "inferenceservices/scale" })
            // Deleting the CRD stops serving it: its objects go (DELETED events) and its watches end.
            _ = try await client.request("POST", Fixtures.inferenceServices, json: Fixtures.inferenceService("a"))
            let events = try await client.stream(Fixtures.inferenceServices + "?watch=1&timeoutSeconds=10") { lines in
                #expect(try await lines.nextEvent()?["type"] == "ADDED")
                #expect(try await client.request("DELETE", Fixtures.crds + "/inferenceservices.serving.swiftinfer.io").status == 200)
                var types: [String] = []
                while let event = try await lines.nextEvent() { types.append(event["type"]?.stringValue ?? "") }
                return types
            }
            #expect(events == ["DELETED"])
            #expect(try await client.request("GET", "/apis/serving.swiftinfer.io/v1alpha1").status == 404)
        }
    }
}

@Suite struct MalformedPathTests {
    @Test(arguments: ["/api/", "/apis/", "/api/v1/namespaces/default/configmaps/a/b/c",
                      "/apis/apps/v1/namespaces/", "/api/v1/namespaces//configmaps", "/api/v1/namespaces/default/configmaps/a/status",
                      "/api/v1/configmaps/a", "/api/v1/namespaces/default/namespaces", "/%zz", "/api/v1/namespaces/default/configmaps?limit=-1"])
    func oddPathsAnswerStatusErrorsNotCrashes(path: String) async throws {
        try await withServer { _, client in
            let response = try await client.request("GET", path)
            #expect([400, 404].contains(response.status), "\(path) -> \(response.status)")
            #expect(response.object["kind"] == "Status")
        }
    }

    @Test(arguments: ["{", "[1,2]", "null", "\u{0}\u{1}"])
    func malformedBodiesAreBadRequests(body: String) async throws {
        try await withServer { _, client in
            let response = try await client.request("POST", Fixtures.configMaps, body: Array(body.utf8))
            #expect(response.status == 400)
            #expect(response.object["reason"] == "BadRequest")
        }
    }
}
