import Foundation
import JSONValue
import TestAPIServer
import TestSupport
import Testing

/// The README's install commands exactly as users type them: an unmodified
/// Helm 3.18 and kubectl 1.32, run from the package root, against the test
/// API server over HTTP. A real kube-apiserver once refused our CRD at `helm
/// install` while every render-only test passed; these run the commands.
///
/// Helm and kubectl send no token over plain HTTP, so they are the cluster
/// admin (`AccessControl.anonymous`); the operator runs with its
/// ServiceAccount's token under RBAC, so it can do only what the installed
/// chart grants.
@Suite(.enabled(if: Kubectl.isInstalled, "kubectl is not installed at /usr/bin/kubectl"))
struct InstallCommandTests {
    static let crdName = "inferenceservices.serving.swiftinfer.io"
    static let crdFile = "CRDs/serving.swiftinfer.io_inferenceservices.yaml"

    /// What `helm install inference-operator` creates: (apiVersion, plural, name, namespace).
    static let releaseObjects: [(String, String, String, String?)] = [
        ("apps/v1", "deployments", "inference-operator", "inference-system"),
        ("v1", "serviceaccounts", "inference-operator", "inference-system"),
        ("v1", "services", "inference-operator-metrics", "inference-system"),
        ("rbac.authorization.k8s.io/v1", "clusterroles", "inference-operator", nil),
        ("rbac.authorization.k8s.io/v1", "clusterrolebindings", "inference-operator", nil),
        ("rbac.authorization.k8s.io/v1", "roles", "inference-operator-leader-election", "inference-system"),
        ("rbac.authorization.k8s.io/v1", "rolebindings", "inference-operator-leader-election", "inference-system"),
    ]

