/// One reading of one signal, as the scaling loop got it from Prometheus.
///
/// The four states are kept apart on purpose: only `.value` carries a
/// number, so no failure can be read as "fast" or "idle" by accident.
public enum SignalValue: Sendable, Hashable, Codable {
    /// A finite number, or `+Inf` (e.g. every request above the highest
    /// histogram bucket: slower than we can measure, never fast).
    case value(Double)
    /// The series exists but the query yields NaN: no traffic in the window
    /// (histogram_quantile over a zero rate, or a ratio 0/0).
    case noData
    /// The query succeeded but returned no series for this object
    /// (metric not scraped yet, wrong labels, exporter not installed).
    case missing
    /// The query failed: Prometheus unreachable, timeout, `status: error`,
    /// or an answer we could not interpret (such as `-Inf`). Carries why.
    case unavailable(String)

    /// The number, only when there is one.
    public var number: Double? {
        if case .value(let v) = self { return v }
        return nil
    }

    /// True for `.missing` and `.unavailable`: we do not know the state of
    /// the service, as opposed to `.noData`, which says "no traffic".
    public var isFailure: Bool {
        switch self {
        case .missing, .unavailable: return true
        case .value, .noData: return false
        }
    }

    /// Short words for reasons and logs, e.g. `0.231`, `no data`, `missing`.
    public var summary: String {
        switch self {
        case .value(let v): return formatNumber(v)
        case .noData: return "no data"
        case .missing: return "missing"
        case .unavailable(let why): return "unavailable (\(why))"
        }
    }
}

/// The names of the signals the engine reads; used in reasons and in the
/// decision's list of signals it could not use.
public enum SignalName: String, Sendable, Hashable, Codable, CaseIterable {
    case p95Latency = "p95"
    case gpuUtilization = "gpuUtilization"
    case requestRate = "requestRate"
}

/// What the scaling loop knows about one InferenceService at one instant.
public struct Observation: Sendable, Hashable, Codable {
    /// p95 request latency in **seconds** (Prometheus' native unit).
    public var p95Latency: SignalValue
    /// GPU utilisation in **percent**, 0-100 (DCGM's native unit), averaged
    /// over the service's pods.
    public var gpuUtilization: SignalValue
    /// Requests per second over the whole service.
    public var requestRate: SignalValue
    /// Replicas the Deployment asks for (`spec.replicas`), i.e. including
    /// pods that are still starting.
    public var currentReplicas: Int
    /// Pods that pass their readiness probe (`status.readyReplicas`).
    /// `currentReplicas - readyReplicas` are "not ready": pending, pulling,
    /// loading or warming the model, or restarting.
    public var readyReplicas: Int

    public init(p95Latency: SignalValue, gpuUtilization: SignalValue, requestRate: SignalValue,
                currentReplicas: Int, readyReplicas: Int) {
        self.p95Latency = p95Latency
        self.gpuUtilization = gpuUtilization
        self.requestRate = requestRate
        self.currentReplicas = currentReplicas
        self.readyReplicas = readyReplicas
    }

    /// Replicas asked for but not (yet) ready; never negative (more ready
    /// than asked happens briefly during a scale-down).
    public var notReadyReplicas: Int { max(0, currentReplicas - readyReplicas) }

    public func signal(_ name: SignalName) -> SignalValue {
        switch name {
        case .p95Latency: return p95Latency
        case .gpuUtilization: return gpuUtilization
        case .requestRate: return requestRate
        }
    }
}

/// Formats a number for human-readable reasons: up to 3 decimals, no
/// trailing zeros, `+Inf` spelled as Prometheus does.
func formatNumber(_ v: Double) -> String {
    if v == .infinity { return "+Inf" }
    if v == -.infinity { return "-Inf" }
    if v.isNaN { return "NaN" }
    let rounded = (v * 1000).rounded() / 1000
    if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
    return String(rounded)
}
