/// Identifies one InferenceService in batched query results.
public struct ObjectKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }
    public var description: String { "\(namespace)/\(name)" }
    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// The Prometheus labels that name the InferenceService of a series.
/// Defaults `namespace` and `name`: the scrape configuration is expected to
/// copy the pod's namespace and its `serving.swiftinfer.io/name` label
/// into them (see docs/autoscaling.md).
public struct ObjectLabels: Sendable, Hashable, Codable {
    public var namespace: String
    public var name: String
    public init(namespace: String = "namespace", name: String = "name") {
        self.namespace = namespace
        self.name = name
    }
}

/// The PromQL the operator runs, built from metric names it assumes. The
/// inference server must expose (names shared with the server's issue):
/// - `inference_request_duration_seconds` — histogram of request latency
///   (`_bucket{le}`, `_count`, `_sum`), seconds;
/// - `inference_gpu_utilization_percent` — gauge, 0-100 per `gpu`, the
///   server's own GPU utilisation reading (NVML), used only where DCGM has
///   no series.
/// GPU utilisation comes first from NVIDIA's DCGM exporter,
/// `DCGM_FI_DEV_GPU_UTIL` (percent), mapped to the pod by `exported_pod` /
/// `exported_namespace` (exporter with pod mapping behind a ServiceMonitor)
/// or by `pod` / `namespace` (exporter scraped with honorLabels).
public struct SignalQueries: Sendable, Hashable, Codable {
    public var latencyHistogram: String
    public var gpuUtilizationGauge: String
    public var dcgmGPUUtilization: String
    /// Rate window of p95 and request rate. Default 1m: four samples at a
    /// 15 s scrape, the usual minimum for `rate`.
    public var rateWindow: String
    /// Default 0.95.
    public var quantile: Double
    public var labels: ObjectLabels
    /// Turns a pod name into its InferenceService name (fully anchored, as
    /// PromQL's label_replace). Default: Deployment pods are named
    /// `<deployment>-<replicaset hash>-<pod suffix>` and the Deployment is
    /// named after the InferenceService.
    public var podNameRegex: String

    public init(latencyHistogram: String = "inference_request_duration_seconds",
                gpuUtilizationGauge: String = "inference_gpu_utilization_percent",
                dcgmGPUUtilization: String = "DCGM_FI_DEV_GPU_UTIL",
                rateWindow: String = "1m", quantile: Double = 0.95, labels: ObjectLabels = ObjectLabels(),
                podNameRegex: String = "(.+)-[a-z0-9]+-[a-z0-9]+") {
        self.latencyHistogram = latencyHistogram
        self.gpuUtilizationGauge = gpuUtilizationGauge
        self.dcgmGPUUtilization = dcgmGPUUtilization
        self.rateWindow = rateWindow
        self.quantile = quantile
        self.labels = labels
        self.podNameRegex = podNameRegex
    }

    var groupBy: String { "\(labels.namespace), \(labels.name)" }

    /// Selector matching one object, or nothing for the batched form.
    func selector(_ key: ObjectKey?) -> String {
        guard let key else { return "" }
        return "{\(labels.namespace)=\"\(escapeLabelValue(key.namespace))\", \(labels.name)=\"\(escapeLabelValue(key.name))\"}"
    }

    /// p95 latency in seconds, grouped by object (nil key) or for one.
    public func p95Latency(for key: ObjectKey? = nil) -> String {
        "histogram_quantile(\(formatNumber(quantile)), sum by (le, \(groupBy)) (rate(\(latencyHistogram)_bucket\(selector(key))[\(rateWindow)])))"
    }

    /// Requests per second, from the histogram's count.
    public func requestRate(for key: ObjectKey? = nil) -> String {
        "sum by (\(groupBy)) (rate(\(latencyHistogram)_count\(selector(key))[\(rateWindow)]))"
    }

    /// GPU utilisation in percent for every object: DCGM by
    /// `exported_pod`, else DCGM by `pod`, else the server's own gauge.
    /// `or` keeps, per object, the first of these that has a series. There
    /// is no single-object form: the pod name is mapped to the object by
    /// `label_replace`, so the batched result is filtered instead.
    public func gpuUtilization() -> String {
        let ns = labels.namespace, name = labels.name
        let exported = "label_replace(label_replace(\(dcgmGPUUtilization){exported_pod!=\"\"}, \"\(ns)\", \"$1\", \"exported_namespace\", \"(.+)\"), \"\(name)\", \"$1\", \"exported_pod\", \"\(podNameRegex)\")"
        let byPod = "label_replace(\(dcgmGPUUtilization){pod!=\"\", exported_pod=\"\"}, \"\(name)\", \"$1\", \"pod\", \"\(podNameRegex)\")"
        let own = "avg by (\(groupBy)) (\(gpuUtilizationGauge))"
        return "(avg by (\(groupBy)) (\(exported))) or (avg by (\(groupBy)) (\(byPod))) or (\(own))"
    }
}

/// Escapes `\`, `"` and newlines inside a PromQL string literal.
func escapeLabelValue(_ value: String) -> String {
    var out = ""
    for ch in value {
        switch ch {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        default: out.append(ch)
        }
    }
    return out
}