    /// README "Install on a cluster", "A first InferenceService", "Upgrade"
    /// and "Uninstall", in that order, on one cluster.
    @Test func helmInstallRunUpgradeAndUninstallAsTheReadmeSays() async throws {
        let cluster = try await RBACCluster.start()
        let store = cluster.server.cluster
        func helm(_ arguments: String...) async throws -> Subprocess.Result { try await Helm.run(arguments, kubeconfig: cluster.toolsKubeconfig) }
        func kubectl(_ arguments: String...) async throws -> Subprocess.Result { try await Kubectl.run(arguments, kubeconfig: cluster.toolsKubeconfig) }
        func operatorDeployment() -> JSON? { store.object("apps/v1", "deployments", "inference-operator", namespace: "inference-system") }
        func operatorArguments() -> [String] { operatorDeployment()?[at: "spec", "template", "spec", "containers", 0, "args"]?.strings ?? [] }
        func releaseSecrets() throws -> [JSON] {
            try store.items("v1", "secrets", namespace: "inference-system", labelSelector: "owner=helm,name=inference-operator")
        }

        // Install: the CRD from crds/ (Established), every object of the release under its name, the release record.
        let install = try await helm("install", "inference-operator", "charts/inference-operator", "-n", "inference-system", "--create-namespace",
                                     "--set", "prometheus.url=http://prometheus.example:9090")
        try #require(install.status == 0, "helm install:\n\(install.output)")
        #expect(install.output.contains("STATUS: deployed"), "\(install.output)")
        let crd = try #require(store.object("apiextensions.k8s.io/v1", "customresourcedefinitions", Self.crdName), "the CRD from crds/")
        #expect(crd.condition("Established")?["status"] == "True")
        #expect(store.object("v1", "namespaces", "inference-system") != nil, "--create-namespace")
        for (apiVersion, plural, name, namespace) in Self.releaseObjects {
            let object = store.object(apiVersion, plural, name, namespace: namespace)
            #expect(object?[at: "metadata", "labels", "app.kubernetes.io/managed-by"] == "Helm", "\(plural)/\(name) from the release")
            #expect(object?[at: "metadata", "annotations", "meta.helm.sh/release-name"] == "inference-operator", "\(plural)/\(name)")
        }
        #expect(operatorArguments().contains("--prometheus-url=http://prometheus.example:9090"), "--set reached the Deployment: \(operatorArguments())")
        let installed = try releaseSecrets()
        #expect(installed.map { $0[at: "metadata", "name"] } == ["sh.helm.release.v1.inference-operator.v1"])
        #expect(installed.first?["type"] == "helm.sh/release.v1")
        #expect(installed.first?[at: "metadata", "labels", "status"] == "deployed")
        let list = try await helm("list", "-n", "inference-system")
        #expect(list.status == 0 && list.output.contains("inference-operator") && list.output.contains("deployed"), "helm list:\n\(list.output)")

        // A first InferenceService: the operator, with the installed Deployment's
        // arguments and its ServiceAccount's token, reconciles the sample that
        // kubectl applies. (Prometheus: a closed local port instead of the
        // unresolvable example host; the Deployment and Service do not wait for it.)
        let op = try await cluster.startOperator(chartArguments: operatorArguments(), prometheusURL: "http://127.0.0.1:9")
        func context() -> Comment { "operator log:\n\(op.process.log.suffix(4000))" }
        let sample = try await kubectl("apply", "-f", "manifests/samples/minimal.yaml")
        #expect(sample.status == 0 && sample.output.contains("inferenceservice.serving.swiftinfer.io/resnet50 created"), "\(sample.output)")
        let reconciled = await eventually(timeout: .seconds(60)) {
            store.object("apps/v1", "deployments", "resnet50-predictor", namespace: "default") != nil
                && store.object("v1", "services", "resnet50-predictor", namespace: "default") != nil
        }
        #expect(reconciled, context())
        let lease = store.object("coordination.k8s.io/v1", "leases", "inference-operator", namespace: "inference-system")
        #expect(lease?[at: "spec", "holderIdentity"] == "inference-operator-7d9f-abcde", "leader election under the chart's Role")
        let owner = store.object("serving.swiftinfer.io/v1alpha1", "inferenceservices", "resnet50", namespace: "default")?[at: "metadata", "uid"]
        let predictor = store.object("apps/v1", "deployments", "resnet50-predictor", namespace: "default")
        #expect(owner != nil && predictor?[at: "metadata", "ownerReferences", 0, "uid"] == owner, "the predictor is owned by the InferenceService")
        #expect(await op.process.stop(signal: SIGTERM, timeout: .seconds(30)) == 0, "graceful exit: \(context())")
        let operatorCalls = cluster.server.requestLog.records.filter { $0.user == LeastPrivilegeTests.serviceAccountUser }
        #expect(operatorCalls.contains { $0.isWrite }, "the operator wrote with its ServiceAccount's identity")
        let denied = operatorCalls.filter { $0.status == 401 || $0.status == 403 }.map { "\($0.verb) \($0.path) -> \($0.status)" }
        #expect(denied.isEmpty, "the installed RBAC denied the operator: \(Set(denied).sorted())")

        // Upgrade: `kubectl apply -f CRDs/` first (here a directory holding the
        // CRD with one more printer column), then `helm upgrade --reuse-values`.
        let crds = FileManager.default.temporaryDirectory.appendingPathComponent("crds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: crds, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: crds) }
        let original = try String(contentsOf: packageRoot.appendingPathComponent(Self.crdFile), encoding: .utf8)
        let changed = original.replacingOccurrences(of: "    - name: Age\n", with: """
                - name: Min
                  type: integer
                  jsonPath: .spec.replicas.min
                  description: Fewest replicas
                - name: Age

            """)
        try #require(changed != original, "the CRD's printer columns moved; update this test's edit")
        try changed.write(to: crds.appendingPathComponent("serving.swiftinfer.io_inferenceservices.yaml"), atomically: true, encoding: .utf8)
        let applyCRDs = try await kubectl("apply", "-f", crds.path + "/")
        #expect(applyCRDs.status == 0 && applyCRDs.output.contains("customresourcedefinition.apiextensions.k8s.io/\(Self.crdName) configured"),
                "\(applyCRDs.output)")
        let columns = { (store.object("apiextensions.k8s.io/v1", "customresourcedefinitions", Self.crdName)?[at: "spec", "versions", 0, "additionalPrinterColumns"]?
            .arrayValue ?? []).compactMap { $0["name"]?.stringValue } }
        #expect(columns().contains("Min"), "\(columns())")
        let table = try await kubectl("get", "infsvc", "-A")
        #expect(table.output.split(separator: "\n").first?.split(separator: " ").contains("MIN") == true, "kubectl shows the new column:\n\(table.output)")

        let upgrade = try await helm("upgrade", "inference-operator", "charts/inference-operator", "-n", "inference-system", "--reuse-values",
                                     "--set", "logging.level=debug")
        #expect(upgrade.status == 0, "helm upgrade:\n\(upgrade.output)")
        #expect(operatorArguments().contains("--log-level=debug"), "the new value: \(operatorArguments())")
        #expect(operatorArguments().contains("--prometheus-url=http://prometheus.example:9090"), "--reuse-values kept the install's value")
        #expect(operatorDeployment()?[at: "metadata", "generation"] == 2)
        #expect(columns().contains("Min"), "helm upgrade leaves the CRD as kubectl applied it")
        let statuses = try releaseSecrets().map { "\($0[at: "metadata", "labels", "version"]?.stringValue ?? "?")=\($0[at: "metadata", "labels", "status"]?.stringValue ?? "?")" }
        #expect(statuses.sorted() == ["1=superseded", "2=deployed"])
        // A bad value is refused by values.schema.json before anything is written.
        let refused = try await helm("upgrade", "inference-operator", "charts/inference-operator", "-n", "inference-system", "--reuse-values",
                                     "--set", "logging.level=loud")
        #expect(refused.status != 0 && refused.output.contains("logging.level"), "\(refused.output)")
        #expect(try releaseSecrets().count == 2)

        // Uninstall: the release's objects and record go; the CRD (Helm never
        // deletes crds/), the InferenceService and what the operator made stay.
        let uninstall = try await helm("uninstall", "inference-operator", "-n", "inference-system")
        #expect(uninstall.status == 0 && uninstall.output.contains("release \"inference-operator\" uninstalled"), "\(uninstall.output)")
        for (apiVersion, plural, name, namespace) in Self.releaseObjects {
            #expect(store.object(apiVersion, plural, name, namespace: namespace) == nil, "\(plural)/\(name) is left after uninstall")
        }
        #expect(try releaseSecrets().isEmpty)
        #expect(store.object("apiextensions.k8s.io/v1", "customresourcedefinitions", Self.crdName) != nil, "the CRD stays")
        #expect(store.object("serving.swiftinfer.io/v1alpha1", "inferenceservices", "resnet50", namespace: "default") != nil)
        #expect(store.object("apps/v1", "deployments", "resnet50-predictor", namespace: "default") != nil, "the predictor keeps serving")
        #expect(store.object("v1", "services", "resnet50-predictor", namespace: "default") != nil)
        try await cluster.server.shutdown()
    }

