import Foundation
import JSONValue
import TestSupport
import Testing
import YAML

/// The Helm chart (`charts/inference-operator`) with a real Helm 3 binary:
/// lint, render, validate every object against Kubernetes 1.32's schemas,
/// reject bad values naming the field, and keep `crds/` and
/// `manifests/install.yaml` in step with the repository.
@Suite struct ChartTests {
    /// Value sets the chart supports, rendered and validated one by one.
    struct Variant: CustomTestStringConvertible, Sendable {
        let name: String
        let values: [String]
        var testDescription: String { name }
    }

    static let variants: [Variant] = [
        Variant(name: "defaults", values: []),
        Variant(name: "watched namespaces", values: ["--set", "watchNamespaces={ml,team-a}"]),
        Variant(name: "ServiceMonitor, PDB and NetworkPolicy on", values: [
            "--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.labels.release=prometheus",
            "--set", "podDisruptionBudget.enabled=true", "--set", "networkPolicy.enabled=true",
            "--set", "networkPolicy.apiServer.cidrs={10.96.0.1/32}",
            "--set", "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring",
        ]),
        Variant(name: "PrometheusRule and Grafana dashboard on", values: [
            "--set", "prometheusRule.enabled=true", "--set", "prometheusRule.additionalLabels.release=prometheus",
            "--set", "grafanaDashboard.enabled=true", "--set", "grafanaDashboard.annotations.grafana_folder=Inference",
        ]),
        Variant(name: "per-InferenceService ServiceMonitors on", values: [
            "--set", "inferenceServiceMonitors.enabled=true", "--set", "inferenceServiceMonitors.labels.release=prometheus",
            "--set", "inferenceServiceMonitors.labels.team=a",
        ]),
        Variant(name: "leader election off", values: ["--set", "replicaCount=1", "--set", "leaderElection.enabled=false"]),
        Variant(name: "install manifest (namespace object, CRDs)", values: ["--set", "createNamespace=true", "--include-crds"]),
    ]

    @Test func lintPassesStrict() async throws {
        for values in [[], ["--set", "serviceMonitor.enabled=true", "--set", "podDisruptionBudget.enabled=true",
                            "--set", "networkPolicy.enabled=true", "--set", "watchNamespaces={ml}",
                            "--set", "prometheusRule.enabled=true", "--set", "grafanaDashboard.enabled=true"]] {
            let result = try await Helm.run(["lint", "--strict", chartPath] + values)
            #expect(result.status == 0, "helm lint --strict \(values):\n\(result.output)")
            #expect(result.output.contains("1 chart(s) linted, 0 chart(s) failed"), "\(result.output)")
        }
    }

