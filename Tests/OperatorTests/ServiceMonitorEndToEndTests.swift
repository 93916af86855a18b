import Foundation
import JSONValue
import KubeAPI
import KubeClient
@testable import Operator
import TestAPIServer
import TestSupport
import Testing

/// `--service-monitors`: the operator process renders one ServiceMonitor per
/// InferenceService where the cluster serves the kind, and runs without them
/// (saying so) where it does not.
@Suite struct ServiceMonitorEndToEndTests {
    @Test func discoveryAnswersWhetherTheClusterServesServiceMonitors() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        #expect(try await cluster.client.serves(ServiceMonitorResource.resourceType) == false)
        _ = try await cluster.client.create(.customResourceDefinitions, serviceMonitorCRD)
        let served = await eventually(timeout: .seconds(10)) {
            (try? await cluster.client.serves(ServiceMonitorResource.resourceType)) == true
        }
        #expect(served)
        #expect(try await cluster.client.serves(.deployments))
    }

    @Test func rendersAnOwnedServiceMonitorPerInferenceServiceWithTheGivenLabels() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        _ = try await cluster.client.create(.customResourceDefinitions, serviceMonitorCRD)
        try await cluster.createNamespace("ml")
        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: "http://127.0.0.1:1",
                                                 extra: ["--service-monitors", "--service-monitor-labels", "release=prometheus"])
        _ = try await cluster.client.create(inferenceServiceType, FaultInjectionTests.inferenceService(), namespace: "ml")

        var monitor: JSON?
        let created = await eventually(timeout: .seconds(30)) {
            monitor = try? await cluster.client.get(ServiceMonitorResource.resourceType, name: "demo-predictor", namespace: "ml")
            return monitor != nil
        }
        #expect(created, "no ServiceMonitor ml/demo-predictor:\n\(op.process.log.suffix(3000))")
        #expect(monitor?[path: "metadata", "labels", "release"] == "prometheus")
        #expect(monitor?[path: "metadata", "ownerReferences"]?[0]?["kind"] == "InferenceService")
        let service = try await cluster.client.get(.services, name: "demo-predictor", namespace: "ml")
        let selector = monitor?[path: "spec", "selector", "matchLabels"]?.objectValue ?? [:]
        let labels = service[path: "metadata", "labels"]?.objectValue ?? [:]
        #expect(!selector.isEmpty && selector.allSatisfy { labels[$0.0] == $0.1 }, "selects the predictor Service")

        // Applied once: the informer's copy satisfies the rendered one afterwards.
        let start = cluster.logCount
        try await Task.sleep(for: .seconds(4))
        let writes = cluster.operatorWrites(after: start).filter { $0.contains("/servicemonitors") }
        #expect(writes.isEmpty, "ServiceMonitor written again while nothing changed: \(writes)")
        _ = await op.process.stop()
    }

    @Test func withoutTheKindTheOperatorReconcilesAndSaysWhy() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        try await cluster.createNamespace("ml")
        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: "http://127.0.0.1:1", extra: ["--service-monitors"])
        _ = try await cluster.client.create(inferenceServiceType, FaultInjectionTests.inferenceService(), namespace: "ml")
        let reconciled = await eventually(timeout: .seconds(30)) {
            (try? await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")) != nil
        }
        #expect(reconciled, "\(op.process.log.suffix(3000))")
        #expect(op.process.log.contains("does not serve monitoring.coreos.com/v1 servicemonitors"), "\(op.process.log.suffix(3000))")
        #expect(!cluster.operatorWrites().contains { $0.contains("/servicemonitors") })
        _ = await op.process.stop()
    }
}
