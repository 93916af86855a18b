import Foundation
import JSONValue
import TestSupport
import Testing

/// `ModelFetchFailed` end to end: the operator as a process, the test API
/// server, and `scripts/local_node.py` running each pod's real `warmup` init
/// container (restarted with back-off when it fails, as the kubelet does) and
/// writing the Pod's status with the termination message. A missing model
/// file and an unreachable endpoint each set the condition with the fetcher's
/// own message, credentials removed, and leave no model file behind; a fixed
/// URI clears it.
@Suite(.serialized, .disabled(if: !InferenceServerProcess.available, "skipped: needs the venv and the built server (make test)"))
struct ModelFetchEndToEndTests {
    static func inferenceService(_ name: String, uri: String) -> JSON {
        [
            "apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
            "metadata": ["name": .string(name), "namespace": "ml"],
            "spec": [
                "model": ["name": "scale", "uri": .string(uri)],
                "replicas": ["min": 1, "max": 2, "manual": 1],
                "autoscaling": ["mode": "Disabled", "intervalSeconds": 5],
                "warmup": ["enabled": false],
            ],
        ]
    }

    @Test func aModelThatCannotBeFetchedSetsTheConditionWithItsReasonAndNoPartialFile() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        try await cluster.createNamespace("ml")
        let workspace = try await ModelWorkspace.make("fetch")
        defer { workspace.remove() }
        let work = workspace.root
        let models = workspace.models
        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: "http://127.0.0.1:9")
        let node = try ManagedProcess(InferenceServerProcess.python, [
            packageRoot.appendingPathComponent("scripts/local_node.py").path, "--api", "http://127.0.0.1:\(cluster.server.port)",
            "--namespace", "ml", "--server", InferenceServerProcess.bin + "/inference-server",
            "--targets", work.appendingPathComponent("targets.json").path, "--work-dir", work.appendingPathComponent("node").path,
            "--server-flag=--http-host", "--server-flag=127.0.0.1", "--server-flag=--intra-op-threads", "--server-flag=1",
        ], logName: "local-node")

        let missing = "file://\(work.path)/nowhere/model.onnx"
        let port = try freePort()  // nothing listens there
        _ = try await cluster.client.create(inferenceServiceType, Self.inferenceService("missing", uri: missing))
        _ = try await cluster.client.create(inferenceServiceType, Self.inferenceService(
            "unreachable", uri: "http://modeluser:s3cr3t-key@127.0.0.1:\(port)/models/model.onnx?X-Amz-Signature=deadbeef"))

        func condition(_ name: String) async -> JSON? {
            let object = try? await cluster.client.get(inferenceServiceType, name: name, namespace: "ml")
            return object?[path: "status", "conditions"]?.arrayValue?.first { $0["type"] == "ModelFetchFailed" }
        }
        func context() async -> Comment {
            let pods = (try? await cluster.client.list(.pods, namespace: "ml"))?["items"]?.prettySerialized() ?? "?"
            return "pods:\n\(pods.suffix(3000))\noperator log:\n\(op.process.log.suffix(1500))\nnode log:\n\(node.log.suffix(1500))"
        }

        for name in ["missing", "unreachable"] {
            let set = await eventually(timeout: .seconds(60)) { await condition(name)?["status"] == "True" }
            let why = await context()
            #expect(set, "\(name): \(why)")
        }
        let missingMessage = await condition("missing")?["message"]?.stringValue ?? ""
        let unreachableMessage = await condition("unreachable")?["message"]?.stringValue ?? ""
        #expect(missingMessage.contains("init container warmup exited") && missingMessage.contains("nowhere/model.onnx"), "\(missingMessage)")
        print("ModelFetchFailed (missing): \(missingMessage)\nModelFetchFailed (unreachable): \(unreachableMessage)")
        let missingReason = await condition("missing")?["reason"]
        #expect(missingReason == "InitContainerFailed")
        #expect(unreachableMessage.contains("127.0.0.1:\(port)/models/model.onnx"), "names the endpoint: \(unreachableMessage)")
        #expect(!unreachableMessage.contains("s3cr3t") && !unreachableMessage.contains("modeluser") && !unreachableMessage.contains("deadbeef"),
                "no credentials: \(unreachableMessage)")

        // The init container was restarted (a crash loop of the fetch, never of the server), and no
        // pod directory holds a model the server could load (a resumable download may keep its
        // partial file under another name; it is never renamed into place unverified).
        let restarted = await eventually(timeout: .seconds(30)) {
            await condition("missing")?["message"]?.stringValue?.contains("restarts)") == true
        }
        let restartedCondition = await condition("missing") ?? [:]
        #expect(restarted, "\(restartedCondition)")
        let leftovers = FileManager.default.enumerator(atPath: work.appendingPathComponent("node/pods").path)?
            .compactMap { $0 as? String }.filter { $0.hasSuffix("/model.onnx") || $0.hasSuffix("/model.optimized.onnx") } ?? []
        #expect(leftovers.isEmpty, "files in pod directories: \(leftovers)")

        // A URI that works: the new pod fetches the model and the condition clears.
        _ = try await cluster.client.patch(inferenceServiceType, name: "missing", namespace: "ml",
                                           .merge(["spec": ["model": ["uri": .string("file://\(models.path)/scale.onnx")]]]))
        let cleared = await eventually(timeout: .seconds(60)) {
            let now = await condition("missing")
            return now?["status"] == "False" && now?["reason"] == "ModelFetched"
        }
        let clearedWhy = await context()
        #expect(cleared, "\(clearedWhy)")
        #expect(op.process.isRunning)
        await node.stop()
        await op.process.stop()
        try await cluster.server.shutdown()
    }

    /// An unset batch size, end to end: the first pod's real `warmup` measures
    /// the batcher and writes it as its termination message (the node keeps the
    /// file the kubelet would mount), the operator records it in
    /// `status.measuredBatching` when that rollout has finished, and the pods
    /// that follow only fetch and serve the recorded batcher.
    @Test func aMeasuringRolloutRecordsTheBatcherAndThePodsThatFollowServeIt() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        try await cluster.createNamespace("ml")
        let workspace = try await ModelWorkspace.make("measure")
        defer { workspace.remove() }
        let work = workspace.root
        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: "http://127.0.0.1:9")
        let node = try ManagedProcess(InferenceServerProcess.python, [
            packageRoot.appendingPathComponent("scripts/local_node.py").path, "--api", "http://127.0.0.1:\(cluster.server.port)",
            "--namespace", "ml", "--server", InferenceServerProcess.bin + "/inference-server",
            "--targets", work.appendingPathComponent("targets.json").path, "--work-dir", work.appendingPathComponent("node").path,
            "--server-flag=--http-host", "--server-flag=127.0.0.1",
        ], logName: "local-node")
        var object = Self.inferenceService("measured", uri: "file://\(workspace.models.path)/scale.onnx")
        object["spec"]?["warmup"] = ["enabled": true, "probeDimensions": [4]]
        _ = try await cluster.client.create(inferenceServiceType, object)

        func status() async -> JSON? { try? await cluster.client.get(inferenceServiceType, name: "measured", namespace: "ml")["status"] }
        func template() async -> JSON? {
            try? await cluster.client.get(.deployments, name: "measured-predictor", namespace: "ml")[path: "spec", "template"]
        }
        func context() async -> Comment {
            let pods = (try? await cluster.client.list(.pods, namespace: "ml"))?["items"]?.prettySerialized() ?? "?"
            let now = await status()?.prettySerialized() ?? "?"
            return "status:\n\(now.suffix(2000))\npods:\n\(pods.suffix(3000))\noperator log:\n\(op.process.log.suffix(1500))\nnode log:\n\(node.log.suffix(2000))"
        }

        // The first pods measure: warmup label, the key annotation, no batch flags for serve.
        let measuring = await eventually(timeout: .seconds(30)) {
            await template()?[path: "metadata", "annotations", "serving.swiftinfer.io/batching-measurement"] != nil
        }
        let first = await template()
        let firstWhy = await context()
        #expect(measuring && first?[path: "metadata", "labels", "inference.warmup"] == "true", "\(firstWhy)")
        let firstInit = first?[path: "spec", "initContainers"]?[0]?["args"]?.arrayValue ?? []
        #expect(firstInit.contains("--termination-message") && firstInit.contains("--probe-dimensions"), "\(firstInit)")
        #expect(first?[path: "spec", "containers"]?[0]?["args"]?.arrayValue?.contains("--max-batch-size") == false)

        let recorded = await eventually(timeout: .seconds(120)) { await status()?[path: "measuredBatching", "maxBatchSize"] != nil }
        let recordedWhy = await context()
        #expect(recorded, "\(recordedWhy)")
        let measured = await status()?["measuredBatching"] ?? [:]
        let size = try #require(measured["maxBatchSize"]?.intValue)
        print("status.measuredBatching: \(measured.prettySerialized())")
        #expect((1...32).contains(size), "\(measured)")
        #expect(measured["note"]?.stringValue?.hasPrefix("measured by pod measured-predictor-") == true, "\(measured)")
        let warmed = await status()?["conditions"]?.arrayValue?.first { $0["type"] == "WarmupComplete" }
        #expect(warmed?["status"] == "True" && warmed?["message"]?.stringValue?.contains("batcher max batch \(size)") == true, "\(warmed ?? [:])")

        // An Event says so (events.k8s.io/v1: the note field).
        let events = (try await cluster.client.list(.events, namespace: "ml")["items"]?.arrayValue ?? [])
        let measuredEvent = events.first { $0["reason"] == "BatchingMeasured" }
        #expect(measuredEvent?["note"]?.stringValue?.contains("the pods that follow run max batch \(size)") == true,
                "\(events.map { $0["reason"]?.stringValue ?? "?" })")

        // The pods that follow fetch only and run the recorded batcher; they become ready.
        var expected: [JSON] = ["--max-batch-size", .string(String(size))]
        if let batches = measured["concurrentBatches"]?.intValue { expected += ["--max-concurrent-batches", .string(String(batches))] }
        if let threads = measured["intraOpThreads"]?.intValue { expected += ["--intra-op-threads", .string(String(threads))] }
        let following = await eventually(timeout: .seconds(30)) {
            let args = await template()?[path: "spec", "containers"]?[0]?["args"]?.arrayValue ?? []
            guard let at = args.firstIndex(of: "--max-batch-size") else { return false }
            return Array(args[at..<min(args.count, at + expected.count)]) == expected
        }
        let followingWhy = await context()
        #expect(following, "\(followingWhy)")
        let next = await template()
        #expect(next?[path: "metadata", "labels", "inference.warmup"] == nil)
        #expect(next?[path: "spec", "initContainers"]?[0]?["args"]?.arrayValue?.last == "--fetch-only")
        let servesIt = await eventually(timeout: .seconds(90)) {
            let deployment = try? await cluster.client.get(.deployments, name: "measured-predictor", namespace: "ml")
            let pods = (try? await cluster.client.list(.pods, namespace: "ml"))?["items"]?.arrayValue ?? []
            let fetching = pods.filter { pod in
                pod[path: "metadata", "annotations", "serving.swiftinfer.io/batching-measurement"] == nil
                    && pod[path: "status", "conditions"]?.arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true
            }
            return deployment?[path: "status", "updatedReplicas"]?.intValue == 1 && !fetching.isEmpty
        }
        let servesWhy = await context()
        #expect(servesIt, "\(servesWhy)")
        #expect(op.process.isRunning)
        await node.stop()
        await op.process.stop()
        try await cluster.server.shutdown()
    }
}
