import Autoscaling
import KubeAPI
import Locking
import Metrics
import Rendering
import ServingAPI

/// Per-InferenceService gauges that the chart's alerts and Grafana dashboard
/// (charts/inference-operator/files/) need beside the server's own series:
/// facts only the operator knows (the object's latency threshold, its
/// replica bound, whether its signals could be read, its ready replicas).
///
/// Labels: `namespace`, `name` (the InferenceService) and `service` (its
/// predictor Service, the label the server's series carry), so PromQL joins
/// them to `inference_request_duration_seconds` with `on (namespace, service)`.
/// Readings are worked out by pure functions; `record` is the only IO.
enum ObjectGauges {
    /// One gauge value for one object.
    struct Reading: Equatable, Sendable {
        var metric: String
        var value: Double
    }

    /// `spec.autoscaling.rules.latency.thresholdMs`, in seconds (absent without a latency rule).
    static let latencyThreshold = "operator_latency_threshold_seconds"
    /// `spec.replicas.max`: the most replicas any rule may ask for.
    static let maxReplicas = "operator_max_replicas"
    /// 1 when the last evaluation could read every signal its rules use, else 0
    /// (the `MetricsAvailable` condition as a number).
    static let metricsAvailable = "operator_metrics_available"
    /// The predictor Deployment's `status.readyReplicas` (0 while none is ready or it does not exist yet).
    static let readyReplicas = "operator_ready_replicas"

    /// Every gauge name this type exports (tests cross-check the alert rules and dashboard against it).
    static let names = [latencyThreshold, maxReplicas, metricsAvailable, readyReplicas]

    /// The labels of one object's gauges.
    static func labels(namespace: String, name: String, predictor: String) -> [(String, String)] {
        [("namespace", namespace), ("name", name), ("service", predictor)]
    }

    /// What an evaluation of the scaling engine exports.
    static func afterEvaluation(policy: ScalingPolicy, metricsAvailable condition: ServingAPI.Condition) -> [Reading] {
        var readings = [
            Reading(metric: maxReplicas, value: Double(policy.maxReplicas)),
            Reading(metric: metricsAvailable, value: condition.status == .true ? 1 : 0),
        ]
        if let latency = policy.latency {
            readings.append(Reading(metric: latencyThreshold, value: latency.thresholdMilliseconds / 1000))
        }
        return readings
    }

    /// What a reconcile exports: the live Deployment's ready replicas.
    static func afterReconcile(deployment: Deployment?) -> [Reading] {
        [Reading(metric: readyReplicas, value: Double(deployment?.status?.readyReplicas ?? 0))]
    }

    /// The replicas the last evaluation asked for (labelled `namespace` and `name` only, as before `service` was added).
    static let desiredReplicas = "operator_desired_replicas"
    /// The replicas the last evaluation started from (labelled like `desiredReplicas`).
    static let currentReplicas = "operator_current_replicas"
    /// The scaling loop's older per-object gauges, labelled `namespace` and `name` only.
    static let decisionGauges = [desiredReplicas, currentReplicas]
    /// Decisions per object, by `rule` and `direction` (a counter, removed with the object like the gauges).
    static let decisions = "operator_scaling_decisions_total"

    static func decisionDimensions(rule: ScalingRule, direction: ScalingDirection, namespace: String, name: String) -> [(String, String)] {
        [("rule", rule.rawValue), ("direction", direction.rawValue), ("namespace", namespace), ("name", name)]
    }

    /// Counts one decision, unless the object (`uid`) was deleted.
    static func countDecision(rule: ScalingRule, direction: ScalingDirection, namespace: String, name: String, uid: String?) {
        forgotten.withLock { tombstones in
            if let uid, tombstones.contains(uid) { return }
            Counter(label: decisions, dimensions: decisionDimensions(rule: rule, direction: direction, namespace: namespace, name: name))
                .increment()
        }
    }

    /// Removes a deleted object's gauges, so alerts and panels about it end with
    /// it instead of repeating its last values until the operator restarts.
    /// The object's UID is remembered for a while: a reconcile or evaluation
    /// that read the object before it was deleted, and finishes after this,
    /// must not bring its gauges back (`record` skips a forgotten UID).
    static func forget(namespace: String, name: String, predictor: String, uid: String?,
                       now: ContinuousClock.Instant = .now) {
        forgotten.withLock { tombstones in
            if let uid { tombstones.bury(uid, at: now) }
            for metric in names {
                Gauge(label: metric, dimensions: labels(namespace: namespace, name: name, predictor: predictor)).destroy()
            }
            for metric in decisionGauges {
                Gauge(label: metric, dimensions: [("namespace", namespace), ("name", name)]).destroy()
            }
            for rule in ScalingRule.allCases {
                for direction in ScalingDirection.allCases {
                    Counter(label: decisions, dimensions: decisionDimensions(rule: rule, direction: direction, namespace: namespace, name: name))
                        .destroy()
                }
            }
        }
    }

    /// Sets the gauges through swift-metrics (the Prometheus factory in the
    /// operator binary), unless the object they describe (`uid`) was deleted.
    /// Checked and written under the same lock as `forget`, so the two cannot interleave.
    static func record(_ readings: [Reading], labels: [(String, String)], uid: String?) {
        forgotten.withLock { tombstones in
            if let uid, tombstones.contains(uid) { return }
            for reading in readings {
                Gauge(label: reading.metric, dimensions: labels).record(reading.value)
            }
        }
    }

    /// Removes one object's gauges; `deleted` also keeps its UID from recording again.
    static func forget(_ object: InferenceServiceResource, deleted: Bool) {
        let name = object.metadata.name ?? ""
        forget(namespace: object.metadata.namespace ?? "default", name: name,
               predictor: PredictorRenderer.name(forObjectNamed: name), uid: deleted ? object.metadata.uid : nil)
    }

    private static let forgotten = Locked(Tombstones())

    /// UIDs of deleted objects, each kept for `lifetime` (far longer than any
    /// reconcile or evaluation runs) so the set stays small on a busy cluster.
    struct Tombstones {
        static let lifetime: Duration = .seconds(600)
        private var buried: [String: ContinuousClock.Instant] = [:]

        mutating func bury(_ uid: String, at now: ContinuousClock.Instant) {
            buried = buried.filter { now - $0.value < Self.lifetime }
            buried[uid] = now
        }

        func contains(_ uid: String) -> Bool { buried[uid] != nil }

        var count: Int { buried.count }
    }
}