    @Test(arguments: variants)
    func renderedObjectsAreValidKubernetes132Objects(_ variant: Variant) async throws {
        let yaml = try await Helm.template(variant.values)
        let unknown = try await validateWithKubernetesSchemas(yaml)
        let rendered = try objects(in: yaml)
        // kubernetes-validate has no schemas for custom resources: only the prometheus-operator kinds may lack one.
        #expect(Set(unknown).isSubset(of: ["ServiceMonitor", "PrometheusRule"]), "objects without a schema: \(unknown)")

        let deployment = try rendered.one(kind: "Deployment")
        let podLabels = deployment[at: "spec", "template", "metadata", "labels"]?.objectValue ?? [:]
        let selector = deployment[at: "spec", "selector", "matchLabels"]?.objectValue ?? [:]
        #expect(selects(selector, podLabels), "the selector selects the pods")
        let service = try rendered.one(kind: "Service")
        let serviceSelector = service[at: "spec", "selector"]?.objectValue ?? [:]
        #expect(selects(serviceSelector, podLabels), "the metrics Service selects the pods")
        #expect(service[at: "spec", "ports", 0, "targetPort"] == "metrics")
        let account = deployment[at: "spec", "template", "spec", "serviceAccountName"]?.stringValue
        #expect(try rendered.one(kind: "ServiceAccount")[at: "metadata", "name"]?.stringValue == account)

        let args = deployment[at: "spec", "template", "spec", "containers", 0, "args"]?.strings ?? []
        let clusterRoles = rendered.of(kind: "ClusterRole"), roles = rendered.of(kind: "Role")
        switch variant.name {
        case "watched namespaces":
            #expect(args.contains("--namespaces=ml,team-a"), "\(args)")
            #expect(clusterRoles.isEmpty && rendered.of(kind: "ClusterRoleBinding").isEmpty, "a namespace list needs no cluster-wide access")
            let managerRoles = roles.filter { $0[at: "metadata", "name"] == "inference-operator" }
            #expect(Set(managerRoles.compactMap { $0[at: "metadata", "namespace"]?.stringValue }) == ["ml", "team-a"])
            #expect(Set(rendered.of(kind: "RoleBinding").compactMap { $0[at: "metadata", "namespace"]?.stringValue })
                    == ["ml", "team-a", "inference-system"])
        case "ServiceMonitor, PDB and NetworkPolicy on":
            // No published schema for monitoring.coreos.com: check what makes it scrape the right endpoint.
            let monitor = try rendered.one(kind: "ServiceMonitor")
            #expect(monitor["apiVersion"] == "monitoring.coreos.com/v1")
            let monitorSelector = monitor[at: "spec", "selector", "matchLabels"]?.objectValue ?? [:]
            let serviceLabels = service[at: "metadata", "labels"]?.objectValue ?? [:]
            #expect(selects(monitorSelector, serviceLabels), "selects the metrics Service")
            #expect(monitor[at: "spec", "endpoints", 0, "port"] == service[at: "spec", "ports", 0, "name"])
            #expect(monitor[at: "spec", "endpoints", 0, "path"] == "/metrics")
            #expect(monitor[at: "spec", "namespaceSelector", "matchNames", 0] == "inference-system")
            #expect(monitor[at: "metadata", "labels", "release"] == "prometheus")
            #expect(monitor[at: "spec", "endpoints", 0, "honorLabels"] == true, "keeps the per-object namespace/name/service labels")
            let budget = try rendered.one(kind: "PodDisruptionBudget")
            #expect(budget[at: "spec", "minAvailable"] == 1)
            #expect(budget[at: "spec", "selector", "matchLabels"]?.objectValue == selector)
            let policy = try rendered.one(kind: "NetworkPolicy")
            #expect(policy[at: "spec", "podSelector", "matchLabels"]?.objectValue == selector)
            #expect(policy[at: "spec", "policyTypes"]?.strings == ["Ingress", "Egress"])
            #expect(policy[at: "spec", "egress", 0, "to", 0, "ipBlock", "cidr"] == "10.96.0.1/32")
            #expect(policy[at: "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchLabels", "name"] == "monitoring")
        case "PrometheusRule and Grafana dashboard on":
            // The rule groups are files/alerts.yaml as they are (the file promtool tests).
            let rule = try rendered.one(kind: "PrometheusRule")
            #expect(rule["apiVersion"] == "monitoring.coreos.com/v1")
            #expect(rule[at: "metadata", "namespace"] == "inference-system")
            #expect(rule[at: "metadata", "labels", "release"] == "prometheus")
            let alerts = try YAML.parse(try String(contentsOf: packageRoot.appendingPathComponent(MonitoringTests.alertsPath), encoding: .utf8))
            #expect(rule[at: "spec", "groups"] == alerts["groups"])
            // The dashboard ConfigMap carries the sidecar's label and files/dashboard.json unchanged.
            let dashboards = rendered.of(kind: "ConfigMap").filter { $0[at: "metadata", "labels", "grafana_dashboard"] == "1" }
            #expect(dashboards.count == 1)
            #expect(dashboards.first?[at: "metadata", "annotations", "grafana_folder"] == "Inference")
            let json = try String(contentsOf: packageRoot.appendingPathComponent(MonitoringTests.dashboardPath), encoding: .utf8)
            let shipped = dashboards.first?[at: "data", "inference-operator.json"]?.stringValue ?? ""
            #expect(try YAML.parse(shipped) == YAML.parse(json))
        case "per-InferenceService ServiceMonitors on":
            #expect(args.contains("--service-monitors") && args.contains("--service-monitor-labels=release=prometheus,team=a"), "\(args)")
            let rules = clusterRoles.first?["rules"]?.arrayValue ?? []
            #expect(rules.contains { $0["apiGroups"]?.strings == ["monitoring.coreos.com"] && $0["resources"]?.strings == ["servicemonitors"]
                        && $0["verbs"]?.strings == ["list", "watch", "create", "patch"] }, "\(rules)")
        case "leader election off":
            #expect(deployment[at: "spec", "replicas"] == 1)
            #expect(args.contains("--leader-elect=false"), "\(args)")
            #expect(roles.isEmpty, "no Lease, no leader-election Role")
            #expect(clusterRoles.count == 1)
        case "install manifest (namespace object, CRDs)":
            #expect(try rendered.one(kind: "Namespace")[at: "metadata", "name"] == "inference-system")
            #expect(try rendered.one(kind: "CustomResourceDefinition")[at: "metadata", "name"] == "inferenceservices.serving.swiftinfer.io")
        default:
            #expect(deployment[at: "spec", "replicas"] == 2)
            #expect(args.contains("--leader-elect=true") && args.contains("--lease-namespace=inference-system"), "\(args)")
            #expect(clusterRoles.count == 1 && rendered.of(kind: "ClusterRoleBinding").count == 1)
            #expect(roles.map { $0[at: "metadata", "name"] } == ["inference-operator-leader-election"])
            #expect(rendered.of(kind: "ServiceMonitor").isEmpty && rendered.of(kind: "PodDisruptionBudget").isEmpty
                    && rendered.of(kind: "NetworkPolicy").isEmpty && rendered.of(kind: "PrometheusRule").isEmpty
                    && rendered.of(kind: "ConfigMap").isEmpty, "optional objects are off by default")
            let rules = clusterRoles.first?["rules"]?.arrayValue ?? []
            #expect(!rules.contains { $0["apiGroups"]?.strings == ["monitoring.coreos.com"] }, "no ServiceMonitor access unless switched on")
            #expect(rules.contains { $0["apiGroups"]?.strings == ["gateway.networking.k8s.io"] && $0["resources"]?.strings == ["httproutes"]
                        && $0["verbs"]?.strings == ["list", "watch", "create", "patch", "delete"] }, "canary HTTPRoutes: \(rules)")
            #expect(!args.contains("--service-monitors"), "\(args)")
        }
    }

    /// Each bad value and the words Helm's answer must contain (the field named).
    static let badValues: [(values: [String], message: String)] = [
        (["--set", "replicaCount=0"], "replicaCount"),
        (["--set", "logging.level=loud"], "logging.level"),
        (["--set", "logging.format=xml"], "logging.format"),
        (["--set", "prometheus.url=prometheus:9090"], "prometheus.url"),
        (["--set", "watchNamespaces={Not_A_Namespace}"], "watchNamespaces"),
        (["--set", "image.pullPolicy=Sometimes"], "image.pullPolicy"),
        (["--set", "imagee.tag=typo"], "imagee"),
        (["--set", "securityContext.readOnlyRootFilesystem=false"], "securityContext.readOnlyRootFilesystem"),
        (["--set", "securityContext.allowPrivilegeEscalation=true"], "securityContext.allowPrivilegeEscalation"),
        (["--set", "podSecurityContext.runAsNonRoot=false"], "podSecurityContext.runAsNonRoot"),
        (["--set", "metrics.port=70000"], "metrics.port"),
        (["--set", "resources.limits.memory=lots"], "resources.limits.memory"),
        (["--set", "serviceMonitor.interval=often"], "serviceMonitor.interval"),
        (["--set", "prometheusRule.enable=true"], "prometheusRule"),
        (["--set", "grafanaDashboard.label.name="], "grafanaDashboard.label.name"),
        (["--set", "inferenceServiceMonitors.labels.release=a\\,b"], "inferenceServiceMonitors.labels.release"),
        (["--set", "leaderElection.enabled=false"], "leaderElection.enabled is false"),
        (["--set", "leaderElection.renewDeadlineSeconds=20"], "renewDeadlineSeconds (20)"),
        (["--set", "podDisruptionBudget.enabled=true", "--set", "podDisruptionBudget.minAvailable=2"], "podDisruptionBudget.minAvailable"),
    ]

    @Test(arguments: badValues)
    func badValuesAreRejectedNamingTheField(values: [String], message: String) async throws {
        let result = try await Helm.run(["template", "x", chartPath] + values)
        #expect(result.status != 0, "helm template accepted \(values)")
        #expect(result.output.contains(message), "the error names \(message):\n\(result.output)")
    }

    @Test func chartCRDsAreTheRepositoryCRDs() throws {
        let chartCRDs = packageRoot.appendingPathComponent("charts/inference-operator/crds")
        let repositoryCRDs = packageRoot.appendingPathComponent("CRDs")
        let names = try FileManager.default.contentsOfDirectory(atPath: repositoryCRDs.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(!names.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: chartCRDs.path).sorted() == names)
        for name in names {
            let copy = try Data(contentsOf: chartCRDs.appendingPathComponent(name))
            #expect(copy == (try Data(contentsOf: repositoryCRDs.appendingPathComponent(name))),
                    "charts/inference-operator/crds/\(name) differs from CRDs/\(name): run scripts/generate-crd.sh (or cp CRDs/*.yaml charts/inference-operator/crds/)")
        }
    }

    @Test func installManifestIsTheRenderedChart() async throws {
        let result = try await Subprocess.run("/bin/bash", [packageRoot.appendingPathComponent("scripts/render-manifests.sh").path, "-"],
                                              currentDirectory: packageRoot)
        try #require(result.status == 0, "\(result.output)")
        // The script logs to stderr and Subprocess interleaves both streams: keep the document, from its header on.
        let rendered = result.output.range(of: "# Generated by").map { String(result.output[$0.lowerBound...]) } ?? result.output
        let committed = try String(contentsOf: packageRoot.appendingPathComponent("manifests/install.yaml"), encoding: .utf8)
        if rendered != committed {
            let renderedLines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
            let committedLines = committed.split(separator: "\n", omittingEmptySubsequences: false)
            let line = zip(renderedLines, committedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(renderedLines.count, committedLines.count)
            Issue.record("""
                manifests/install.yaml is out of date: run scripts/render-manifests.sh
                first difference at line \(line + 1): rendered \(renderedLines.dropFirst(line).first.map { "'\($0)'" } ?? "(end)"), \
                committed \(committedLines.dropFirst(line).first.map { "'\($0)'" } ?? "(end)")
                """)
        }
    }

    @Test func podRunsRestrictedAndProbesTheHealthServer() async throws {
        let deployment = try objects(in: try await Helm.template([])).one(kind: "Deployment")
        let pod = deployment[at: "spec", "template", "spec"] ?? .null
        #expect(pod[at: "securityContext", "runAsNonRoot"] == true)
        #expect(pod[at: "securityContext", "runAsUser"] == 65532)
        #expect(pod[at: "securityContext", "seccompProfile", "type"] == "RuntimeDefault")
        let container = pod[at: "containers", 0] ?? .null
        #expect(container["image"] == "ghcr.io/swiftinfer/inference-operator:0.1.0")
        #expect(container[at: "securityContext", "runAsNonRoot"] == true)
        #expect(container[at: "securityContext", "runAsUser"] == 65532)
        #expect(container[at: "securityContext", "readOnlyRootFilesystem"] == true)
        #expect(container[at: "securityContext", "allowPrivilegeEscalation"] == false)
        #expect(container[at: "securityContext", "capabilities", "drop"]?.strings == ["ALL"])
        #expect(container[at: "securityContext", "seccompProfile", "type"] == "RuntimeDefault")
        #expect(container[at: "securityContext", "privileged"] == nil)
        #expect(container[at: "securityContext", "capabilities", "add"] == nil)
        // Probes hit the operator's health server on the port it binds.
        let args = container["args"]?.strings ?? []
        #expect(args.contains("--metrics-bind-address=0.0.0.0:8080"), "\(args)")
        #expect(container[at: "ports", 0, "name"] == "metrics" && container[at: "ports", 0, "containerPort"] == 8080)
        #expect(container[at: "livenessProbe", "httpGet", "path"] == "/healthz")
        #expect(container[at: "livenessProbe", "httpGet", "port"] == "metrics")
        #expect(container[at: "readinessProbe", "httpGet", "path"] == "/readyz")
        #expect(container[at: "readinessProbe", "httpGet", "port"] == "metrics")
        #expect(container[at: "resources", "limits", "memory"] != nil, "a memory limit by default")
    }

    /// Every flag the chart passes exists in `inference-operator run --help`
    /// (the RBAC test also runs the operator with them).
    @Test(arguments: [[], ["--set", "watchNamespaces={ml}", "--set", "followFallback=true"],
                      ["--set", "inferenceServiceMonitors.enabled=true", "--set", "inferenceServiceMonitors.labels.release=prometheus"]])
    func chartPassesOnlyFlagsTheOperatorHas(values: [String]) async throws {
        let help = try await Subprocess.run(operatorBinary, ["run", "--help"])
        try #require(help.status == 0, "\(help.output)")
        let container = try objects(in: try await Helm.template(values)).one(kind: "Deployment")[at: "spec", "template", "spec", "containers", 0]
        #expect(container?["command"]?.strings == ["inference-operator"])
        let args = container?["args"]?.strings ?? []
        #expect(args.first == "run")
        for flag in args.dropFirst() {
            let name = String(flag.prefix { $0 != "=" })
            let known = help.output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }).contains { $0 == name }
            #expect(name.hasPrefix("--") && known, "\(name) is not a flag of inference-operator run")
        }
    }
}

/// A non-empty matchLabels selector whose every label the object carries.
func selects(_ selector: JSONObject, _ labels: JSONObject) -> Bool {
    !selector.isEmpty && selector.allSatisfy { labels[$0.0] == $0.1 }
}