    /// README "Plain manifests": `kubectl apply -f manifests/install.yaml` with
    /// kubectl's default validation (the server validates strictly), a second
    /// apply that changes nothing, and `kubectl delete -f` removing it all.
    @Test func kubectlAppliesAndDeletesTheInstallManifest() async throws {
        var configuration = TestAPIServer.Configuration()
        // The Namespace outlives its DELETE a little, as in a real cluster, so
        // kubectl's deletes of the objects after it in the file find them.
        configuration.cluster.namespaceDeletionDelay = 1
        let server = TestAPIServer(configuration: configuration)
        try await server.start()
        let kubeconfig = try server.writeKubeconfig()
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
        let store = server.cluster
        func kubectl(_ arguments: String...) async throws -> Subprocess.Result { try await Kubectl.run(arguments, kubeconfig: kubeconfig) }
        func kubectlWrites() -> [RequestRecord] { server.requestLog.records.filter { $0.isWrite && $0.userAgent.hasPrefix("kubectl") } }
        let expected = ["customresourcedefinition.apiextensions.k8s.io/\(Self.crdName)", "namespace/inference-system",
                        "serviceaccount/inference-operator", "clusterrole.rbac.authorization.k8s.io/inference-operator",
                        "clusterrolebinding.rbac.authorization.k8s.io/inference-operator",
                        "role.rbac.authorization.k8s.io/inference-operator-leader-election",
                        "rolebinding.rbac.authorization.k8s.io/inference-operator-leader-election",
                        "service/inference-operator-metrics", "deployment.apps/inference-operator"]

        let first = try await kubectl("apply", "-f", "manifests/install.yaml")
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.split(separator: "\n").map(String.init) == expected.map { "\($0) created" }, "no warnings either:\n\(first.output)")
        let writes = kubectlWrites()
        #expect(writes.count == expected.count && writes.allSatisfy { $0.query.contains("fieldValidation=Strict") },
                "kubectl left validation to the server, strictly: \(writes.map { "\($0.verb) \($0.path)?\($0.query)" })")
        let established = try await kubectl("wait", "--for=condition=Established", "crd/\(Self.crdName)", "--timeout=20s")
        #expect(established.status == 0 && established.output.contains("condition met"), "\(established.output)")
        #expect(store.object("apps/v1", "deployments", "inference-operator", namespace: "inference-system")?[at: "spec", "replicas"] == 2)

        let second = try await kubectl("apply", "-f", "manifests/install.yaml")
        #expect(second.status == 0 && second.output.split(separator: "\n").map(String.init) == expected.map { "\($0) unchanged" }, "\(second.output)")
        #expect(kubectlWrites().count == writes.count, "the second apply wrote nothing")

        // kubectl waits until every object is gone, the Namespace too.
        let delete = try await kubectl("delete", "-f", "manifests/install.yaml")
        #expect(delete.status == 0, "\(delete.output)")
        #expect(delete.output.split(separator: "\n").count == expected.count && delete.output.split(separator: "\n").allSatisfy { $0.hasSuffix(" deleted") },
                "\(delete.output)")
        #expect(store.object("apiextensions.k8s.io/v1", "customresourcedefinitions", Self.crdName) == nil)
        #expect(store.object("v1", "namespaces", "inference-system") == nil)
        for (apiVersion, plural, name, namespace) in Self.releaseObjects {
            #expect(store.object(apiVersion, plural, name, namespace: namespace) == nil, "\(plural)/\(name) is left after delete")
        }
        try await server.shutdown()
    }

    /// Negative control: these tests fail when the API server refuses the CRD.
    /// A chart whose CRD has the rule this project once shipped (`self.min <=
    /// self.max` on `spec.replicas`, whose `default: {}` has no `min`) is
    /// refused by a real kube-apiserver at `helm install` ("no such key:
    /// min"), and must be refused here.
    @Test func helmInstallFailsWhenTheServerRefusesTheCRD() async throws {
        let server = TestAPIServer()
        try await server.start()
        let kubeconfig = try server.writeKubeconfig()
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("chart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: copy) }
        let chart = copy.appendingPathComponent("inference-operator")
        try FileManager.default.copyItem(atPath: chartPath, toPath: chart.path)
        let crdFile = chart.appendingPathComponent("crds/serving.swiftinfer.io_inferenceservices.yaml")
        let good = try String(contentsOf: crdFile, encoding: .utf8)
        let broken = good.replacingOccurrences(of: "'!has(self.min) || !has(self.max) || (self.min <= self.max)'", with: "self.min <= self.max")
        try #require(broken != good, "the guarded replicas rule moved; update this test's edit")
        try broken.write(to: crdFile, atomically: true, encoding: .utf8)

        let install = try await Helm.run(["install", "inference-operator", chart.path, "-n", "inference-system", "--create-namespace"],
                                         kubeconfig: kubeconfig)
        let crdStored = server.cluster.object("apiextensions.k8s.io/v1", "customresourcedefinitions", Self.crdName) != nil
        // The real server's refusal, word for word as Helm prints it (issue #15).
        #expect(install.status != 0, "helm install of a CRD a real API server refuses:\n\(install.output)")
        #expect(install.output.contains(
            "spec.validation.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: \"object\": no such key: min evaluating rule: min must not exceed max"),
            "\(install.output)")
        #expect(!crdStored, "the refused CRD is not stored")
        try await server.shutdown()
    }
}

extension JSON {
    /// The `status.conditions` entry of this type.
    func condition(_ type: String) -> JSON? {
        self[at: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }
}
