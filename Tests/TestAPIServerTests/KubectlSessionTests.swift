import JSONValue
import Testing
import TestAPIServer

/// An unmodified kubectl (v1.32) driving the server end to end.
@Suite(.enabled(if: Kubectl.isInstalled, "kubectl is not installed at /usr/bin/kubectl; skipping the kubectl session"))
struct KubectlSessionTests {
    static let crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: inferenceservices.serving.swiftinfer.io
        spec:
          group: serving.swiftinfer.io
          scope: Namespaced
          names: {plural: inferenceservices, singular: inferenceservice, kind: InferenceService, shortNames: [infsvc]}
          versions:
          - name: v1alpha1
            served: true
            storage: true
            additionalPrinterColumns:
            - {name: Replicas, type: integer, jsonPath: .spec.replicas}
            - {name: Phase, type: string, jsonPath: .status.phase}
            - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
            subresources:
              status: {}
              scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [model]
                    properties:
                      model: {type: string}
                      replicas: {type: integer, minimum: 0, maximum: 16, default: 2}
                  status:
                    type: object
                    properties:
                      replicas: {type: integer}
                      phase: {type: string}

        """

    static let object = """
        apiVersion: serving.swiftinfer.io/v1alpha1
        kind: InferenceService
        metadata: {name: demo}
        spec: {model: resnet}

        """

    @Test func kubectlSessionAppliesGetsWatchesPatchesScalesAndCascades() async throws {
        try await withServer { server, _ in
            let kubectl = try Kubectl(port: server.port)
            defer { kubectl.cleanUp() }
            let crdFile = try kubectl.write("crd.yaml", Self.crd)
            let objectFile = try kubectl.write("demo.yaml", Self.object)

            let applyCRD = try await kubectl.run("apply", "-f", crdFile)
            #expect(applyCRD.status == 0, "\(applyCRD.error)")
            #expect(applyCRD.output.contains("customresourcedefinition.apiextensions.k8s.io/inferenceservices.serving.swiftinfer.io created"))
            let applyObject = try await kubectl.run("apply", "-f", objectFile)
            #expect(applyObject.status == 0, "\(applyObject.error)")
            #expect(applyObject.output.contains("inferenceservice.serving.swiftinfer.io/demo created"))

            let byShortName = try await kubectl.run("get", "infsvc")
            #expect(byShortName.status == 0, "\(byShortName.error)")
            #expect(byShortName.output.contains("demo"))
            #expect(byShortName.output.split(separator: "\n").first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "REPLICAS", "PHASE", "AGE"],
                    "printer columns: \(byShortName.output)")

            let yaml = try await kubectl.run("get", "infsvc", "demo", "-o", "yaml")
            #expect(yaml.output.contains("kind: InferenceService"))
            #expect(yaml.output.contains("replicas: 2"), "schema default applied")
            #expect(yaml.output.contains("uid: "))

            let watch = try kubectl.start("get", "infsvc", "demo", "-w", "--no-headers",
                                          "-o", "custom-columns=NAME:.metadata.name,PHASE:.status.phase")
            defer { watch.terminate() }
            #expect(try await watch.waitFor("demo"), "watch printed the object: \(watch.received)")

            let patch = try await kubectl.run("patch", "infsvc", "demo", "--subresource=status", "--type=merge",
                                              "-p", #"{"status":{"phase":"Ready","replicas":2}}"#)
            #expect(patch.status == 0, "\(patch.error)")
            #expect(try await watch.waitFor("Ready"), "get -w saw the status change: \(watch.received)")

            let scale = try await kubectl.run("scale", "infsvc", "demo", "--replicas=5")
            #expect(scale.status == 0, "\(scale.error)")
            let replicas = try await kubectl.run("get", "infsvc", "demo", "-o", "jsonpath={.spec.replicas} {.status.phase} {.metadata.generation}")
            #expect(replicas.output == "5 Ready 2")

            let uid = try await kubectl.run("get", "infsvc", "demo", "-o", "jsonpath={.metadata.uid}").output
            let deployment = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: demo-predictor
                  ownerReferences: [{apiVersion: serving.swiftinfer.io/v1alpha1, kind: InferenceService, name: demo, uid: "\(uid)", controller: true, blockOwnerDeletion: true}]
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: demo}}
                  template:
                    metadata: {labels: {app: demo}}
                    spec: {containers: [{name: server, image: "inference-server:1"}]}

                """
            let applyDeployment = try await kubectl.run("apply", "-f", try kubectl.write("deployment.yaml", deployment))
            #expect(applyDeployment.status == 0, "\(applyDeployment.error)")
            #expect(try await kubectl.run("scale", "deployment", "demo-predictor", "--replicas=3").status == 0)

