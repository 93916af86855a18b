import JSONValue
import Testing
import TestAPIServer

@Suite struct ServerSideApplyTests {
    static let applyType = "application/apply-patch+yaml"

    func config(replicas: Int64, image: String = "inference-server:1", labels: JSON = ["app": "web"]) -> JSON {
        var d = Fixtures.deployment("web", replicas: replicas)
        d["metadata"]?["labels"] = labels
        d["spec"]?["template"]?["spec"] = ["containers": [["name": "server", "image": .string(image)]]]
        return d
    }

    @Test func applyCreatesThenUpdatesAndRecordsTheManager() async throws {
        try await withServer { _, client in
            let created = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator", json: config(replicas: 2),
                                                   contentType: Self.applyType)
            #expect(created.status == 201)
            let managed = created.object[path: "metadata", "managedFields"]?.arrayValue ?? []
            #expect(managed.count == 1)
            #expect(managed.first?["manager"] == "operator")
            #expect(managed.first?["operation"] == "Apply")
            #expect(managed.first?[path: "fieldsV1", "f:spec", "f:replicas"] == [:])
            let updated = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator", json: config(replicas: 3),
                                                   contentType: Self.applyType)
            #expect(updated.status == 200)
            #expect(updated.object[path: "spec", "replicas"] == 3)
            #expect(updated.object[path: "metadata", "generation"] == 2)
            let same = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator", json: config(replicas: 3),
                                                contentType: Self.applyType)
            #expect(same.object.rv == updated.object.rv, "re-applying the same configuration writes nothing")
            let noManager = try await client.request("PATCH", Fixtures.deployments + "/web", json: config(replicas: 3), contentType: Self.applyType)
            #expect(noManager.status == 400)
        }
    }

    @Test func applyConflictsWithAnotherManagersChangeUnlessForced() async throws {
        try await withServer { _, client in
            _ = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator", json: config(replicas: 2), contentType: Self.applyType)
            // Someone else (kubectl scale, HPA) changes replicas through an update.
            _ = try await client.request("PATCH", Fixtures.deployments + "/web/scale?fieldManager=kubectl", json: ["spec": ["replicas": 5]],
                                         contentType: "application/merge-patch+json")
            let conflict = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator", json: config(replicas: 2),
                                                    contentType: Self.applyType)
            #expect(conflict.status == 409)
            #expect(conflict.object["reason"] == "Conflict")
            // kubectl's entry is an Update through /scale: the server names the subresource and the API version (printManager).
            #expect(conflict.object["message"] == "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas")
            #expect(conflict.object[path: "details", "causes"]?[0]?["reason"] == "FieldManagerConflict")
            // Agreeing on the value is not a conflict: ownership is shared.
            let shared = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator", json: config(replicas: 5),
                                                  contentType: Self.applyType)
            #expect(shared.status == 200)
            let forced = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator&force=true", json: config(replicas: 2),
                                                  contentType: Self.applyType)
            #expect(forced.status == 200)
            #expect(forced.object[path: "spec", "replicas"] == 2)
            let kubectlEntry = forced.object[path: "metadata", "managedFields"]?.arrayValue?.first { $0["manager"] == "kubectl" }
            #expect(kubectlEntry?[path: "fieldsV1", "f:spec", "f:replicas"] == nil, "force takes the field away")
        }
    }

    @Test func fieldsDroppedFromTheConfigurationAreRemovedUnlessOthersOwnThem() async throws {
        try await withServer { _, client in
            _ = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator",
                                         json: config(replicas: 2, labels: ["app": "web", "team": "ml"]), contentType: Self.applyType)
            _ = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=other",
                                         json: ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "labels": ["owner": "x"]]],
                                         contentType: Self.applyType)
            let after = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator",
                                                 json: config(replicas: 2, labels: ["app": "web"]), contentType: Self.applyType).object
            #expect(after[path: "metadata", "labels"] == ["app": "web", "owner": "x"])
        }
    }

    @Test func defaultedFieldsSurviveReapplyAndCreatorsFieldsConflict() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.crds, json: Fixtures.crd)
            let path = Fixtures.inferenceServices + "/a?fieldManager=operator"
            let first = try await client.request("PATCH", path, json: Fixtures.inferenceService("a"), contentType: Self.applyType)
            #expect(first.status == 201)
            #expect(first.object[path: "spec", "replicas"] == 2, "schema default")
            let again = try await client.request("PATCH", path, json: Fixtures.inferenceService("a"), contentType: Self.applyType)
            #expect(again.object[path: "spec", "replicas"] == 2, "a default the applier never set is not removed")
            #expect(again.object.rv == first.object.rv)
            // An object created by a plain POST belongs to its creator's Update entry.
            _ = try await client.request("POST", Fixtures.inferenceServices, json: Fixtures.inferenceService("b", model: "bert"))
            let conflict = try await client.request("PATCH", Fixtures.inferenceServices + "/b?fieldManager=operator",
                                                    json: Fixtures.inferenceService("b", model: "gpt"), contentType: Self.applyType)
            #expect(conflict.status == 409)
            #expect(conflict.object["message"]?.stringValue?.contains("conflict with \"testapi-client\"") == true)
        }
    }

    @Test func applyToStatusOnlyTouchesStatus() async throws {
        try await withServer { _, client in
            _ = try await client.request("PATCH", Fixtures.deployments + "/web?fieldManager=operator", json: config(replicas: 2), contentType: Self.applyType)
            var statusConfig = config(replicas: 9)
            statusConfig["status"] = ["replicas": 2]
            let after = try await client.request("PATCH", Fixtures.deployments + "/web/status?fieldManager=operator",
                                                 json: statusConfig, contentType: Self.applyType).object
            #expect(after[path: "status", "replicas"] == 2)
            #expect(after[path: "spec", "replicas"] == 2)
            let entry = after[path: "metadata", "managedFields"]?.arrayValue?.first { $0["subresource"] == "status" }
            #expect(entry?["manager"] == "operator")
        }
    }
}
