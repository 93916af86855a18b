@testable import ControllerRuntime
import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Locking
import Logging
@testable import Operator
import Testing

/// The in-flight hold of `ScalingLoop.evaluate`: while the change last
/// decided (the record's desired replicas) is not on the Deployment yet, the
/// loop decides nothing new, so a failed or queued apply is never composed
/// with a second decision. Once the Deployment carries it, evaluation resumes.
/// Prometheus is unreachable here: an evaluation that runs records
/// "MetricsUnavailable"; a held one records only the time.
@Suite struct ScalingLoopHoldTests {
    @Test func holdsWhileTheDecidedChangeIsNotOnTheDeploymentAndResumesOnceItIs() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        try await cluster.createNamespace("ml")
        let services = Store<InferenceServiceResource>()
        let spec: JSON = [
            "model": ["name": "m", "uri": "file:///models/m.onnx"],
            "replicas": ["min": 2, "max": 10],
            "autoscaling": ["mode": "Active", "intervalSeconds": 15],
        ]
        _ = services.upsert(InferenceServiceResource(metadata: ObjectMeta(name: "demo", namespace: "ml"), spec: spec))
        let deployments = Store<Deployment>()
        func deployment(replicas: Int32) -> Deployment {
            Deployment(metadata: ObjectMeta(name: "demo-predictor", namespace: "ml"),
                       spec: .init(replicas: replicas), status: .init(replicas: replicas, readyReplicas: replicas))
        }
        _ = deployments.upsert(deployment(replicas: 4))
        let records = ScalingRecords()
        await records.update("ml/demo") { $0.desiredReplicas = 6 }
        let now = Locked(1_000_000.0)
        let logger = Logger(label: "test")
        let loop = ScalingLoop(
            configuration: .init(defaultPrometheusURL: "http://127.0.0.1:9", prometheusTimeout: .seconds(2)),
            transport: try CurlTransport(), services: services, deployments: deployments, records: records,
            recorder: EventRecorder(client: cluster.client, configuration: .init(reportingController: "test", reportingInstance: "test"),
                                    logger: logger),
            wallClock: { Date(timeIntervalSince1970: now.withLock { $0 }) }, logger: logger) { _ in }

        _ = await loop.evaluateDue()
        let held = try #require(await records.entry("ml/demo"))
        #expect(held.lastEvaluatedAt == 1_000_000, "the evaluation ran and was recorded")
        #expect(held.metricsAvailable == nil && held.scalingActive == nil, "but decided nothing: 6 is not on the Deployment (4)")
        #expect(held.desiredReplicas == 6)
        #expect(held.pending.isEmpty)

        // The reconciler applies 6; the next interval evaluates again.
        _ = deployments.upsert(deployment(replicas: 6))
        now.withLock { $0 += 15 }
        _ = await loop.evaluateDue()
        let resumed = try #require(await records.entry("ml/demo"))
        #expect(resumed.lastEvaluatedAt == 1_000_015)
        #expect(resumed.metricsAvailable?.reason == "MetricsUnavailable", "\(String(describing: resumed.metricsAvailable))")
        #expect(resumed.desiredReplicas == 6, "missing signals hold the replicas")
    }
}
