@testable import ControllerRuntime
import Foundation
import JSONValue
import KubeAPI
import KubeClient
import Logging
@testable import Operator
import TestAPIServer
import Testing

/// The reconciler in process against the test API server, for the races a
/// process-level test cannot time: the object deleted between the cache read
/// and the status write.
@Suite struct ReconcilerTests {
    static func reconciler(_ cluster: Cluster, services: Store<InferenceServiceResource>) -> Reconciler {
        let logger = Logger(label: "reconciler-test")
        let recorder = EventRecorder(client: cluster.client, configuration: .init(reportingController: "test", reportingInstance: "test"),
                                     logger: logger)
        return Reconciler(client: cluster.client, services: services, deployments: Store<Deployment>(),
                          serviceObjects: Store<KubeAPI.Service>(), records: ScalingRecords(), recorder: recorder, logger: logger)
    }

    @Test func anObjectDeletedAfterTheCacheReadIsGoneNotAnErrorAndNothingIsCreatedForIt() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        try await cluster.createNamespace("ml")
        var object = FaultInjectionTests.inferenceService()
        object["metadata"] = ["name": "gone", "namespace": "ml"]
        _ = try await cluster.client.create(inferenceServiceType, object, namespace: "ml")
        let services = Store<InferenceServiceResource>()
        _ = services.upsert(try await cluster.client.get(InferenceServiceResource.self, name: "gone", namespace: "ml"))
        try await cluster.client.delete(inferenceServiceType, name: "gone", namespace: "ml")

        let outcome = try await Self.reconciler(cluster, services: services).reconcileReturningOutcome("ml/gone")
        #expect(outcome.objectGone)
        #expect(!outcome.appliedDeployment && !outcome.appliedService && !outcome.wroteStatus)
        let deployments = try await cluster.client.list(.deployments, namespace: "ml")
        #expect(deployments["items"]?.arrayValue?.count == 0, "a Deployment was created for a deleted InferenceService")
    }

    @Test func aLiveObjectGetsItsDeploymentServiceAndStatus() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        try await cluster.createNamespace("ml")
        _ = try await cluster.client.create(inferenceServiceType, FaultInjectionTests.inferenceService(), namespace: "ml")
        let services = Store<InferenceServiceResource>()
        _ = services.upsert(try await cluster.client.get(InferenceServiceResource.self, name: "demo", namespace: "ml"))

        let outcome = try await Self.reconciler(cluster, services: services).reconcileReturningOutcome("ml/demo")
        #expect(!outcome.objectGone)
        #expect(outcome.appliedDeployment && outcome.appliedService && outcome.wroteStatus)
        let deployment = try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")
        #expect(deployment["spec"]?["replicas"] == 2)
    }
}
