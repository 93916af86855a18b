import JSONValue
import Testing
import TestAPIServer

@Suite struct DeletionTests {
    /// Creates an InferenceService-like owner (a ConfigMap) and a Deployment it owns.
    func ownerAndDependent(_ client: LoopbackClient) async throws -> (owner: JSON, dependent: JSON) {
        let owner = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("owner")).object
        let reference: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner[path: "metadata", "uid"] ?? .null,
                               "controller": true, "blockOwnerDeletion": true]
        let dependent = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web", owner: reference)).object
        return (owner, dependent)
    }

    @Test func backgroundDeletionRemovesOwnerAtOnceAndCollectsDependents() async throws {
        try await withServer { _, client in
            _ = try await ownerAndDependent(client)
            let response = try await client.request("DELETE", Fixtures.configMaps + "/owner", json: ["propagationPolicy": "Background"])
            #expect(response.status == 200)
            #expect(response.object["kind"] == "Status")
            #expect(response.object["status"] == "Success")
            #expect(try await client.request("GET", Fixtures.configMaps + "/owner").status == 404)
            #expect(try await client.request("GET", Fixtures.deployments + "/web").status == 404)
        }
    }

    @Test func foregroundDeletionKeepsOwnerUntilDependentsAreGone() async throws {
        try await withServer { _, client in
            _ = try await ownerAndDependent(client)
            // A finalizer on the dependent holds the whole foreground deletion.
            _ = try await client.request("PATCH", Fixtures.deployments + "/web", json: ["metadata": ["finalizers": ["example.com/hold"]]],
                                         contentType: "application/merge-patch+json")
            let response = try await client.request("DELETE", Fixtures.configMaps + "/owner?propagationPolicy=Foreground")
            #expect(response.status == 200)
            #expect(response.object[path: "metadata", "deletionTimestamp"] != nil)
            #expect(response.object[path: "metadata", "finalizers"] == ["foregroundDeletion"])
            let dependent = try await client.request("GET", Fixtures.deployments + "/web").object
            #expect(dependent[path: "metadata", "deletionTimestamp"] != nil)
            #expect(try await client.request("GET", Fixtures.configMaps + "/owner").status == 200)
            // Releasing the dependent's finalizer lets both go.
            _ = try await client.request("PATCH", Fixtures.deployments + "/web", json: [["op": "remove", "path": "/metadata/finalizers"]],
                                         contentType: "application/json-patch+json")
            #expect(try await client.request("GET", Fixtures.deployments + "/web").status == 404)
            #expect(try await client.request("GET", Fixtures.configMaps + "/owner").status == 404)
        }
    }

    @Test func orphanDeletionReleasesDependents() async throws {
        try await withServer { _, client in
            _ = try await ownerAndDependent(client)
            #expect(try await client.request("DELETE", Fixtures.configMaps + "/owner", json: ["propagationPolicy": "Orphan"]).status == 200)
            #expect(try await client.request("GET", Fixtures.configMaps + "/owner").status == 404)
            let dependent = try await client.request("GET", Fixtures.deployments + "/web")
            #expect(dependent.status == 200)
            #expect(dependent.object[path: "metadata", "ownerReferences"] == nil)
        }
    }

    @Test func finalizersKeepObjectsTerminatingUntilRemoved() async throws {
        try await withServer { _, client in
            var body = Fixtures.configMap("f")
            body["metadata"]?["finalizers"] = ["example.com/cleanup"]
            _ = try await client.request("POST", Fixtures.configMaps, json: body)
            let deleting = try await client.request("DELETE", Fixtures.configMaps + "/f").object
            #expect(deleting[path: "metadata", "deletionTimestamp"] != nil)
            let again = try await client.request("DELETE", Fixtures.configMaps + "/f").object
            #expect(again.rv == deleting.rv, "deleting a terminating object changes nothing")
            let released = try await client.request("PATCH", Fixtures.configMaps + "/f", json: ["metadata": ["finalizers": nil]],
                                                    contentType: "application/merge-patch+json")
            #expect(released.status == 200)
            #expect(try await client.request("GET", Fixtures.configMaps + "/f").status == 404)
        }
    }

    @Test(arguments: [(["preconditions": ["uid": "wrong"]] as JSON, 409), (["preconditions": ["resourceVersion": "1"]] as JSON, 409),
                      (["propagationPolicy": "Sometimes"] as JSON, 400)])
    func deletePreconditionsAndBadOptionsAreRefused(options: JSON, code: Int) async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("p"))
            #expect(try await client.request("DELETE", Fixtures.configMaps + "/p", json: options).status == code)
            #expect(try await client.request("GET", Fixtures.configMaps + "/p").status == 200)
        }
    }

    @Test func deleteCollectionHonoursTheLabelSelector() async throws {
        try await withServer { _, client in
            for (name, app) in [("a", "web"), ("b", "db"), ("c", "web")] {
                _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap(name, labels: ["app": .string(app)]))
            }
            #expect(try await client.request("DELETE", Fixtures.configMaps + "?labelSelector=app%3Dweb").status == 200)
            let left = try await client.request("GET", Fixtures.configMaps).object["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue }
            #expect(left == ["b"])
        }
    }

    @Test func deletingANamespaceDeletesItsObjects() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", "/api/v1/namespaces", json: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team"]])
            _ = try await client.request("POST", "/api/v1/namespaces/team/configmaps", json: Fixtures.configMap("a"))
            #expect(try await client.request("DELETE", "/api/v1/namespaces/team").status == 200)
            #expect(try await client.request("GET", "/api/v1/namespaces/team/configmaps/a").status == 404)
        }
    }

    /// With `namespaceDeletionDelay` a deleted Namespace is Terminating for a
    /// while and its objects stay (so `kubectl delete -f` of a Namespace and
    /// its objects finds them), then the namespace controller's pass deletes them and it.
    @Test func deletedNamespaceTerminatesAfterTheDelayOnTheInjectedClock() async throws {
        let clock = ManualTime()
        try await withServer({ $0.cluster.namespaceDeletionDelay = 5; $0.cluster.now = { clock.now } }) { server, client in
            _ = try await client.request("POST", "/api/v1/namespaces", json: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team"]])
            _ = try await client.request("POST", "/api/v1/namespaces/team/configmaps", json: Fixtures.configMap("a"))
            _ = try await client.request("POST", "/api/v1/namespaces/team/configmaps", json: Fixtures.configMap("b"))
            let deleted = try await client.request("DELETE", "/api/v1/namespaces/team")
            #expect(deleted.status == 200)
            #expect(deleted.object[path: "status", "phase"] == "Terminating")
            #expect(deleted.object[path: "metadata", "deletionTimestamp"] != nil)
            #expect(try await client.request("DELETE", "/api/v1/namespaces/team/configmaps/a").status == 200, "its objects are still there")
            clock.now += 4
            server.cluster.advanceSimulation()
            #expect(try await client.request("GET", "/api/v1/namespaces/team/configmaps/b").status == 200)
            #expect(try await client.request("GET", "/api/v1/namespaces/team").object[path: "status", "phase"] == "Terminating")
            clock.now += 2
            server.cluster.advanceSimulation()
            #expect(try await client.request("GET", "/api/v1/namespaces/team/configmaps/b").status == 404)
            #expect(try await client.request("GET", "/api/v1/namespaces/team").status == 404)
        }
    }
}

@Suite struct OwnerlessDependentTests {
    @Test func dependentWhoseOwnerNeverExistedIsCollected() async throws {
        try await withServer { _, client in
            let ghost: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "00000000-0000-0000-0000-000000000000"]
            let created = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("orphan", owner: ghost))
            #expect(created.status == 201, "the create succeeds, as on a real cluster")
            #expect(try await client.request("GET", Fixtures.deployments + "/orphan").status == 404, "then the garbage collector removes it")
        }
    }
}
