import JSONValue
import Rendering
import ServingAPI
import Testing

@Suite struct WarmupTests {
    /// Each case changes the spec after pods were warmed for the GPU spec,
    /// and says whether the new pods must warm again.
    @Test(arguments: [
        ("image tag changes", { @Sendable (s: inout InferenceServiceSpec) in s.image = "ghcr.io/swiftinfer/inference-server:0.2.0" }, true),
        ("image pinned by digest", { @Sendable (s: inout InferenceServiceSpec) in s.image = "ghcr.io/swiftinfer/inference-server@sha256:aa" }, true),
        ("GPU model changes in the node selector", { @Sendable (s: inout InferenceServiceSpec) in s.nodeSelector["nvidia.com/gpu.product"] = "NVIDIA-H100-80GB-HBM3" }, true),
        ("GPU model label removed", { @Sendable (s: inout InferenceServiceSpec) in s.nodeSelector["nvidia.com/gpu.product"] = nil }, true),
        ("GPUs removed (CPU now)", { @Sendable (s: inout InferenceServiceSpec) in s.resources.gpu = 0 }, true),
        ("GPU count changes, same model", { @Sendable (s: inout InferenceServiceSpec) in s.resources.gpu = 2 }, false),
        ("replica bounds change", { @Sendable (s: inout InferenceServiceSpec) in s.replicas.max = 16 }, false),
        ("queue delay changes", { @Sendable (s: inout InferenceServiceSpec) in s.batching.maxQueueDelayMs = 5 }, false),
        ("unrelated node label changes", { @Sendable (s: inout InferenceServiceSpec) in s.nodeSelector["kubernetes.io/arch"] = "arm64" }, false),
        ("env changes", { @Sendable (s: inout InferenceServiceSpec) in s.env = [] }, false),
        ("autoscaling mode changes", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.mode = .dryRun }, false),
        ("warmup disabled", { @Sendable (s: inout InferenceServiceSpec) in s.warmup.enabled = false; s.image = "other:1" }, false),
    ] as [(String, @Sendable (inout InferenceServiceSpec) -> Void, Bool)])
    func warmupFlipsOnlyWhenImageOrGPUModelChanges(_ label: String, change: @Sendable (inout InferenceServiceSpec) -> Void, warms: Bool) throws {
        let before = gpuSpec()
        let warmed = WarmupFingerprint(spec: before).value
        #expect(!WarmupPlan(spec: before, lastWarmedFingerprint: warmed).warm)
        var after = before
        change(&after)
        let plan = WarmupPlan(spec: after, lastWarmedFingerprint: warmed)
        #expect(plan.warm == warms, "\(label)")
        let rendered = try PredictorRenderer.render(service(after), replicas: 2, lastWarmedFingerprint: warmed)
        let label = rendered.deployment[path: "spec", "template", "metadata", "labels", WarmupPlan.labelKey]
        #expect(label == (warms ? "true" : nil))
        let initArgs = rendered.deployment[path: "spec", "template", "spec", "initContainers"]?[0]?["args"]?.arrayValue ?? []
        #expect(initArgs.contains("--fetch-only") == !warms)
        #expect(initArgs.contains("--max-batch-size") == warms)
        #expect(initArgs.prefix(2) == ["warmup", "--model"])
    }

    /// An unset batch size: the first pods measure and report it; once it is
    /// recorded for their key, the pods that follow fetch only and serve it.
    @Test func anUnsetBatchSizeIsMeasuredOnceThenServedAsRecorded() throws {
        var spec = cpuSpec()
        spec.batching.maxBatchSize = nil
        let fingerprint = WarmupFingerprint(spec: spec).value
        let measuring = WarmupPlan(spec: spec, lastWarmedFingerprint: fingerprint)
        #expect(measuring.warm && measuring.measures && measuring.served == nil && measuring.batchSizes.isEmpty)
        let first = try PredictorRenderer.render(service(spec), replicas: 2, lastWarmedFingerprint: fingerprint)
        let template = try #require(first.deployment[path: "spec", "template"])
        #expect(template[path: "metadata", "labels", WarmupPlan.labelKey] == "true")
        #expect(template[path: "metadata", "annotations", WarmupPlan.measurementAnnotation] == .string(measuring.measurementKey))
        let initContainer = try #require(template[path: "spec", "initContainers"]?[0])
        #expect(initContainer["args"]?.arrayValue?.suffix(2) == ["--termination-message", "/dev/termination-log"])
        // The probe's shapes, when the spec gives them, are the traffic's: they go to the measuring warmup and into the key.
        var shaped = spec
        shaped.warmup.probeDimensions = [48, 192]
        let shapedPlan = WarmupPlan(spec: shaped, lastWarmedFingerprint: fingerprint)
        let uri = try ModelURI.parse(spec.model.uri).get()
        #expect(ServerCommandLine.warmupArguments(uri: uri, plan: shapedPlan).suffix(4)
                == ["--probe-dimensions", "48,192", "--termination-message", "/dev/termination-log"])
        #expect(shapedPlan.measurementKey != measuring.measurementKey)
        #expect(initContainer["terminationMessagePath"] == "/dev/termination-log")
        let serveArgs = template[path: "spec", "containers"]?[0]?["args"]?.arrayValue ?? []
        #expect(!serveArgs.contains("--max-batch-size") && !serveArgs.contains("--intra-op-threads"))

        let recorded = MeasuredBatching(key: measuring.measurementKey, maxBatchSize: 4, concurrentBatches: 2, intraOpThreads: 1)
        let next = WarmupPlan(spec: spec, lastWarmedFingerprint: fingerprint, measured: recorded)
        #expect(!next.warm && !next.measures && next.batchSizes == [1, 2, 4])
        let rendered = try PredictorRenderer.render(service(spec), replicas: 2, lastWarmedFingerprint: fingerprint, measuredBatching: recorded)
        let following = try #require(rendered.deployment[path: "spec", "template"])
        #expect(following[path: "metadata", "labels", WarmupPlan.labelKey] == nil)
        #expect(following[path: "metadata", "annotations", WarmupPlan.measurementAnnotation] == nil)
        #expect(following[path: "spec", "initContainers"]?[0]?["args"]?.arrayValue?.last == "--fetch-only")
        let args = following[path: "spec", "containers"]?[0]?["args"]?.arrayValue ?? []
        let batchFlags = args.firstIndex(of: "--max-batch-size").map { Array(args[$0..<min(args.count, $0 + 6)]) }
        #expect(batchFlags == ["--max-batch-size", "4", "--max-concurrent-batches", "2", "--intra-op-threads", "1"])
    }

    /// A measurement holds for the image, the GPU model, the model and the
    /// resources; a change of any of them measures again, a change elsewhere does not.
    @Test(arguments: [
        ("model", { @Sendable (s: inout InferenceServiceSpec) in s.model.uri = "pvc://models/resnet101/model.onnx" }, true),
        ("cpu", { @Sendable (s: inout InferenceServiceSpec) in s.resources.cpu = "4" }, true),
        ("memory", { @Sendable (s: inout InferenceServiceSpec) in s.resources.memory = "8Gi" }, true),
        ("image", { @Sendable (s: inout InferenceServiceSpec) in s.image = "other:2" }, true),
        ("queue delay", { @Sendable (s: inout InferenceServiceSpec) in s.batching.maxQueueDelayMs = 5 }, false),
        ("replicas", { @Sendable (s: inout InferenceServiceSpec) in s.replicas.max = 9 }, false),
    ] as [(String, @Sendable (inout InferenceServiceSpec) -> Void, Bool)])
    func aMeasurementHoldsForWhatItWasMeasuredOn(_ label: String, change: @Sendable (inout InferenceServiceSpec) -> Void, again: Bool) {
        var spec = cpuSpec()
        spec.batching.maxBatchSize = nil
        let key = WarmupPlan(spec: spec, lastWarmedFingerprint: nil).measurementKey
        let recorded = MeasuredBatching(key: key, maxBatchSize: 8)
        var changed = spec
        change(&changed)
        let plan = WarmupPlan(spec: changed, lastWarmedFingerprint: WarmupFingerprint(spec: changed).value, measured: recorded)
        #expect(plan.measures == again, "\(label)")
        #expect(plan.warm == again, "\(label)")
        #expect(plan.served == (again ? nil : ServedBatching(maxBatchSize: 8)), "\(label)")
    }

    /// Nothing to serve from: a recording without figures (no pod reported one)
    /// and a spec without warmup leave the batch flags to the server's fallback,
    /// and neither measures again.
    @Test func withoutFiguresOrWarmupTheServerFallsBack() throws {
        var spec = cpuSpec()
        spec.batching.maxBatchSize = nil
        let fingerprint = WarmupFingerprint(spec: spec).value
        let key = WarmupPlan(spec: spec, lastWarmedFingerprint: nil).measurementKey
        let empty = WarmupPlan(spec: spec, lastWarmedFingerprint: fingerprint, measured: MeasuredBatching(key: key, note: "nothing recorded"))
        #expect(!empty.warm && !empty.measures && empty.served == nil)
        #expect(!ServerCommandLine.serveArguments(spec, plan: empty).contains("--max-batch-size"))
        spec.warmup.enabled = false
        let off = WarmupPlan(spec: spec, lastWarmedFingerprint: nil)
        #expect(!off.warm && !off.measures && off.served == nil)
        let uri = try ModelURI.parse(spec.model.uri).get()
        #expect(ServerCommandLine.warmupArguments(uri: uri, plan: off).last == "--fetch-only")
        // A set size is served as set, whatever was recorded.
        spec.batching.maxBatchSize = 32
        let set = WarmupPlan(spec: spec, lastWarmedFingerprint: nil, measured: MeasuredBatching(key: key, maxBatchSize: 4))
        #expect(set.served == ServedBatching(maxBatchSize: 32) && !set.measures)
    }

    @Test func firstRolloutWarmsUpAndRecordingTheFingerprintStopsIt() {
        let spec = gpuSpec()
        let first = WarmupPlan(spec: spec, lastWarmedFingerprint: nil)
        #expect(first.warm)
        #expect(!WarmupPlan(spec: spec, lastWarmedFingerprint: first.fingerprint.value).warm)
    }

    @Test(arguments: [
        ("repo/server:1.0", "repo/server:1.0"),
        ("repo/server", "repo/server:latest"),
        ("registry:5000/server", "registry:5000/server:latest"),
        ("registry:5000/server:2", "registry:5000/server:2"),
        ("repo/server:1.0@sha256:abc", "sha256:abc"),
        ("repo/server@sha256:abc", "sha256:abc"),
    ])
    func imageIdentityUsesTheDigestWhenPinned(image: String, identity: String) {
        var spec = cpuSpec()
        spec.image = image
        #expect(WarmupFingerprint(spec: spec).imageIdentity == identity)
    }

    @Test func retaggingAPinnedDigestDoesNotRewarm() {
        var a = gpuSpec()
        a.image = "repo/server:1.0@sha256:abc"
        var b = a
        b.image = "repo/server:1.0-renamed@sha256:abc"
        #expect(WarmupFingerprint(spec: a) == WarmupFingerprint(spec: b))
    }

    @Test(arguments: [
        (["nvidia.com/gpu.product": "A100"], 1, "A100"),
        (["cloud.google.com/gke-accelerator": "nvidia-l4"], 1, "nvidia-l4"),
        (["k8s.amazonaws.com/accelerator": "nvidia-tesla-t4"], 1, "nvidia-tesla-t4"),
        (["nvidia.com/gpu.product": "A100", "cloud.google.com/gke-accelerator": "other"], 1, "A100"),
        ([:], 1, "gpu"),
        (["nvidia.com/gpu.product": "A100"], 0, "cpu"),
    ] as [([String: String], Int, String)])
    func gpuModelComesFromNodeSelectorAndResources(selector: [String: String], gpus: Int, model: String) {
        var spec = cpuSpec()
        spec.nodeSelector = selector
        spec.resources.gpu = gpus
        #expect(WarmupFingerprint(spec: spec).gpuModel == model)
    }

    @Test func fingerprintIsStableAndShort() {
        let a = WarmupFingerprint(spec: gpuSpec())
        let b = WarmupFingerprint(spec: gpuSpec())
        #expect(a == b)
        #expect(a.value.hasPrefix("fp1-") && a.value.count == 20)
        #expect(a.value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
    }

    @Test(arguments: [(1, [1]), (8, [1, 2, 4, 8]), (12, [1, 2, 4, 8, 12]), (16, [1, 2, 4, 8, 16])])
    func warmupRunsPowersOfTwoAndTheMaximumBatch(max: Int, sizes: [Int]) {
        var spec = cpuSpec()
        spec.batching.maxBatchSize = max
        #expect(WarmupPlan(spec: spec, lastWarmedFingerprint: nil).batchSizes == sizes)
    }
}
