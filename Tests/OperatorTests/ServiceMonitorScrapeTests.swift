import Foundation
import JSONValue
import KubeAPI
import KubeClient
@testable import Operator
import TestAPIServer
import TestSupport
import Testing

/// The ServiceMonitor path end to end: the operator renders a ServiceMonitor, a
/// real Prometheus scrapes with the job prometheus-operator generates from it
/// (`scripts/servicemonitor_scrape.py`: its relabeling rules verbatim, kubernetes
/// SD's `role: endpoints` targets over HTTP SD), and the operator scales on the
/// series that job produced. `scripts/servicemonitor_scenario.py` runs the pods
/// (`local_node.py`, now also the endpoints controller) and the clients, and
/// reports what it checked.
@Suite(.serialized, .disabled(if: !InferenceServerProcess.available, "skipped: needs Prometheus, the venv and the built server (make test)"))
struct ServiceMonitorScrapeTests {
    @Test func theOperatorScalesOnSeriesScrapedThroughItsServiceMonitor() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        _ = try await cluster.client.create(.customResourceDefinitions, serviceMonitorCRD)
        try await cluster.createNamespace("ml")
        let workspace = try await ModelWorkspace.make("smscrape")
        defer { workspace.remove() }
        let work = workspace.root
        let models = workspace.models
        // No scrape job until the stand-in for prometheus-operator writes one from the ServiceMonitor.
        let prometheus = try await PrometheusServer.start(targets: [], lifecycle: true)
        let served = await eventually(timeout: .seconds(10)) {
            (try? await cluster.client.serves(ServiceMonitorResource.resourceType)) == true
        }
        try #require(served)
        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: prometheus.url,
                                                 extra: ["--service-monitors", "--service-monitor-labels", "release=prometheus"])
        let out = work.appendingPathComponent("out")
        // The chart's ServiceMonitor for the operator's own metrics too, where make test installed Helm.
        let helm = packageRoot.appendingPathComponent(".tools/helm").path
        let withChart = FileManager.default.isExecutableFile(atPath: helm)
        let scenario = try await Subprocess.run(InferenceServerProcess.python, [
            packageRoot.appendingPathComponent("scripts/servicemonitor_scenario.py").path,
            "--api", "http://127.0.0.1:\(cluster.server.port)", "--prometheus", prometheus.url,
            "--prometheus-config", prometheus.configPath, "--server", InferenceServerProcess.bin + "/inference-server",
            "--models", models.path, "--out", out.path, "--interval", "2", "--rate", "20",
            "--server-flag=--http-host", "--server-flag=127.0.0.1", "--server-flag=--intra-op-threads", "--server-flag=1",
        ] + (withChart ? ["--helm", helm, "--operator-metrics-port", String(op.metricsPort)] : []), currentDirectory: packageRoot)
        print(scenario.output)
        let reportText = try String(contentsOfFile: out.appendingPathComponent("report.json").path, encoding: .utf8)
        let report = try JSON.parse(reportText)
        let context: Comment = "scenario:\n\(scenario.output.suffix(4000))\noperator log:\n\(op.process.log.suffix(2000))\nprometheus:\n\(prometheus.process.log.suffix(1000))"
        let checks = report["checks"]?.arrayValue ?? []
        #expect(checks.count >= (withChart ? 8 : 6), "\(context)")
        for check in checks where check["ok"] != true {
            Issue.record("\(check["name"]?.stringValue ?? "?"): \(check["detail"]?.stringValue ?? "")\n\(context)")
        }
        #expect(scenario.status == 0, "\(context)")
        // The labels the operator's queries group by came from the generated relabeling rules.
        let labels = report["series_labels"] ?? [:]
        #expect(labels["namespace"] == "ml" && labels["service"] == "demo-predictor", "\(reportText)")
        let decisions = report["decisions"]?.arrayValue ?? []
        #expect(decisions.contains { $0["rule"] == "latency" && $0["to"] == 3 }, "\(reportText)")
        if withChart {
            let own = report["operator_series_labels"] ?? [:]
            #expect(own["namespace"] == "ml" && own["exported_namespace"] == nil, "\(reportText)")
        }
        await op.process.stop()
        await prometheus.stop()
    }
}
