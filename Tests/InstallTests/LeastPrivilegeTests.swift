import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import TestAPIServer
import TestSupport
import Testing
import YAML

/// The chart's RBAC is exactly what the operator uses. The test API server
/// enforces RBAC; the chart's rendered objects (ServiceAccount, ClusterRole or
/// per-namespace Roles, the leader-election Role, bindings) are created in it,
/// and the operator runs with the chart's own arguments and the service
/// account's token through a lifecycle: take the lease, reconcile an
/// InferenceService (status, Deployment, Service), scale it on a slow
/// workload (real Prometheus, read with the credentials of the object's
/// `authSecretRef` Secret: get secrets), record Events, run a canary with a
/// Gateway (its HTTPRoute created, then deleted with the other canary
/// objects), follow its deletion, release the lease on SIGTERM. Then, from the API server's request log:
/// - no request was forbidden, and every request is covered by a rule;
/// - every granted (verb, resource) was used, or is in `mayGoUnused` with the reason.
@Suite(.disabled(if: !PrometheusServer.isInstalled, "skipped: /usr/bin/prometheus is missing (make test installs it)"))
struct LeastPrivilegeTests {
    enum Scope: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case allNamespaces, watchedNamespace, serviceMonitors
        var testDescription: String { rawValue }
        var values: [String] {
            switch self {
            case .allNamespaces: []
            case .watchedNamespace: ["--set", "watchNamespaces={ml}"]
            case .serviceMonitors: ["--set", "inferenceServiceMonitors.enabled=true", "--set", "inferenceServiceMonitors.labels.release=prometheus"]
            }
        }
        /// Extra objects the cluster needs: the Gateway API's HTTPRoute kind, for the canary's route;
        /// prometheus-operator's kind, for the per-object ServiceMonitors.
        var clusterObjects: [JSON] {
            get throws { [try LeastPrivilegeTests.httpRouteCRD()] + (self == .serviceMonitors ? [serviceMonitorCRD] : []) }
        }
    }

    static let serviceAccountUser = "system:serviceaccount:inference-system:inference-operator"
    static let httpRoutes = KubeAPI.ResourceType(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute")

    /// The stand-in HTTPRoute CRD the operator tests use (fields the operator renders, upstream rules).
    static func httpRouteCRD() throws -> JSON {
        try YAML.parse(try String(contentsOf: packageRoot.appendingPathComponent("Tests/OperatorTests/Fixtures/gateway-api-httproute-crd.yaml"),
                                  encoding: .utf8))
    }

    /// Granted (verb, group, resource) that this lifecycle need not exercise, and why each stays granted.
    static let mayGoUnused: [String: String] = [
        // EventRecorder: a repeat of an identical event within its series window
        // patches the event's series instead of creating a new one. Scaling
        // notes carry the signal values, so this lifecycle repeats none.
        "patch events.k8s.io/events": "series update of a repeated identical Event",
    ]

    @Test(arguments: Scope.allCases)
    func operatorUsesExactlyTheChartsRules(_ scope: Scope) async throws {
        let rendered = try objects(in: try await Helm.template(["--set", "createNamespace=true"] + scope.values, includeCRDs: true))
        let cluster = try await RBACCluster.start()
        try await cluster.createNamespace("ml")  // the watched namespace exists before its Role
        try await cluster.install(try scope.clusterObjects + rendered)

        let workload = try await Workload.start()
        let prometheus = try await PrometheusServer.start(
            targets: [.init(address: "127.0.0.1:\(workload.port)", labels: ["namespace": "ml", "service": "demo-predictor"])])
        let deployment = try rendered.one(kind: "Deployment")
        let op = try await cluster.startOperator(chartArguments: deployment[at: "spec", "template", "spec", "containers", 0, "args"]?.strings ?? [],
                                                 prometheusURL: prometheus.url)
        let admin = cluster.admin
        func context() -> Comment { "operator log:\n\(op.process.log.suffix(4000))" }

        // Lease taken in the release namespace.
        let leading = await eventually(timeout: .seconds(30)) {
            let lease = try? await admin.get(.leases, name: "inference-operator", namespace: "inference-system")
            return lease?[at: "spec", "holderIdentity"] == "inference-operator-7d9f-abcde"
        }
        #expect(leading, context())

        // Reconcile: Deployment, Service, status; then a slow workload scales it up (Deployment write, Event).
        // Prometheus is read with the credentials of the object's authSecretRef
        // (get secrets); this Prometheus ignores the Authorization header.
        try await workload.set(rps: 20, latencyMs: 400)
        _ = try await admin.create(.secrets, Self.authSecret)
        _ = try await admin.create(inferenceServiceType, Self.inferenceService(prometheusURL: prometheus.url))
        func object() async throws -> JSON { try await admin.get(inferenceServiceType, name: "demo", namespace: "ml") }
        let ready = try await eventually(timeout: .seconds(60)) {
            (try await object())[at: "status", "conditions"]?.arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true
        }
        #expect(ready, context())
        let scaled = await eventually(timeout: .seconds(60)) {
            ((try? await admin.get(.deployments, name: "demo-predictor", namespace: "ml"))?[at: "spec", "replicas"]?.intValue ?? 0) >= 4
        }
        #expect(scaled, context())
        let evented = try await eventually(timeout: .seconds(15)) {
            (try await admin.list(.events, namespace: "ml"))["items"]?.arrayValue?.contains { $0["reason"] == "ScaledUp" } == true
        }
        #expect(evented, context())

        // A canary with a Gateway starts (its Deployment, per-version Services and
        // HTTPRoute are created), then spec.canary is removed: the operator deletes what the canary left.
        _ = try await admin.patch(inferenceServiceType, name: "demo", namespace: "ml", .merge(["spec": ["canary": [
            "model": ["name": "demo", "uri": "file:///models/demo-v2.onnx"], "stepSeconds": 3600, "gatewayRef": ["name": "edge"],
        ]]]))
        let canaryCreated = await eventually(timeout: .seconds(30)) {
            let deployment = try? await admin.get(.deployments, name: "demo-canary", namespace: "ml")
            let service = try? await admin.get(.services, name: "demo-stable", namespace: "ml")
            let route = try? await admin.get(Self.httpRoutes, name: "demo", namespace: "ml")
            return deployment != nil && service != nil && route != nil
        }
        #expect(canaryCreated, context())
        _ = try await admin.patch(inferenceServiceType, name: "demo", namespace: "ml", .merge(["spec": ["canary": nil]]))
        let canaryRemoved = await eventually(timeout: .seconds(30)) {
            let deployment = try? await admin.get(.deployments, name: "demo-canary", namespace: "ml")
            let candidate = try? await admin.get(.services, name: "demo-canary", namespace: "ml")
            let stable = try? await admin.get(.services, name: "demo-stable", namespace: "ml")
            let route = try? await admin.get(Self.httpRoutes, name: "demo", namespace: "ml")
            return deployment == nil && candidate == nil && stable == nil && route == nil
        }
        #expect(canaryRemoved, context())

        // Deletion: owned objects go by garbage collection; the operator only observes it.
        _ = try await admin.delete(inferenceServiceType, name: "demo", namespace: "ml")
        let gone = await eventually(timeout: .seconds(15)) {
            (try? await admin.get(.deployments, name: "demo-predictor", namespace: "ml")) == nil
        }
        #expect(gone)
        try await Task.sleep(for: .seconds(1))
        let status = await op.process.stop(signal: SIGTERM, timeout: .seconds(30))
        #expect(status == 0, "graceful exit: \(context())")
        await prometheus.stop()
        await workload.process.stop()

        // What the operator did, in RBAC terms.
        let records = cluster.server.requestLog.records.filter { $0.user == Self.serviceAccountUser }
        let forbidden = records.filter { $0.status == 403 || $0.status == 401 }.map { "\($0.verb) \($0.path) -> \($0.status)" }
        #expect(forbidden.isEmpty, "denied: \(Set(forbidden).sorted())")
        let nonResource = records.filter { $0.resource.isEmpty }
        #expect(nonResource.allSatisfy { $0.verb == "get" }, "non-resource requests: \(nonResource.map(\.path))")
        let uses = records.filter { !$0.resource.isEmpty }.flatMap(Use.from)
        let grants = Grant.forUser(Self.serviceAccountUser, in: rendered)
        try #require(!grants.isEmpty)

        // The lifecycle ran: each kind of call appears at least once.
        let used = Set(uses.map(\.permission))
        for expected in ["create coordination.k8s.io/leases", "update coordination.k8s.io/leases", "watch serving.swiftinfer.io/inferenceservices",
                         "patch serving.swiftinfer.io/inferenceservices/status", "create apps/deployments", "patch apps/deployments",
                         "create /services", "create events.k8s.io/events", "get /secrets", "delete apps/deployments", "delete /services",
                         "watch gateway.networking.k8s.io/httproutes", "create gateway.networking.k8s.io/httproutes",
                         "delete gateway.networking.k8s.io/httproutes"] {
            #expect(used.contains(expected), "the lifecycle made no \(expected): \(used.sorted())")
        }
        if scope == .serviceMonitors {
            for expected in ["watch monitoring.coreos.com/servicemonitors", "create monitoring.coreos.com/servicemonitors"] {
                #expect(used.contains(expected), "the lifecycle made no \(expected): \(used.sorted())")
            }
        }

        // Every use is granted by a rule of the chart...
        let uncovered = uses.filter { use in !grants.contains { $0.covers(use) } }
        #expect(uncovered.isEmpty, "calls no rule of the chart grants: \(Set(uncovered.map(\.description)).sorted())")
        // ...and every granted (verb, resource) is used, or listed with its reason.
        let unused = grants.filter { grant in !uses.contains { grant.covers($0) } && Self.mayGoUnused[grant.permission] == nil }
        #expect(unused.isEmpty, "rules the operator never used (remove them, or add them to mayGoUnused with the reason): \(Set(unused.map(\.description)).sorted())")
        if scope == .watchedNamespace {
            #expect(uses.allSatisfy { $0.namespace == "ml" || $0.namespace == "inference-system" }, "\(Set(uses.map(\.description)).sorted())")
        }
    }

    static func inferenceService(prometheusURL: String) -> JSON { [
        "apiVersion": "serving.swiftinfer.io/v1alpha1",
        "kind": "InferenceService",
        "metadata": ["name": "demo", "namespace": "ml"],
        "spec": [
            "model": ["name": "demo", "uri": "file:///models/demo.onnx"],
            "replicas": ["min": 2, "max": 8],
            "autoscaling": [
                "mode": "Active",
                "intervalSeconds": 2,
                "prometheus": ["url": .string(prometheusURL), "authSecretRef": ["name": "prometheus-auth"]],
                "rules": ["latency": ["consecutiveIntervals": 2]],
                "queries": ["p95Latency": #"histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{namespace="{{namespace}}"}[5s])))"#],
            ],
        ],
    ] }

    static let authSecret: JSON = [
        "apiVersion": "v1", "kind": "Secret",
        "metadata": ["name": "prometheus-auth", "namespace": "ml"],
        "data": ["token": "bGVhc3QtcHJpdmlsZWdlLXRva2Vu"],  // "least-privilege-token"
    ]
}

let inferenceServiceType = KubeAPI.ResourceType(group: "serving.swiftinfer.io", version: "v1alpha1", plural: "inferenceservices", kind: "InferenceService")

/// One call in RBAC terms. A server-side apply that created its object (201)
/// is also a `create`, which the real API server authorizes too.
struct Use: Hashable, CustomStringConvertible {
    var verb: String
    var group: String
    var resource: String  // with "/subresource"
    var namespace: String
    var name: String

    var permission: String { "\(verb) \(group)/\(resource)" }
    var description: String { "\(permission) in \(namespace.isEmpty ? "(cluster)" : namespace)\(name.isEmpty ? "" : " name \(name)")" }

    static func from(_ record: RequestRecord) -> [Use] {
        let resource = record.subresource.isEmpty ? record.resource : "\(record.resource)/\(record.subresource)"
        let use = Use(verb: record.verb, group: record.group, resource: resource, namespace: record.namespace, name: record.name)
        if record.verb == "patch" && record.status == 201 {
            return [use, Use(verb: "create", group: use.group, resource: use.resource, namespace: use.namespace, name: use.name)]
        }
        return [use]
    }
}

/// One (verb, resource) a rule of the chart grants to a subject, where.
struct Grant: Hashable, CustomStringConvertible {
    var verb: String
    var group: String
    var resource: String
    /// nil: every namespace (a ClusterRole bound cluster-wide).
    var namespace: String?
    var resourceNames: [String]

    var permission: String { "\(verb) \(group)/\(resource)" }
    var description: String { "\(permission) in \(namespace ?? "all namespaces")\(resourceNames.isEmpty ? "" : " names \(resourceNames)")" }

    func covers(_ use: Use) -> Bool {
        (verb == use.verb || verb == "*") && group == use.group && (resource == use.resource || resource == "*")
            && (namespace == nil || namespace == use.namespace)
            && (resourceNames.isEmpty || resourceNames.contains(use.name))
    }

    /// What the rendered bindings give `user` (a service account).
    static func forUser(_ user: String, in objects: [JSON]) -> [Grant] {
        func bound(_ binding: JSON) -> Bool {
            binding["subjects"]?.arrayValue?.contains { subject in
                let namespace = subject["namespace"]?.stringValue ?? binding[at: "metadata", "namespace"]?.stringValue ?? ""
                return subject["kind"] == "ServiceAccount" && user == "system:serviceaccount:\(namespace):\(subject["name"]?.stringValue ?? "")"
            } ?? false
        }
        func role(kind: String, name: String, namespace: String?) -> JSON? {
            objects.first { $0["kind"]?.stringValue == kind && $0[at: "metadata", "name"]?.stringValue == name
                && (kind == "ClusterRole" || $0[at: "metadata", "namespace"]?.stringValue == namespace) }
        }
        func grants(_ role: JSON?, namespace: String?) -> [Grant] {
            (role?["rules"]?.arrayValue ?? []).flatMap { rule in
                rule["apiGroups"]!.strings.flatMap { group in
                    rule["resources"]!.strings.flatMap { resource in
                        rule["verbs"]!.strings.map { verb in
                            Grant(verb: verb, group: group, resource: resource, namespace: namespace, resourceNames: rule["resourceNames"]?.strings ?? [])
                        }
                    }
                }
            }
        }
        var result: [Grant] = []
        for binding in objects.of(kind: "ClusterRoleBinding") where bound(binding) {
            result += grants(role(kind: "ClusterRole", name: binding[at: "roleRef", "name"]?.stringValue ?? "", namespace: nil), namespace: nil)
        }
        for binding in objects.of(kind: "RoleBinding") where bound(binding) {
            let namespace = binding[at: "metadata", "namespace"]?.stringValue
            let kind = binding[at: "roleRef", "kind"]?.stringValue ?? "Role"
            result += grants(role(kind: kind, name: binding[at: "roleRef", "name"]?.stringValue ?? "", namespace: namespace), namespace: namespace)
        }
        return result
    }
}

/// A test API server with RBAC on: an admin token (system:masters) for the
/// test, the chart's service account token for the operator, and a kubeconfig
/// without credentials for kubectl and Helm, which send no token over plain
/// HTTP and so are the admin (`AccessControl.anonymous`).
struct RBACCluster {
    let server: TestAPIServer
    let admin: KubeClient
    let operatorKubeconfig: String
    let toolsKubeconfig: String

    static func start() async throws -> RBACCluster {
        var configuration = TestAPIServer.Configuration()
        configuration.cluster.simulateDeployments = true
        configuration.cluster.deploymentReadyDelay = 2
        configuration.bookmarkInterval = .seconds(2)
        configuration.access = AccessControl(tokens: [
            "admin-token": UserInfo(name: "admin", groups: ["system:masters"]),
            "operator-token": UserInfo(name: LeastPrivilegeTests.serviceAccountUser, groups: ["system:serviceaccounts"]),
        ], rbacEnabled: true, anonymous: .admin)
        let server = TestAPIServer(configuration: configuration)
        let port = try await server.start()
        let kubeconfig = try server.writeKubeconfig(token: "operator-token", namespace: "inference-system")
        let admin = KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:\(port)", credentials: .token("admin-token")),
                               transport: try CurlTransport())
        return RBACCluster(server: server, admin: admin, operatorKubeconfig: kubeconfig, toolsKubeconfig: try server.writeKubeconfig())
    }

    func createNamespace(_ name: String) async throws {
        _ = try await admin.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
    }

    static let types: [String: KubeAPI.ResourceType] = [
        "CustomResourceDefinition": .customResourceDefinitions,
        "Namespace": .namespaces,
        "ServiceAccount": .serviceAccounts,
        "Service": .services,
        "Deployment": .deployments,
        "ClusterRole": KubeAPI.ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", kind: "ClusterRole", namespaced: false),
        "ClusterRoleBinding": KubeAPI.ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings",
                                           kind: "ClusterRoleBinding", namespaced: false),
        "Role": KubeAPI.ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role"),
        "RoleBinding": KubeAPI.ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", kind: "RoleBinding"),
    ]

    /// Creates the rendered objects in order, as `kubectl apply -f` would.
    func install(_ objects: [JSON]) async throws {
        for object in objects {
            let kind = object["kind"]?.stringValue ?? ""
            guard let type = Self.types[kind] else { throw InstallTestError("the test cannot install a \(kind)") }
            _ = try await admin.create(type, object)
        }
    }

    /// Runs the operator with the chart's arguments; only what needs a cluster
    /// outside a pod changes (kubeconfig instead of the in-cluster account, ports, Prometheus).
    func startOperator(chartArguments: [String], prometheusURL: String) async throws -> OperatorProcess {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("op-port-\(UUID().uuidString)").path
        var arguments: [String] = []
        for argument in chartArguments {
            if argument == "--in-cluster" {
                arguments += ["--kubeconfig", operatorKubeconfig]
            } else if argument.hasPrefix("--prometheus-url=") {
                arguments.append("--prometheus-url=\(prometheusURL)")
            } else if argument.hasPrefix("--metrics-bind-address=") {
                arguments += ["--metrics-bind-address=127.0.0.1:0", "--port-file", portFile]
            } else {
                arguments.append(argument)
            }
        }
        var environment = ProcessInfo.processInfo.environment
        environment["POD_NAME"] = "inference-operator-7d9f-abcde"  // what the chart's fieldRef gives
        environment["POD_NAMESPACE"] = "inference-system"
        for key in ["KUBECONFIG", "KUBERNETES_SERVICE_HOST", "WATCH_NAMESPACES", "LEADER_ELECT", "PROMETHEUS_URL"] { environment[key] = nil }
        let process = try ManagedProcess(operatorBinary, arguments, environment: environment, logName: "operator-rbac")
        guard await waitForPortFile(portFile, timeout: .seconds(60)) != nil else {
            throw InstallTestError("operator did not start with \(arguments): \(process.log.suffix(3000))")
        }
        return OperatorProcess(process: process)
    }
}

struct OperatorProcess {
    let process: ManagedProcess
}

/// The stand-in workload of the operator end-to-end tests: the inference
/// server's latency histogram with a rate and latency the test sets.
struct Workload {
    let process: ManagedProcess
    let port: Int

    static func start() async throws -> Workload {
        let script = packageRoot.appendingPathComponent("Tests/OperatorTests/Fixtures/histogram_exporter.py").path
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("wl-port-\(UUID().uuidString)").path
        let process = try ManagedProcess("/usr/bin/python3", [script, portFile], logName: "workload")
        guard let port = await waitForPortFile(portFile) else { throw InstallTestError("workload did not start: \(process.log)") }
        return Workload(process: process, port: port)
    }

    func set(rps: Double, latencyMs: Double) async throws {
        let result = try await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/control?rps=\(rps)&latency_ms=\(latencyMs)"])
        guard result.status == 0 else { throw InstallTestError("workload control failed: \(result.output)") }
    }
}
