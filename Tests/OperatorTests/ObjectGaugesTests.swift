import Autoscaling
import JSONValue
import KubeAPI
@testable import Operator
import ServingAPI
import Testing

/// The per-object gauges the chart's alerts and dashboard read
/// (`operator_latency_threshold_seconds`, `operator_max_replicas`,
/// `operator_metrics_available`, `operator_ready_replicas`).
@Suite struct ObjectGaugesTests {
    static func condition(_ status: ServingAPI.Condition.Status) -> ServingAPI.Condition {
        ServingAPI.Condition(type: ConditionType.metricsAvailable.rawValue, status: status,
                             lastTransitionTime: "2026-01-01T00:00:00Z", reason: "r", message: "m")
    }

    static func policy(latency: JSON?) throws -> ScalingPolicy {
        var rules: JSONObject = [:]
        if let latency { rules["latency"] = latency }
        let spec: JSON = [
            "model": ["name": "m", "uri": "file:///models/m.onnx"],
            "replicas": ["min": 2, "max": 7],
            "autoscaling": ["rules": .object(rules)],
        ]
        let object = InferenceServiceResource(metadata: ObjectMeta(name: "demo", namespace: "ml"), spec: spec)
        let service = try InferenceService.decodeValidated(object.document)
        return PolicyMapping.policy(for: service.spec, followFallback: false)
    }

    @Test func exportsTheThresholdInSecondsTheMaxAndAvailability() throws {
        let readings = ObjectGauges.afterEvaluation(policy: try Self.policy(latency: ["thresholdMs": 250]),
                                                    metricsAvailable: Self.condition(.true))
        #expect(readings.contains(.init(metric: "operator_latency_threshold_seconds", value: 0.25)))
        #expect(readings.contains(.init(metric: "operator_max_replicas", value: 7)))
        #expect(readings.contains(.init(metric: "operator_metrics_available", value: 1)))
    }

    @Test(arguments: [ServingAPI.Condition.Status.false, .unknown])
    func metricsAvailableIsZeroUnlessTheConditionIsTrue(_ status: ServingAPI.Condition.Status) throws {
        let readings = ObjectGauges.afterEvaluation(policy: try Self.policy(latency: nil), metricsAvailable: Self.condition(status))
        #expect(readings.contains(.init(metric: "operator_metrics_available", value: 0)))
    }

    @Test func noThresholdWithoutALatencyRule() throws {
        let readings = ObjectGauges.afterEvaluation(policy: try Self.policy(latency: ["enabled": false]),
                                                    metricsAvailable: Self.condition(.true))
        #expect(!readings.map(\.metric).contains("operator_latency_threshold_seconds"))
    }

    @Test func readyReplicasComeFromTheDeploymentAndAreZeroWithoutOne() {
        let deployment = Deployment(metadata: ObjectMeta(name: "demo-predictor", namespace: "ml"),
                                    spec: .init(replicas: 3), status: .init(replicas: 3, readyReplicas: 2))
        #expect(ObjectGauges.afterReconcile(deployment: deployment) == [.init(metric: "operator_ready_replicas", value: 2)])
        #expect(ObjectGauges.afterReconcile(deployment: nil) == [.init(metric: "operator_ready_replicas", value: 0)])
    }

    @Test func labelsNameTheObjectAndItsPredictorService() {
        let labels = ObjectGauges.labels(namespace: "ml", name: "demo", predictor: "demo-predictor")
        #expect(labels.map(\.0) == ["namespace", "name", "service"])
        #expect(labels.map(\.1) == ["ml", "demo", "demo-predictor"])
    }

    @Test func namesListEveryGauge() {
        #expect(Set(ObjectGauges.names) == ["operator_latency_threshold_seconds", "operator_max_replicas",
                                            "operator_metrics_available", "operator_ready_replicas"])
    }

    /// A deleted object's UID stays buried long enough for an in-flight reconcile
    /// or evaluation to finish, and is pruned afterwards so the set stays small.
    @Test func tombstonesHoldDeletedUIDsForTheirLifetimeThenGo() {
        var tombstones = ObjectGauges.Tombstones()
        let start = ContinuousClock.now
        tombstones.bury("uid-1", at: start)
        #expect(tombstones.contains("uid-1"))
        #expect(!tombstones.contains("uid-2"), "a re-created object (new UID) records again")
        tombstones.bury("uid-2", at: start + .seconds(599))
        #expect(tombstones.contains("uid-1") && tombstones.count == 2)
        tombstones.bury("uid-3", at: start + ObjectGauges.Tombstones.lifetime + .seconds(1))
        #expect(!tombstones.contains("uid-1"))
        #expect(tombstones.contains("uid-2") && tombstones.contains("uid-3") && tombstones.count == 2)
    }
}
