import Foundation
import HTTP
import JSONValue
import KubeAPI
import Testing
import TestSupport
@testable import KubeClient

private let deploymentJSON = """
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"prod","resourceVersion":"42","uid":"u1","managedFields":[{"manager":"x"}]},
 "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}},"strategy":{"type":"RollingUpdate"}},
 "status":{"replicas":3,"readyReplicas":2}}
"""

private func client(_ transport: ScriptedTransport, credentials: Credentials = .token("t0ken")) -> KubeClient {
    KubeClient(configuration: KubeClientConfiguration(server: "https://api.test:6443/", credentials: credentials, namespace: "prod"),
               transport: transport)
}

@Suite struct ClientRequestTests {
    @Test func getBuildsThePathAndHeadersAndDecodesTheModel() async throws {
        let transport = ScriptedTransport(json: deploymentJSON)
        let deployment = try await client(transport).get(Deployment.self, name: "web")
        #expect(deployment.spec?.replicas == 3)
        #expect(deployment.status?.readyReplicas == 2)
        let request = try #require(transport.requests.first)
        #expect(request.method == .get)
        #expect(request.url == "https://api.test:6443/apis/apps/v1/namespaces/prod/deployments/web")
        #expect(request.headers["Authorization"] == "Bearer t0ken")
        #expect(request.headers["Accept"] == "application/json")
    }

