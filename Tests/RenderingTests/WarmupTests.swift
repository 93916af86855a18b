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
