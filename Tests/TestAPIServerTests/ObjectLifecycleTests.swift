import Foundation
import JSONValue
import Testing
import TestAPIServer

@Suite struct ObjectLifecycleTests {
    @Test func createSetsServerFieldsAndResourceVersionIsClusterWide() async throws {
        try await withServer { _, client in
            let first = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("a"))
            #expect(first.status == 201)
            let a = first.object
            #expect(a[path: "metadata", "uid"]?.stringValue?.count == 36)
            #expect(a[path: "metadata", "creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
            #expect(a[path: "metadata", "generation"] == 1)
            #expect(a[path: "metadata", "namespace"] == "default")
            #expect(a[path: "metadata", "managedFields", "0"] == nil)
            #expect(a[path: "metadata", "managedFields"]?[0]?["manager"] == "testapi-client")
            let b = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web")).object
            #expect(Int(b.rv)! > Int(a.rv)!, "resourceVersion is one counter across resources")
            let fetched = try await client.request("GET", Fixtures.configMaps + "/a").object
            #expect(fetched == a)
        }
    }

    @Test(arguments: [
        (Fixtures.configMap("dup"), 409, "AlreadyExists"),
        (Fixtures.configMap("Bad_Name"), 422, "Invalid"),
        (["apiVersion": "v1", "kind": "ConfigMap", "metadata": [:]] as JSON, 422, "Invalid"),
        (["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "x"]] as JSON, 400, "BadRequest"),
        (["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "x", "namespace": "other"]] as JSON, 400, "BadRequest"),
        ("not an object" as JSON, 400, "BadRequest"),
    ])
    func createRejectsBadObjectsWithStatus(body: JSON, code: Int, reason: String) async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("dup"))
            let response = try await client.request("POST", Fixtures.configMaps, json: body)
            #expect(response.status == code)
            #expect(response.object["kind"] == "Status")
            #expect(response.object["reason"] == .string(reason))
            #expect(response.object["code"] == .int(Int64(code)))
        }
    }

    @Test func createInMissingNamespaceIsNotFoundAndGenerateNameFillsName() async throws {
        try await withServer { _, client in
            let missing = try await client.request("POST", "/api/v1/namespaces/ghost/configmaps", json: Fixtures.configMap("a"))
            #expect(missing.status == 404)
            #expect(missing.object["message"] == "namespaces \"ghost\" not found")
            let generated = try await client.request("POST", Fixtures.configMaps,
                                                     json: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["generateName": "job-"]])
            #expect(generated.status == 201)
            #expect(generated.object[path: "metadata", "name"]?.stringValue?.hasPrefix("job-") == true)
            #expect(generated.object[path: "metadata", "name"]?.stringValue?.count == 9)
        }
    }

    @Test func getMissingAnswersNotFoundStatus() async throws {
        try await withServer { _, client in
            let response = try await client.request("GET", Fixtures.deployments + "/nope")
            #expect(response.status == 404)
            #expect(response.object == [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                "message": "deployments.apps \"nope\" not found", "reason": "NotFound",
                "details": ["name": "nope", "group": "apps", "kind": "deployments"], "code": 404,
            ])
        }
    }

    @Test func staleResourceVersionConflictsAndEmptyOneIsUnconditional() async throws {
        try await withServer { _, client in
            let created = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("c")).object
            var first = created
            first["data"] = ["k": "v2"]
            let updated = try await client.request("PUT", Fixtures.configMaps + "/c", json: first)
            #expect(updated.status == 200)
            var stale = created
            stale["data"] = ["k": "v3"]
            let conflict = try await client.request("PUT", Fixtures.configMaps + "/c", json: stale)
            #expect(conflict.status == 409)
            #expect(conflict.object["reason"] == "Conflict")
            #expect(conflict.object["message"]?.stringValue?.contains("the object has been modified") == true)
            var unconditional = stale
            unconditional["metadata"]?["resourceVersion"] = nil
            #expect(try await client.request("PUT", Fixtures.configMaps + "/c", json: unconditional).object["data"] == ["k": "v3"])
        }
    }

    @Test func generationBumpsOnSpecChangesOnlyAndNoOpKeepsResourceVersion() async throws {
        try await withServer { _, client in
            let created = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web")).object
            var labelled = created
            labelled["metadata"]?["labels"] = ["app": "web", "tier": "x"]
            let afterLabel = try await client.request("PUT", Fixtures.deployments + "/web", json: labelled).object
            #expect(afterLabel[path: "metadata", "generation"] == 1)
            #expect(afterLabel.rv != created.rv)
            let noOp = try await client.request("PUT", Fixtures.deployments + "/web", json: afterLabel).object
            #expect(noOp.rv == afterLabel.rv, "an update that changes nothing does not write")
            var scaled = afterLabel
            scaled["spec"]?["replicas"] = 4
            let afterSpec = try await client.request("PUT", Fixtures.deployments + "/web", json: scaled).object
            #expect(afterSpec[path: "metadata", "generation"] == 2)
            var status = afterSpec
            status["status"] = ["replicas": 4, "readyReplicas": 4]
            let afterStatus = try await client.request("PUT", Fixtures.deployments + "/web/status", json: status).object
            #expect(afterStatus[path: "metadata", "generation"] == 2, "status writes never bump generation")
            #expect(afterStatus[path: "status", "readyReplicas"] == 4)
        }
    }

    @Test func statusSubresourceSeparatesStatusFromSpec() async throws {
        try await withServer { _, client in
            var body = Fixtures.deployment("web")
            body["status"] = ["replicas": 9]
            let created = try await client.request("POST", Fixtures.deployments, json: body).object
            #expect(created["status"] == nil, "status is dropped on create")
            var mainWrite = created
            mainWrite["status"] = ["replicas": 7]
            mainWrite["spec"]?["replicas"] = 2
            let main = try await client.request("PUT", Fixtures.deployments + "/web", json: mainWrite).object
            #expect(main["status"] == nil, "writes to the main resource ignore status")
            #expect(main[path: "spec", "replicas"] == 2)
            var statusWrite = main
            statusWrite["status"] = ["replicas": 2]
            statusWrite["spec"]?["replicas"] = 5
            let status = try await client.request("PUT", Fixtures.deployments + "/web/status", json: statusWrite).object
            #expect(status[path: "status", "replicas"] == 2)
            #expect(status[path: "spec", "replicas"] == 2, "writes to status ignore spec")
            let patched = try await client.request("PATCH", Fixtures.deployments + "/web/status", json: ["status": ["availableReplicas": 1]],
                                                   contentType: "application/merge-patch+json").object
            #expect(patched[path: "status", "availableReplicas"] == 1)
            #expect(try await client.request("GET", Fixtures.configMaps + "/x/status").status == 404, "configmaps have no status")
        }
    }

    @Test func scaleSubresourceReadsAndWritesReplicas() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web", replicas: 2))
            let scale = try await client.request("GET", Fixtures.deployments + "/web/scale").object
            #expect(scale["kind"] == "Scale")
            #expect(scale["apiVersion"] == "autoscaling/v1")
            #expect(scale[path: "spec", "replicas"] == 2)
            #expect(scale[path: "status", "selector"] == "app=web")
            var put = scale
            put["spec"] = ["replicas": 6]
            #expect(try await client.request("PUT", Fixtures.deployments + "/web/scale", json: put).object[path: "spec", "replicas"] == 6)
            let patched = try await client.request("PATCH", Fixtures.deployments + "/web/scale", json: ["spec": ["replicas": 3]],
                                                   contentType: "application/merge-patch+json")
            #expect(patched.object[path: "spec", "replicas"] == 3)
            let deployment = try await client.request("GET", Fixtures.deployments + "/web").object
            #expect(deployment[path: "spec", "replicas"] == 3)
            #expect(deployment[path: "metadata", "generation"] == 3)
            put["spec"] = ["replicas": -1]
            #expect(try await client.request("PUT", Fixtures.deployments + "/web/scale", json: put).status == 422)
            put["spec"] = ["replicas": 1]
            #expect(try await client.request("PUT", Fixtures.deployments + "/web/scale", json: put).status == 409, "stale scale write")
        }
    }
}