    @Test func clusterScopedPathsIgnoreTheNamespace() async throws {
        let transport = ScriptedTransport(json: #"{"metadata":{"name":"x"}}"#)
        _ = try await client(transport).get(.customResourceDefinitions, name: "x", namespace: "prod")
        #expect(transport.requests[0].path == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x")
    }

    @Test func customResourcesUseTheirGroupVersionAndPlural() async throws {
        let transport = ScriptedTransport(json: #"{"metadata":{"name":"m"}}"#)
        let type = ResourceType(group: "serving.swiftinfer.io", version: "v1alpha1", plural: "inferenceservices", kind: "InferenceService")
        _ = try await client(transport).get(type, name: "m", namespace: "ml")
        #expect(transport.requests[0].path == "/apis/serving.swiftinfer.io/v1alpha1/namespaces/ml/inferenceservices/m")
    }

    @Test func listEncodesSelectorsAndPagination() async throws {
        let transport = ScriptedTransport(json: #"{"metadata":{"resourceVersion":"7"},"items":null}"#)
        let page = try await client(transport).list(Pod.self, namespace: nil, options: ListOptions(
            labelSelector: "app in (a,b),tier!=db", fieldSelector: "metadata.name=x", limit: 50, continue: "tok"))
        #expect(page.items.isEmpty)
        #expect(page.resourceVersion == "7")
        let request = transport.requests[0]
        #expect(request.path == "/api/v1/pods")
        #expect(request.query["labelSelector"] == "app in (a,b),tier!=db")
        #expect(request.query["fieldSelector"] == "metadata.name=x")
        #expect(request.query["limit"] == "50")
        #expect(request.query["continue"] == "tok")
        #expect(request.url.contains("labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb"))
    }

    @Test func listAllFollowsContinueTokens() async throws {
        let transport = ScriptedTransport { request, index in
            let body: String
            switch index {
            case 0: body = #"{"metadata":{"continue":"p2","resourceVersion":"10"},"items":[{"metadata":{"name":"a"}}]}"#
            case 1: body = #"{"metadata":{"continue":"p3","resourceVersion":"10"},"items":[{"metadata":{"name":"b"}}]}"#
            default: body = #"{"metadata":{"continue":"","resourceVersion":"10"},"items":[{"metadata":{"name":"c"}}]}"#
            }
            return .response(HTTPResponse(status: 200, body: Array(body.utf8)))
        }
        let result = try await client(transport).listAll(.configMaps, namespace: "prod", pageSize: 1)
        #expect(result.items.compactMap { $0[path: "metadata", "name"]?.stringValue } == ["a", "b", "c"])
        #expect(result.resourceVersion == "10")
        #expect(transport.requests.map { $0.query["continue"] } == [nil, "p2", "p3"])
        #expect(transport.requests.allSatisfy { $0.query["limit"] == "1" })
    }

    @Test func typedListReportsItemsThatDoNotDecode() async throws {
        let transport = ScriptedTransport(json: #"{"metadata":{"resourceVersion":"3"},"items":[{"metadata":{"name":"ok"}},{"metadata":{"name":"bad"},"spec":{"replicas":"many"}}]}"#)
        let page = try await client(transport).list(Deployment.self)
        #expect(page.items.map(\.name) == ["ok"])
        #expect(page.undecodable.count == 1)
        #expect(page.undecodable.first?.name == "bad")
        #expect(page.undecodable.first?.reason.contains("spec.replicas") == true)
    }

    @Test func createSendsTypeMetaAndOmitsAbsentFields() async throws {
        let transport = ScriptedTransport(json: #"{"metadata":{"name":"cm","namespace":"prod"},"data":{"k":"v"}}"#)
        _ = try await client(transport).create(ConfigMap(metadata: ObjectMeta(name: "cm"), data: ["k": "v"]))
        let request = transport.requests[0]
        #expect(request.method == .post)
        #expect(request.path == "/api/v1/namespaces/prod/configmaps")
        #expect(request.headers["Content-Type"] == "application/json")
        let body = try JSON.parse(request.body ?? [])
        #expect(body.isEquivalent(to: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm"], "data": ["k": "v"]]))
        #expect(!request.bodyText.contains("null"))
    }

    @Test(arguments: [
        (Patch.merge(["spec": ["replicas": 4]]), "application/merge-patch+json", #"{"spec":{"replicas":4}}"#),
        (Patch.json([JSONPatchOperation(.replace, path: "/spec/replicas", value: 5)]), "application/json-patch+json",
         #"[{"op":"replace","path":"/spec/replicas","value":5}]"#),
        (Patch.strategicMerge(["spec": ["template": ["spec": ["containers": [["name": "c", "image": "j"]]]]]]),
         "application/strategic-merge-patch+json", #"{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"j"}]}}}}"#),
    ])
    func patchesCarryTheirContentType(patch: Patch, contentType: String, body: String) async throws {
        let transport = ScriptedTransport(json: deploymentJSON)
        _ = try await client(transport).patch(Deployment.self, name: "web", patch, fieldManager: "me")
        let request = transport.requests[0]
        #expect(request.method == .patch)
        #expect(request.headers["Content-Type"] == contentType)
        #expect(request.bodyText == body)
        #expect(request.query["fieldManager"] == "me")
    }

    @Test func serverSideApplySendsApplyPatchWithManagerAndForce() async throws {
        let transport = ScriptedTransport(json: deploymentJSON)
        let desired = Deployment(metadata: ObjectMeta(name: "web", namespace: "prod"), spec: .init(replicas: 2))
        _ = try await client(transport).apply(desired, fieldManager: "inference-operator", force: true)
        let request = transport.requests[0]
        #expect(request.method == .patch)
        #expect(request.path == "/apis/apps/v1/namespaces/prod/deployments/web")
        #expect(request.headers["Content-Type"] == "application/apply-patch+yaml")
        #expect(request.query["fieldManager"] == "inference-operator")
        #expect(request.query["force"] == "true")
        let body = try JSON.parse(request.body ?? [])
        #expect(body["apiVersion"] == "apps/v1")
        #expect(body["kind"] == "Deployment")
        #expect(body["status"] == nil)
        #expect(body[path: "spec", "replicas"] == 2)
    }

    @Test func deleteSendsPropagationAndPreconditions() async throws {
        let transport = ScriptedTransport(json: #"{"kind":"Status","status":"Success"}"#)
        try await client(transport).delete(Deployment.self, name: "web", options: DeleteOptions(
            propagationPolicy: .foreground, preconditionUID: "u1", preconditionResourceVersion: "42"))
        let request = transport.requests[0]
        #expect(request.method == .delete)
        let body = try JSON.parse(request.body ?? [])
        #expect(body["propagationPolicy"] == "Foreground")
        #expect(body[path: "preconditions", "uid"] == "u1")
        #expect(body[path: "preconditions", "resourceVersion"] == "42")
    }

    @Test func scaleGoesThroughTheScaleSubresource() async throws {
        let transport = ScriptedTransport(json: #"{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"web"},"spec":{"replicas":6},"status":{"replicas":3,"selector":"app=web"}}"#)
        let scale = try await client(transport).scale(.deployments, name: "web", replicas: 6)
        #expect(scale.spec.replicas == 6)
        #expect(scale.status?.selector == "app=web")
        #expect(transport.requests[0].path == "/apis/apps/v1/namespaces/prod/deployments/web/scale")
        #expect(transport.requests[0].bodyText == #"{"spec":{"replicas":6}}"#)
    }

    @Test func updateOfAnEditableKeepsUnknownFields() async throws {
        let transport = ScriptedTransport(json: deploymentJSON)
        let c = client(transport)
        var editable = try await c.getEditable(Deployment.self, name: "web")
        editable.value.spec?.replicas = 7
        editable.value.metadata.labels = ["new": "label"]
        _ = try await c.update(editable)
        let sent = try JSON.parse(transport.requests[1].body ?? [])
        #expect(transport.requests[1].method == .put)
        #expect(sent[path: "spec", "replicas"] == 7)
        #expect(sent[path: "spec", "strategy", "type"] == "RollingUpdate")  // unknown to the model
        #expect(sent[path: "metadata", "managedFields"] != nil)
        #expect(sent[path: "metadata", "resourceVersion"] == "42")
        #expect(sent[path: "metadata", "labels", "new"] == "label")
    }

    @Test func overlayRemovesFieldsTheModelKnewAndCleared() throws {
        let server: JSON = ["metadata": ["name": "a", "labels": ["x": "1"], "extra": true], "data": ["k": "v"]]
        let before: JSON = ["metadata": ["name": "a", "labels": ["x": "1"]], "data": ["k": "v"]]
        let after: JSON = ["metadata": ["name": "a"], "data": ["k": "v2"]]
        let merged = server.overlay(modelBefore: before, modelAfter: after)
        #expect(merged == ["metadata": ["name": "a", "extra": true], "data": ["k": "v2"]])
    }
}
