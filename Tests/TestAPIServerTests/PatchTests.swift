import JSONValue
import Testing
import TestAPIServer

@Suite struct PatchTests {
    static let mergeCases: [(JSON, JSON)] = [
        (["data": ["k": nil]], [:]),
        (["data": ["n": "1"]], ["k": "v", "n": "1"]),
        (["data": ["k": "w"]], ["k": "w"]),
    ]

    @Test(arguments: mergeCases)
    func mergePatchFollowsRFC7386(patch: JSON, expectedData: JSON) async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("m"))
            let response = try await client.request("PATCH", Fixtures.configMaps + "/m", json: patch, contentType: "application/merge-patch+json")
            #expect(response.status == 200)
            #expect((response.object["data"] ?? [:]).isEquivalent(to: expectedData))
        }
    }

    static let jsonPatchCases: [(JSON, Int, JSON?)] = [
        ([["op": "add", "path": "/data/x", "value": "1"]], 200, ["k": "v", "x": "1"]),
        ([["op": "replace", "path": "/data/k", "value": "2"]], 200, ["k": "2"]),
        ([["op": "remove", "path": "/data/k"]], 200, [:]),
        ([["op": "copy", "from": "/data/k", "path": "/data/c"]], 200, ["k": "v", "c": "v"]),
        ([["op": "move", "from": "/data/k", "path": "/data/m"]], 200, ["m": "v"]),
        ([["op": "test", "path": "/data/k", "value": "v"], ["op": "add", "path": "/data/t", "value": "ok"]], 200, ["k": "v", "t": "ok"]),
        ([["op": "test", "path": "/data/k", "value": "nope"]], 422, nil),
        ([["op": "remove", "path": "/data/absent"]], 422, nil),
        ([["op": "jump", "path": "/data"]], 400, nil),
        (["op": "add"], 400, nil),
    ]

    @Test(arguments: jsonPatchCases)
    func jsonPatchFollowsRFC6902(patch: JSON, code: Int, expectedData: JSON?) async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("j"))
            let response = try await client.request("PATCH", Fixtures.configMaps + "/j", json: patch, contentType: "application/json-patch+json")
            #expect(response.status == code)
            if let expectedData { #expect((response.object["data"] ?? [:]).isEquivalent(to: expectedData)) }
        }
    }

    @Test func strategicMergePatchMergesContainersByName() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web"))
            let patch: JSON = ["spec": ["template": ["spec": ["containers": [
                ["name": "server", "image": "inference-server:2"],
                ["name": "sidecar", "$patch": "delete"],
                ["name": "metrics", "image": "exporter:1"],
            ]]]]]
            let response = try await client.request("PATCH", Fixtures.deployments + "/web", json: patch,
                                                    contentType: "application/strategic-merge-patch+json")
            let containers = response.object[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
            #expect(containers.map { $0["name"] } == ["server", "metrics"])
            #expect(containers.first?["image"] == "inference-server:2")
            #expect(response.object[path: "metadata", "generation"] == 2)
        }
    }

    @Test func strategicMergePatchIsRefusedForCustomResourcesAndUnknownTypes() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.crds, json: Fixtures.crd)
            _ = try await client.request("POST", Fixtures.inferenceServices, json: Fixtures.inferenceService("a"))
            let smp = try await client.request("PATCH", Fixtures.inferenceServices + "/a", json: ["spec": ["replicas": 3]],
                                               contentType: "application/strategic-merge-patch+json")
            #expect(smp.status == 415)
            #expect(smp.object["reason"] == "UnsupportedMediaType")
            let unknown = try await client.request("PATCH", Fixtures.inferenceServices + "/a", json: [:], contentType: "text/plain")
            #expect(unknown.status == 415)
            let missing = try await client.request("PATCH", Fixtures.inferenceServices + "/b", json: [:], contentType: "application/merge-patch+json")
            #expect(missing.status == 404)
        }
    }

    @Test func patchCarryingStaleResourceVersionConflicts() async throws {
        try await withServer { _, client in
            let created = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("p")).object
            _ = try await client.request("PATCH", Fixtures.configMaps + "/p", json: ["data": ["k": "1"]], contentType: "application/merge-patch+json")
            let stale = try await client.request("PATCH", Fixtures.configMaps + "/p",
                                                 json: ["metadata": ["resourceVersion": .string(created.rv)], "data": ["k": "2"]],
                                                 contentType: "application/merge-patch+json")
            #expect(stale.status == 409)
        }
    }
}
