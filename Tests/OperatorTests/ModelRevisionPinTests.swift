@testable import ControllerRuntime
import Foundation
import JSONValue
import KubeAPI
import KubeClient
import Locking
import Logging
import ModelFetch
@testable import Operator
import ServingAPI
import TestAPIServer
import Testing

/// Pinning `hf://` models to a commit: the pure plan, and the reconciler in
/// process against the test API server with a stand-in for the Hub's answer.
@Suite struct ModelRevisionPinTests {
    static let commit = String(repeating: "ab", count: 20)
    static let other = String(repeating: "cd", count: 20)

    @Test func onlyAMovingHubRevisionIsPinnedAndAPinHoldsForItsOwnSource() {
        #expect(ModelRevisionPin.plan(uri: "s3://b/model.onnx", endpoint: nil, refresh: nil, recorded: nil) == .none)
        #expect(ModelRevisionPin.plan(uri: "hf://org/repo@\(Self.commit)", endpoint: nil, refresh: nil, recorded: nil) == .none)
        #expect(ModelRevisionPin.plan(uri: "hf://org/repo", endpoint: nil, refresh: nil, recorded: nil) == .resolve)
        let pin = ModelStatus(uri: "hf://org/repo@v1", endpoint: "http://mirror", revision: Self.commit, refresh: "1")
        #expect(ModelRevisionPin.plan(uri: "hf://org/repo@v1", endpoint: "http://mirror", refresh: "1", recorded: pin) == .keep(pin))
        #expect(ModelRevisionPin.plan(uri: "hf://org/repo@v2", endpoint: "http://mirror", refresh: "1", recorded: pin) == .resolve)
        #expect(ModelRevisionPin.plan(uri: "hf://org/repo@v1", endpoint: nil, refresh: "1", recorded: pin) == .resolve)
        #expect(ModelRevisionPin.plan(uri: "hf://org/repo@v1", endpoint: "http://mirror", refresh: "2", recorded: pin) == .resolve)
        #expect(ModelRevisionPin.pinnedURI("hf://org/repo/onnx/m.onnx@feature/x", commit: Self.commit)
            == "hf://org/repo/onnx/m.onnx@\(Self.commit)")
        #expect(ModelRevisionPin.pinnedURI("hf://org/repo", commit: Self.commit) == "hf://org/repo/model.onnx@\(Self.commit)")
    }

    final class Hub: Sendable {
        let answers = Locked<[Result<String?, ModelFetchError>]>([])
        let asked = Locked<[(uri: String, environment: [String: String])]>([])
    }

    static func object(uri: String, refresh: String? = nil) -> JSON {
        var object = FaultInjectionTests.inferenceService()
        var metadata: JSONObject = ["name": "demo", "namespace": "ml"]
        if let refresh { metadata["annotations"] = [ModelRevisionPin.refreshAnnotation: .string(refresh)] }
        object["metadata"] = .object(metadata)
        object["spec"]?["model"] = ["name": "demo", "uri": .string(uri), "storage": ["endpoint": "http://hub.local", "credentialsSecretRef": ["name": "hub"]]]
        return object
    }

    func reconcile(_ cluster: Cluster, resolver: HubRevisionResolver) async throws -> JSON {
        let services = Store<InferenceServiceResource>()
        _ = services.upsert(try await cluster.client.get(InferenceServiceResource.self, name: "demo", namespace: "ml"))
        let deployments = Store<Deployment>()
        if let live = try? await cluster.client.get(Deployment.self, name: "demo-predictor", namespace: "ml") { _ = deployments.upsert(live) }
        let logger = Logger(label: "pin-test")
        let recorder = EventRecorder(client: cluster.client, configuration: .init(reportingController: "test", reportingInstance: "test"),
                                     logger: logger)
        let reconciler = Reconciler(client: cluster.client, services: services, deployments: deployments,
                                    serviceObjects: Store<KubeAPI.Service>(), hubRevisions: resolver, records: ScalingRecords(),
                                    recorder: recorder, logger: logger)
        _ = try await reconciler.reconcileReturningOutcome("ml/demo")
        return try await cluster.client.get(inferenceServiceType, name: "demo", namespace: "ml")
    }

    func modelArguments(_ cluster: Cluster) async throws -> [String] {
        let deployment = try await cluster.client.get(.deployments, name: "demo-predictor", namespace: "ml")
        let template = deployment[path: "spec", "template", "spec"]
        let containers = (template?["initContainers"]?.arrayValue ?? []) + (template?["containers"]?.arrayValue ?? [])
        return containers.flatMap { container -> [String] in
            let args = container["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return zip(args, args.dropFirst()).filter { $0.0 == "--model" && $0.1.hasPrefix("hf://") }.map(\.1)
        }
    }

    @Test func theReconcilerPinsOnceRendersTheCommitAndAsksAgainOnlyWhenTold() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        try await cluster.createNamespace("ml")
        _ = try await cluster.client.create(.secrets, ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "hub", "namespace": "ml"],
                                                      "data": ["token": .string(Data("hf_secret\n".utf8).base64EncodedString())]], namespace: "ml")
        _ = try await cluster.client.create(inferenceServiceType, Self.object(uri: "hf://org/repo@main"), namespace: "ml")
        let hub = Hub()
        hub.answers.withLock { $0 = [.success(Self.commit), .success(Self.other)] }
        let resolver = HubRevisionResolver(
            readSecret: { (namespace: String, name: String) async throws(KubeAPIError) -> JSON in
                try await cluster.client.get(.secrets, name: name, namespace: namespace)
            },
            askHub: { uri, environment throws(ModelFetchError) in
                hub.asked.withLock { $0.append((uri, environment)) }
                return try hub.answers.withLock { $0.removeFirst() }.get()
            })

        var live = try await reconcile(cluster, resolver: resolver)
        #expect(live[path: "status", "model", "revision"] == .string(Self.commit))
        #expect(live[path: "status", "model", "uri"] == "hf://org/repo@main")
        let asked = hub.asked.withLock { $0 }
        #expect(asked.count == 1 && asked.first?.uri == "hf://org/repo@main")
        #expect(asked.first?.environment == ["MODEL_STORAGE_ENDPOINT": "http://hub.local", "HF_TOKEN": "hf_secret"])
        var arguments = try await modelArguments(cluster)
        #expect(!arguments.isEmpty && arguments.allSatisfy { $0 == "hf://org/repo/model.onnx@\(Self.commit)" }, "\(arguments)")

        // Reconciled again: the pin in status holds, the Hub is not asked.
        live = try await reconcile(cluster, resolver: resolver)
        #expect(hub.asked.withLock { $0.count } == 1)
        #expect(live[path: "status", "model", "revision"] == .string(Self.commit))

        // The refresh annotation asks again and rolls the pods to the branch's new head.
        _ = try await cluster.client.patch(inferenceServiceType, name: "demo", namespace: "ml",
                                           .merge(["metadata": ["annotations": .object(JSONObject([(ModelRevisionPin.refreshAnnotation, JSON.string("1"))]))]]))
        live = try await reconcile(cluster, resolver: resolver)
        #expect(hub.asked.withLock { $0.count } == 2)
        #expect(live[path: "status", "model", "revision"] == .string(Self.other))
        #expect(live[path: "status", "model", "refresh"] == "1")
        arguments = try await modelArguments(cluster)
        #expect(!arguments.isEmpty && arguments.allSatisfy { $0.hasSuffix("@\(Self.other)") }, "\(arguments)")

        // A commit in the URI needs no pin: status.model goes.
        _ = try await cluster.client.patch(inferenceServiceType, name: "demo", namespace: "ml",
                                           .merge(["spec": ["model": ["uri": .string("hf://org/repo@\(Self.commit)")]]]))
        live = try await reconcile(cluster, resolver: resolver)
        #expect(live[path: "status", "model"] == nil, "\(String(describing: live["status"]))")
        #expect(hub.asked.withLock { $0.count } == 2)
    }

    @Test func aHubThatCannotAnswerLeavesTheRevisionAsWrittenSaysWhyOnceAndIsAskedAgainLater() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        defer { Task { try? await cluster.server.shutdown() } }
        try await cluster.createNamespace("ml")
        _ = try await cluster.client.create(inferenceServiceType, Self.object(uri: "hf://org/repo@main"), namespace: "ml")
        let clock = Locked<Double>(1000)
        let hub = Hub()
        let resolver = HubRevisionResolver(
            readSecret: { (namespace: String, name: String) async throws(KubeAPIError) -> JSON in
                try await cluster.client.get(.secrets, name: name, namespace: namespace)
            },
            askHub: { uri, environment throws(ModelFetchError) in
                hub.asked.withLock { $0.append((uri, environment)) }
                throw ModelFetchError.transport(source: uri, detail: "connection refused")
            },
            retryAfter: 60, now: { clock.withLock { $0 } })

        // No Secret "hub": the Hub is not asked; the pods get the branch as written.
        var live = try await reconcile(cluster, resolver: resolver)
        #expect(live[path: "status", "model"] == nil)
        #expect(hub.asked.withLock { $0.count } == 0)
        let arguments = try await modelArguments(cluster)
        #expect(!arguments.isEmpty && arguments.allSatisfy { $0 == "hf://org/repo/model.onnx@main" }, "\(arguments)")
        var events = try await cluster.client.list(.events, namespace: "ml")
        let warnings = events["items"]?.arrayValue?.filter { $0["reason"] == "ModelRevisionUnresolved" } ?? []
        #expect(warnings.count == 1)
        #expect(warnings.first?["note"]?.stringValue?.contains("Secret ml/hub not found") == true, "\(warnings)")

        // Within retryAfter the remembered failure answers (no new Event); after it, asked again.
        _ = try await cluster.client.create(.secrets, ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "hub", "namespace": "ml"],
                                                      "data": ["token": .string(Data("t".utf8).base64EncodedString())]], namespace: "ml")
        live = try await reconcile(cluster, resolver: resolver)
        #expect(hub.asked.withLock { $0.count } == 0)
        clock.withLock { $0 += 61 }
        live = try await reconcile(cluster, resolver: resolver)
        #expect(hub.asked.withLock { $0.count } == 1)
        #expect(live[path: "status", "model"] == nil)
        events = try await cluster.client.list(.events, namespace: "ml")
        let all = events["items"]?.arrayValue?.filter { $0["reason"] == "ModelRevisionUnresolved" } ?? []
        #expect(all.contains { $0["note"]?.stringValue?.contains("connection refused") == true }, "\(all)")
    }
}