@Suite struct DeploymentSimulationTests {
    @Test func simulatedControllerReportsDesiredReplicasReadyAfterEachWrite() async throws {
        try await withServer({ $0.cluster.simulateDeployments = true }) { _, client in
            let created = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web", replicas: 2))
            #expect(created.object["status"] == nil, "the create answer precedes the controller, as in a real cluster")
            let ready = try await client.request("GET", Fixtures.deployments + "/web").object
            #expect(ready[path: "status", "readyReplicas"] == 2)
            #expect(ready[path: "status", "observedGeneration"] == 1)
            _ = try await client.request("PATCH", Fixtures.deployments + "/web/scale", json: ["spec": ["replicas": 5]],
                                         contentType: "application/merge-patch+json")
            let scaled = try await client.request("GET", Fixtures.deployments + "/web").object
            #expect(scaled[path: "status", "availableReplicas"] == 5)
            #expect(scaled[path: "status", "observedGeneration"] == 2)
            let managers = scaled[path: "metadata", "managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
            #expect(managers.contains("deployment-controller"))
        }
    }

    @Test func simulatedReplicasBecomeReadyAfterTheDelayOnTheInjectedClock() async throws {
        let clock = ManualTime()
        try await withServer({ $0.cluster.simulateDeployments = true; $0.cluster.deploymentReadyDelay = 30; $0.cluster.now = { clock.now } }) { server, client in
            _ = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web", replicas: 2))
            var status = try await client.request("GET", Fixtures.deployments + "/web").object["status"]
            #expect(status?["replicas"] == 2)
            #expect(status?["readyReplicas"] == 0, "new replicas are still starting")
            #expect(status?["conditions"]?[0]?["status"] == "False")
            clock.now += 29
            server.cluster.advanceSimulation()
            #expect(try await client.request("GET", Fixtures.deployments + "/web").object[path: "status", "readyReplicas"] == 0)
            clock.now += 2
            server.cluster.advanceSimulation()
            status = try await client.request("GET", Fixtures.deployments + "/web").object["status"]
            #expect(status?["readyReplicas"] == 2)
            #expect(status?["conditions"]?[0]?["status"] == "True")
            _ = try await client.request("PATCH", Fixtures.deployments + "/web/scale", json: ["spec": ["replicas": 5]],
                                         contentType: "application/merge-patch+json")
            #expect(try await client.request("GET", Fixtures.deployments + "/web").object[path: "status", "readyReplicas"] == 2,
                    "existing replicas stay ready while the new ones start")
            _ = try await client.request("PATCH", Fixtures.deployments + "/web/scale", json: ["spec": ["replicas": 1]],
                                         contentType: "application/merge-patch+json")
            #expect(try await client.request("GET", Fixtures.deployments + "/web").object[path: "status", "readyReplicas"] == 1,
                    "scaling down is immediate")
        }
    }

    @Test func withoutSimulationDeploymentStatusStaysEmpty() async throws {
        try await withServer { _, client in
            _ = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web", replicas: 2))
            #expect(try await client.request("GET", Fixtures.deployments + "/web").object["status"] == nil)
        }
    }
}

