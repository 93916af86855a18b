import Foundation
import JSONValue
import TestSupport
import Testing
import YAML

/// The chart's monitoring pieces: the alert rules (`files/alerts.yaml`, checked
/// and unit-tested by promtool), their runbooks (`docs/operations.md`) and the
/// Grafana dashboard (`files/dashboard.json`), whose PromQL must parse and
/// name only series we export.
@Suite struct MonitoringTests {
    static let alertsPath = "charts/inference-operator/files/alerts.yaml"
    static let alertTestsPath = "charts/inference-operator/tests/alerts_test.yaml"
    static let dashboardPath = "charts/inference-operator/files/dashboard.json"
    static let runbookPrefix = "https://github.com/swiftinfer/inference-operator/blob/main/docs/operations.md#"

    /// Series the rules may read that come from elsewhere, each with why.
    static let externalSeries: [String: String] = [
        // The operator watches no pods; a crash-looping warmup (model fetch) init container shows only here.
        "kube_pod_init_container_status_restarts_total": "kube-state-metrics",
    ]

    static func text(_ path: String) throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent(path), encoding: .utf8)
    }

    static func alertRules() throws -> [JSON] {
        let document = try YAML.parse(try text(alertsPath))
        return (document["groups"]?.arrayValue ?? []).flatMap { $0["rules"]?.arrayValue ?? [] }
    }

    static func promtool(_ arguments: [String]) async throws -> Subprocess.Result {
        let binary = "/usr/bin/promtool"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw InstallTestError("\(binary) is missing: install Debian's prometheus package (scripts/bootstrap.sh does)")
        }
        return try await Subprocess.run(binary, arguments, currentDirectory: packageRoot)
    }

    // MARK: Alerts

    @Test func alertRulesPassPromtoolCheck() async throws {
        let result = try await Self.promtool(["check", "rules", Self.alertsPath])
        #expect(result.status == 0, "promtool check rules:\n\(result.output)")
    }

    @Test func alertUnitTestsPass() async throws {
        let result = try await Self.promtool(["test", "rules", Self.alertTestsPath])
        #expect(result.status == 0, "promtool test rules:\n\(result.output)")
    }

    @Test func everyAlertHasATestThatFiresAndOneThatDoesNot() throws {
        let tests = try YAML.parse(try Self.text(Self.alertTestsPath))["tests"]?.arrayValue ?? []
        let cases = tests.flatMap { $0["alert_rule_test"]?.arrayValue ?? [] }
        let alerts = try Self.alertRules().compactMap { $0["alert"]?.stringValue }
        #expect(alerts.count >= 5)
        for alert in alerts {
            let mine = cases.filter { $0["alertname"]?.stringValue == alert }
            #expect(mine.contains { !($0["exp_alerts"]?.arrayValue ?? []).isEmpty }, "\(alert): no case where it fires")
            #expect(mine.contains { ($0["exp_alerts"]?.arrayValue ?? []).isEmpty }, "\(alert): no case where it stays quiet")
        }
    }

    @Test func everyAlertHasSeveritySummaryDescriptionAndARunbookInOperationsDoc() throws {
        let anchors = Self.markdownAnchors(try Self.text("docs/operations.md"))
        for rule in try Self.alertRules() {
            let name = rule["alert"]?.stringValue ?? "?"
            #expect(["warning", "critical"].contains(rule[at: "labels", "severity"]?.stringValue ?? ""), "\(name): severity")
            let summary = rule[at: "annotations", "summary"]?.stringValue ?? ""
            let description = rule[at: "annotations", "description"]?.stringValue ?? ""
            #expect(summary.count > 10, "\(name): summary")
            #expect(description.count > 10, "\(name): description")
            let runbook = rule[at: "annotations", "runbook_url"]?.stringValue ?? ""
            #expect(runbook.hasPrefix(Self.runbookPrefix), "\(name): runbook_url \(runbook) is not in docs/operations.md")
            let anchor = String(runbook.dropFirst(Self.runbookPrefix.count))
            #expect(anchors.contains(anchor), "\(name): docs/operations.md has no heading with anchor #\(anchor)")
        }
    }

    @Test func alertsReadOnlySeriesWeExportOrNameTheirSource() throws {
        let exported = try Self.exportedSeries()
        for rule in try Self.alertRules() {
            let expression = rule["expr"]?.stringValue ?? ""
            for metric in PromQLNames.metrics(in: expression) {
                #expect(exported.contains(metric) || Self.externalSeries[metric] != nil,
                        "\(rule["alert"]?.stringValue ?? "?") reads \(metric), which nothing in Sources exports")
            }
        }
    }

    /// GitHub's heading anchors (lower case, punctuation dropped, spaces to
    /// hyphens) and explicit `<a id="...">` anchors.
    static func markdownAnchors(_ markdown: String) -> Set<String> {
        var anchors = Set<String>()
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") {
                let title = line.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
                let slug = title.lowercased().compactMap { ch -> String? in
                    if ch.isLetter || ch.isNumber || ch == "-" || ch == "_" { return String(ch) }
                    return ch == " " ? "-" : nil
                }.joined()
                anchors.insert(slug)
            }
            var rest = Substring(line)
            while let start = rest.range(of: "<a id=\"") {
                let after = rest[start.upperBound...]
                guard let end = after.firstIndex(of: "\"") else { break }
                anchors.insert(String(after[..<end]))
                rest = after[end...]
            }
        }
        return anchors
    }

    // MARK: Dashboard

    /// Every PromQL expression of the dashboard: panel targets and the
    /// selectors inside template variables' `label_values(...)`.
    static func dashboardExpressions() throws -> [String] {
        let dashboard = try YAML.parse(try text(dashboardPath))
        var expressions: [String] = []
        func walk(_ value: JSON) {
            switch value {
            case .object(let object):
                for (key, child) in object {
                    if key == "expr", let expression = child.stringValue { expressions.append(expression) }
                    walk(child)
                }
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(dashboard["panels"] ?? .array([]))
        for variable in dashboard[at: "templating", "list"]?.arrayValue ?? [] {
            guard let query = variable["definition"]?.stringValue, query.hasPrefix("label_values(") else { continue }
            // label_values(<selector>, <label>): the selector is PromQL.
            let inner = query.dropFirst("label_values(".count).dropLast()
            if let comma = inner.lastIndex(of: ",") { expressions.append(String(inner[..<comma])) }
        }
        return expressions
    }

    /// Grafana's variables replaced by values PromQL accepts.
    static func substitutingGrafanaVariables(_ expression: String) -> String {
        expression
            .replacingOccurrences(of: "$__rate_interval", with: "5m")
            .replacingOccurrences(of: "$__interval", with: "1m")
            .replacingOccurrences(of: "$namespace", with: ".*")
            .replacingOccurrences(of: "$name", with: ".*")
    }

    @Test func dashboardExpressionsParse() async throws {
        let expressions = try Self.dashboardExpressions()
        #expect(expressions.count >= 10)
        for expression in expressions {
            #expect(!Self.substitutingGrafanaVariables(expression).contains("$"), "unknown Grafana variable in \(expression)")
        }
        // Written as recording rules so promtool parses each one.
        let rules: [JSON] = expressions.enumerated().map { index, expression in
            ["record": .string("dashboard:expression_\(index)"), "expr": .string(Self.substitutingGrafanaVariables(expression))]
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-rules-\(UUID().uuidString).yaml")
        try YAML.emit(["groups": [["name": "dashboard", "rules": .array(rules)]]]).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await Self.promtool(["check", "rules", file.path])
        #expect(result.status == 0, "promtool check rules on the dashboard's expressions:\n\(result.output)")
    }

    @Test func dashboardReadsOnlySeriesWeExport() throws {
        let exported = try Self.exportedSeries()
        var seen = Set<String>()
        for expression in try Self.dashboardExpressions() {
            for metric in PromQLNames.metrics(in: expression) {
                seen.insert(metric)
                #expect(exported.contains(metric), "the dashboard reads \(metric), which nothing in Sources exports: \(expression)")
            }
        }
        // The panels the dashboard promises.
        for metric in ["inference_request_duration_seconds_bucket", "operator_latency_threshold_seconds", "inference_request_duration_seconds_count",
                       "operator_desired_replicas", "operator_ready_replicas", "operator_scaling_decisions_total",
                       "operator_metrics_available", "inference_gpu_utilization_percent"] {
            #expect(seen.contains(metric), "no panel reads \(metric)")
        }
    }

    @Test func dashboardIsValidGrafanaJSONWithUniquePanelIDs() throws {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent(Self.dashboardPath))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["uid"] as? String == "inference-operator")
        let panels = object["panels"] as? [[String: Any]] ?? []
        let ids = panels.compactMap { $0["id"] as? Int }
        #expect(ids.count == panels.count && Set(ids).count == ids.count, "panel ids: \(ids)")
    }

    // MARK: What Sources export

    /// Series names exported by the operator and the inference server, read
    /// from their Swift sources: swift-metrics `Counter`/`Gauge`/`Timer` labels,
    /// swift-prometheus descriptors (`metricName` + `unitName`) and the
    /// operator's per-object gauge names (Sources/Operator/ObjectGauges.swift).
    /// Histograms (Timers, `make*Histogram`) export `_bucket`, `_sum` and `_count`.
    static func exportedSeries() throws -> Set<String> {
        var names = Set<String>()
        let histogramSuffixes = ["_bucket", "_sum", "_count"]
        let sources = packageRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        // Not `\b`: Unicode word boundaries do not split `Metrics.Timer`.
        let swiftMetrics = #/(?:^|[^A-Za-z0-9_])(Counter|Gauge|Timer|Recorder|Meter)\(label:\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"/#
        let descriptor = #/make(DurationHistogram|ValueHistogram|Gauge|Counter)\(\s*descriptor:\s*\.init\(metricName:\s*"([a-z_:][a-z0-9_:]*)",\s*unitName:\s*"([a-z0-9_]*)"/#
        let objectGauge = #/static let \w+ = "(operator_[a-z0-9_]+)"/#
        for file in files where !file.path.contains("/TestSupport/") && !file.path.contains("/TestAPIServer/") {
            let source = try String(contentsOf: file, encoding: .utf8)
            for match in source.matches(of: swiftMetrics) {
                let name = String(match.output.2)
                if match.output.1 == "Timer" { histogramSuffixes.forEach { names.insert(name + $0) } } else { names.insert(name) }
            }
            for match in source.matches(of: descriptor) {
                let name = [String(match.output.2), String(match.output.3)].filter { !$0.isEmpty }.joined(separator: "_")
                if match.output.1.hasSuffix("Histogram") { histogramSuffixes.forEach { names.insert(name + $0) } } else { names.insert(name) }
            }
            if file.lastPathComponent == "ObjectGauges.swift" {
                for match in source.matches(of: objectGauge) { names.insert(String(match.output.1)) }
            }
        }
        return names
    }

    @Test func exportedSeriesIncludeWhatTheServerAndOperatorRegister() throws {
        let exported = try Self.exportedSeries()
        for name in ["inference_request_duration_seconds_bucket", "inference_request_duration_seconds_count", "inference_gpu_utilization_percent",
                     "inference_queue_depth", "inference_batch_size_bucket", "operator_desired_replicas", "operator_scaling_decisions_total",
                     "controller_runtime_reconcile_errors_total", "operator_prometheus_read_duration_seconds_bucket",
                     "operator_metrics_available", "operator_latency_threshold_seconds", "operator_max_replicas", "operator_ready_replicas"] {
            #expect(exported.contains(name), "\(name) not found in Sources; found \(exported.sorted())")
        }
        #expect(!exported.contains("inference_gpu_utilization"), "a unit-suffixed gauge is exported with its unit")
    }

    @Test(arguments: [
        ("sum by (namespace, le) (rate(a_bucket{x=~\"y(z)\"}[5m]))", ["a_bucket"]),
        ("histogram_quantile(0.95, rate(a[1m])) > on (ns, svc) group_left (name) max by (ns) (b)", ["a", "b"]),
        ("(x == 0) and on (n) y unless ignoring (z) w", ["x", "y", "w"]),
        ("increase(c_total{container=\"warmup\", pod=~\".+-p\"}[15m]) > 0", ["c_total"]),
        ("sum without (instance) (m) or vector(0)", ["m"]),
    ])
    func promQLNamesFindsMetricsNotFunctionsLabelsOrKeywords(expression: String, metrics: [String]) {
        #expect(PromQLNames.metrics(in: expression) == Set(metrics))
    }
}

/// Metric names in a PromQL expression, by elimination: string literals,
/// label matchers (`{...}`), ranges (`[...]`), label lists after
/// by/without/on/ignoring/group_left/group_right, function calls and
/// keywords are removed; the identifiers left are metric names. Enough for
/// the rules and dashboard we write (no `__name__` matchers, no subqueries
/// with metric-named labels).
enum PromQLNames {
    static let keywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                                        "offset", "inf", "nan"]

    static func metrics(in expression: String) -> Set<String> {
        var text = expression.replacing(#/"(\\.|[^"\\])*"/#, with: "\"\"")
        text = text.replacing(#/\{[^}]*\}/#, with: " ")
        text = text.replacing(#/\[[^\]]*\]/#, with: " ")
        text = text.replacing(#/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/#, with: " ")
        var names = Set<String>()
        for match in text.matches(of: #/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/#) {
            let word = String(match.output.1)
            guard match.output.2 == nil, !keywords.contains(word.lowercased()) else { continue }
            names.insert(word)
        }
        return names
    }
}
