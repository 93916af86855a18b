import Foundation
import JSONValue
import Rendering
import ServingAPI
import Testing

/// `scripts/servicemonitor_scrape.py`'s translation of a ServiceMonitor into
/// the scrape job prometheus-operator generates (`generateServiceMonitorConfig`):
/// checked rule by rule for the ServiceMonitor we render, and accepted by the
/// real `promtool check config` for ours and for one that uses every field the
/// translation covers. A field it does not translate is refused by name.
@Suite(.disabled(if: venvMissing || !FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"),
                 "skipped: needs the venv and promtool (make test)"))
struct ServiceMonitorScrapeConfigTests {
    static let script = packageRoot.appendingPathComponent("scripts/servicemonitor_scrape.py").path

    /// Runs the translation; returns (exit status, the configuration or the error).
    func translate(_ monitors: [JSON]) async throws -> (status: Int32, output: String) {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("monitors-\(UUID().uuidString).json")
        try JSON.array(monitors).serialized().write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let result = try await run(venvPython, [Self.script, input.path, "--sd-url", "http://127.0.0.1:9"])
        return (result.status, result.output)
    }

    func promtoolAccepts(_ config: String) async throws -> ProcessResult {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString).yml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await run("/usr/bin/promtool", ["check", "config", file.path])
    }

    @Test func ourServiceMonitorBecomesTheJobPrometheusOperatorGenerates() async throws {
        let monitor = try ServiceMonitorRenderer.render(service(name: "demo", namespace: "ml", cpuSpec()), labels: ["release": "prometheus"])
        let (status, output) = try await translate([monitor])
        try #require(status == 0, "\(output)")
        let config = try JSON.parse(output)
        let job = try #require(config["scrape_configs"]?[0])
        #expect(job["job_name"] == "serviceMonitor/ml/demo-predictor/0")
        #expect(job["honor_labels"] == false)
        #expect(job["metrics_path"] == "/metrics")
        #expect(job["http_sd_configs"]?[0]?["url"] == "http://127.0.0.1:9/endpoints?namespaces=ml", "the object's own namespace")
        let rules = job["relabel_configs"]?.arrayValue ?? []
        // One keep per selector label, on the Service's label and its presence, in key order.
        let selector = monitor[path: "spec", "selector", "matchLabels"]?.objectValue ?? [:]
        let keeps = rules.filter { $0["action"] == "keep" && ($0["source_labels"]?[0]?.stringValue ?? "").hasPrefix("__meta_kubernetes_service_label_") }
        #expect(keeps.count == selector.count)
        for (key, value) in selector {
            let name = key.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            #expect(keeps.contains {
                $0["source_labels"] == .array([.string("__meta_kubernetes_service_label_\(name)"),
                                               .string("__meta_kubernetes_service_labelpresent_\(name)")])
                    && $0["regex"] == .string("(\(value.stringValue ?? ""));true")
            }, "keep rule for \(key)")
        }
        #expect(rules.contains { $0["action"] == "keep" && $0["source_labels"] == ["__meta_kubernetes_endpoint_port_name"] && $0["regex"] == "http" })
        // The labels the operator's queries group by, from the target's Service and namespace.
        #expect(rules.contains { $0["source_labels"] == ["__meta_kubernetes_namespace"] && $0["target_label"] == "namespace" })
        #expect(rules.contains { $0["source_labels"] == ["__meta_kubernetes_service_name"] && $0["target_label"] == "service" })
        #expect(rules.contains { $0["target_label"] == "endpoint" && $0["replacement"] == "http" })
        let checked = try await promtoolAccepts(output)
        #expect(checked.status == 0, "promtool check config:\n\(checked.output)")
    }

    @Test func everyTranslatedFieldGivesAConfigurationPromtoolAccepts() async throws {
        let monitor: JSON = [
            "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": ["name": "everything", "namespace": "ml"],
            "spec": [
                "selector": [
                    "matchLabels": ["app.kubernetes.io/name": "x"],
                    "matchExpressions": [
                        ["key": "tier", "operator": "In", "values": ["a", "b"]],
                        ["key": "canary", "operator": "NotIn", "values": ["true"]],
                        ["key": "team", "operator": "Exists"],
                        ["key": "legacy", "operator": "DoesNotExist"],
                    ],
                ],
                "namespaceSelector": ["any": true],
                "jobLabel": "app.kubernetes.io/name",
                "targetLabels": ["tier"],
                "podTargetLabels": ["version"],
                "endpoints": [
                    ["port": "http", "path": "/metrics", "interval": "15s", "scrapeTimeout": "5s", "scheme": "http",
                     "honorLabels": true, "honorTimestamps": false, "params": ["format": ["prometheus"]],
                     "relabelings": [["action": "Replace", "sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"]],
                     "metricRelabelings": [["action": "Drop", "sourceLabels": ["__name__"], "regex": "go_.*"]]],
                    ["targetPort": 9100],
                    ["targetPort": "metrics"],
                ],
            ],
        ]
        let (status, output) = try await translate([monitor])
        try #require(status == 0, "\(output)")
        let config = try JSON.parse(output)
        let jobs = config["scrape_configs"]?.arrayValue ?? []
        #expect(jobs.map { $0["job_name"]?.stringValue } == ["serviceMonitor/ml/everything/0", "serviceMonitor/ml/everything/1",
                                                             "serviceMonitor/ml/everything/2"])
        #expect(jobs.first?["http_sd_configs"]?[0]?["url"] == "http://127.0.0.1:9/endpoints?namespaces=", "any: every namespace")
        let rules = jobs.first?["relabel_configs"]?.arrayValue ?? []
        #expect(rules.contains { $0["action"] == "drop" && $0["regex"] == "(true);true" }, "NotIn drops")
        #expect(rules.contains { $0["action"] == "replace" && $0["target_label"] == "node" }, "actions are lower-cased")
        #expect(jobs.first?["metric_relabel_configs"]?[0]?["action"] == "drop")
        #expect(jobs[1]["relabel_configs"]?.arrayValue?.contains {
            $0["source_labels"] == ["__meta_kubernetes_pod_container_port_number"] && $0["regex"] == "9100"
        } == true)
        let checked = try await promtoolAccepts(output)
        #expect(checked.status == 0, "promtool check config:\n\(checked.output)")
    }

    @Test func aFieldItDoesNotTranslateIsRefusedByName() async throws {
        let rendered = try ServiceMonitorRenderer.render(service(name: "demo", namespace: "ml", cpuSpec()), labels: [:])
        var monitor = rendered.objectValue ?? [:]
        var spec = rendered["spec"]?.objectValue ?? [:]
        spec["endpoints"] = [["port": "http", "bearerTokenSecret": ["name": "s", "key": "token"]]]
        monitor["spec"] = .object(spec)
        let (status, output) = try await translate([.object(monitor)])
        #expect(status == 2)
        #expect(output.contains("spec.endpoints[0].bearerTokenSecret is not translated"), "\(output)")
    }
}