/// A manual clock for the cluster's injected time source.
final class ManualTime: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Double = 1_700_000_000
    var now: Double {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

@Suite struct DryRunAndMethodTests {
    @Test func dryRunValidatesWithoutStoring() async throws {
        try await withServer { server, client in
            let rv = server.cluster.currentResourceVersion
            let created = try await client.request("POST", Fixtures.configMaps + "?dryRun=All", json: Fixtures.configMap("dry"))
            #expect(created.status == 201)
            #expect(created.object[path: "metadata", "uid"] != nil)
            #expect(try await client.request("GET", Fixtures.configMaps + "/dry").status == 404)
            #expect(try await client.request("POST", Fixtures.configMaps + "?dryRun=All", json: Fixtures.configMap("Bad_Name")).status == 422)
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("real"))
            let patched = try await client.request("PATCH", Fixtures.configMaps + "/real?dryRun=All", json: ["data": ["k": "dry"]],
                                                   contentType: "application/merge-patch+json")
            #expect(patched.object["data"] == ["k": "dry"])
            #expect(try await client.request("GET", Fixtures.configMaps + "/real").object["data"] == ["k": "v"])
            #expect(try await client.request("DELETE", Fixtures.configMaps + "/real?dryRun=All").status == 200)
            #expect(try await client.request("GET", Fixtures.configMaps + "/real").status == 200)
            #expect(server.cluster.currentResourceVersion == rv + 1, "only the real create moved the resourceVersion")
        }
    }

    @Test(arguments: [("POST", Fixtures.configMaps + "/x"), ("PUT", Fixtures.configMaps), ("PATCH", Fixtures.configMaps),
                      ("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"), ("OPTIONS", Fixtures.configMaps)])
    func unsupportedMethodsAnswer405(method: String, path: String) async throws {
        try await withServer { _, client in
            let response = try await client.request(method, path, json: [:])
            #expect(response.status == 405)
            #expect(response.object["reason"] == "MethodNotAllowed")
        }
    }
}