            let delete = try await kubectl.run("delete", "infsvc", "demo", "--cascade=foreground")
            #expect(delete.status == 0, "\(delete.error)")
            #expect(delete.output.contains("\"demo\" deleted"))
            let gone = try await kubectl.run("get", "deployment", "demo-predictor")
            #expect(gone.status != 0)
            #expect(gone.error.contains("NotFound") || gone.error.contains("not found"))
            #expect(server.requestLog.records.contains { $0.userAgent.hasPrefix("kubectl") && $0.verb == "watch" })
        }
    }

    @Test func kubectlServerSideApplyConflictsWithScaleUntilForced() async throws {
        try await withServer { server, _ in
            let kubectl = try Kubectl(port: server.port)
            defer { kubectl.cleanUp() }
            #expect(try await kubectl.run("apply", "--server-side", "-f", try kubectl.write("crd.yaml", Self.crd)).status == 0)
            let first = try await kubectl.run("apply", "--server-side", "-f", try kubectl.write("demo.yaml", Self.object))
            #expect(first.output.contains("serverside-applied"), "\(first.error)")
            #expect(try await kubectl.run("scale", "infsvc", "demo", "--replicas=4").status == 0)
            let three = try kubectl.write("demo3.yaml", Self.object.replacingOccurrences(of: "{model: resnet}", with: "{model: resnet, replicas: 3}"))
            let conflict = try await kubectl.run("apply", "--server-side", "-f", three)
            #expect(conflict.status != 0)
            #expect(conflict.error.contains("conflict with \"kubectl\""), "\(conflict.error)")
            #expect(conflict.error.contains(".spec.replicas"))
            let forced = try await kubectl.run("apply", "--server-side", "--force-conflicts", "-f", three)
            #expect(forced.status == 0, "\(forced.error)")
            #expect(try await kubectl.run("get", "infsvc", "demo", "-o", "jsonpath={.spec.replicas}").output == "3")
        }
    }

    @Test func kubectlShowsEventsRecordedThroughEventsAPI() async throws {
        try await withServer { server, client in
            let kubectl = try Kubectl(port: server.port)
            defer { kubectl.cleanUp() }
            #expect(try await kubectl.run("apply", "-f", try kubectl.write("crd.yaml", Self.crd)).status == 0)
            #expect(try await kubectl.run("apply", "-f", try kubectl.write("demo.yaml", Self.object)).status == 0)
            var event = EventTests.event
            event["regarding"]?["uid"] = .string(try await kubectl.run("get", "infsvc", "demo", "-o", "jsonpath={.metadata.uid}").output)
            #expect(try await client.request("POST", "/apis/events.k8s.io/v1/namespaces/default/events", json: event).status == 201)
            let events = try await kubectl.run("get", "events")
            #expect(events.output.contains("ScaledUp"), "\(events.output) \(events.error)")
            #expect(events.output.contains("inferenceservice/demo"))
            let describe = try await kubectl.run("describe", "infsvc", "demo")
            #expect(describe.status == 0, "\(describe.error)")
            #expect(describe.output.contains("inference-operator"), "describe lists the object's events: \(describe.output)")
        }
    }

    @Test func kubectlCreatesNamespacesConfigMapsSecretsAndServiceAccounts() async throws {
        try await withServer { server, client in
            let kubectl = try Kubectl(port: server.port)
            defer { kubectl.cleanUp() }
            for arguments in [["create", "namespace", "team"], ["create", "configmap", "cfg", "-n", "team", "--from-literal=a=b"],
                              ["create", "secret", "generic", "s1", "-n", "team", "--from-literal=password=hunter2"],
                              ["create", "serviceaccount", "operator", "-n", "team"]] {
                let result = try await kubectl.run(arguments)
                #expect(result.status == 0, "kubectl \(arguments.joined(separator: " ")): \(result.error)")
            }
            #expect(try await client.request("GET", "/api/v1/namespaces/team/configmaps/cfg").object["data"] == ["a": "b"])
            let secret = try await client.request("GET", "/api/v1/namespaces/team/secrets/s1").object
            #expect(secret["data"] == ["password": "aHVudGVyMg=="])
            #expect(secret["type"] == "Opaque")
            #expect(try await client.request("GET", "/api/v1/namespaces/team/serviceaccounts/operator").status == 200)
            let deployment = try await kubectl.run(["create", "deployment", "web", "--image=nginx"])
            #expect(deployment.status != 0, "protobuf Deployments are refused with a clear 415")
            #expect(deployment.error.contains("send application/json"))
        }
    }

    /// kubectl never sends a bearer token over plain HTTP (kubernetes/kubectl#744),
    /// so this session authenticates as the admin and asks with `--as`
    /// (impersonation headers), the usual way to check least privilege.
    @Test func kubectlAuthCanIFollowsRBAC() async throws {
        try await withServer({ $0.access = AccessControl(rbacEnabled: true) }) { server, client in
            let role: JSON = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": "reader"],
                              "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]]]]
            let binding: JSON = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "reader"],
                                 "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"],
                                 "subjects": [["kind": "ServiceAccount", "name": "operator", "namespace": "default"]]]
            #expect(try await client.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", json: role).status == 201)
            #expect(try await client.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", json: binding).status == 201)
            let kubectl = try Kubectl(port: server.port)
            defer { kubectl.cleanUp() }
            let sa = "--as=system:serviceaccount:default:operator"
            let yes = try await kubectl.run("auth", "can-i", "list", "configmaps", sa)
            #expect(yes.output.trimmingCharacters(in: .whitespacesAndNewlines) == "yes", "\(yes.output) \(yes.error)")
            #expect(yes.status == 0)
            let no = try await kubectl.run("auth", "can-i", "delete", "configmaps", sa)
            #expect(no.output.trimmingCharacters(in: .whitespacesAndNewlines) == "no", "\(no.output) \(no.error)")
            #expect(no.status == 1)
            let otherNamespace = try await kubectl.run("auth", "can-i", "list", "configmaps", "-n", "kube-system", sa)
            #expect(otherNamespace.output.hasPrefix("no"))
            let admin = try await kubectl.run("auth", "can-i", "delete", "configmaps")
            #expect(admin.output.hasPrefix("yes"), "the unauthenticated caller is the admin when no tokens are configured")
            let list = try await kubectl.run("auth", "can-i", "--list", sa)
            #expect(list.status == 0, "\(list.error)")
            #expect(list.output.split(separator: "\n").contains { $0.hasPrefix("configmaps ") && $0.contains("[get list watch]") },
                    "can-i --list shows the role's rules: \(list.output)")
            #expect(!list.output.contains("deployments"))
            let forbidden = try await kubectl.run("get", "deployments", sa)
            #expect(forbidden.status != 0)
            #expect(forbidden.error.contains("forbidden"), "\(forbidden.error)")
        }
    }
}
