import JSONValue
import ServingAPI
import Testing

@Suite struct SpecDefaultsTests {
    @Test func minimalSpecDecodesWithEveryDefault() throws {
        let spec = try #require(minimalObject()["spec"]).decode(InferenceServiceSpec.self)
        #expect(spec.model.format == .onnx)
        #expect(spec.image == Defaults.image)
        #expect(spec.resources.gpu == 0)
        // No batch size: warming pods measure it (status.measuredBatching).
        #expect(spec.batching == BatchingSpec(maxBatchSize: nil, maxQueueDelayMs: 50, maxQueueSize: 128))
        #expect(spec.replicas.min == 2 && spec.replicas.max == 16 && spec.replicas.manual == 2)
        let a = spec.autoscaling
        #expect(a.mode == .active && a.intervalSeconds == 15 && a.prometheus == nil)
        #expect(a.rules.gpu.thresholdPercent == 85 && a.rules.gpu.step == 1 && !a.rules.gpu.coldStartTolerant)
        #expect(a.rules.gpu.effectiveCap(maxReplicas: 16) == 12)
        #expect(a.rules.latency.thresholdMs == 200 && a.rules.latency.consecutiveIntervals == 3)
        #expect(a.rules.latency.step == 2 && a.rules.latency.coldStartTolerant)
        #expect(a.rules.latency.effectiveCap(maxReplicas: 16) == 16)
        #expect(a.rules.idle.afterSeconds == 300)
        #expect(a.scaleDown.stabilizationWindowSeconds == 300 && a.scaleDown.maxStep == 1)
        #expect(a.onMetricsUnavailable.policy == .hold && a.onMetricsUnavailable.fallbackReplicas == nil)
        #expect(a.queries.p95Latency.hasPrefix("histogram_quantile(0.95"))
        #expect(spec.warmup.enabled && spec.warmup.sampleInput == nil)
        #expect(spec == minimalSpec())
    }

    /// The API server defaults from the CRD schema, Swift from `Defaults`:
    /// both must produce the same object.
    @Test(.disabled(if: venvMissing, venvMissingMessage), arguments: ["minimal.yaml", "gpu.yaml", "dry-run.yaml"])
    func schemaDefaultsMatchSwiftDefaults(sample: String) async throws {
        let object = try await sampleObject(sample)
        let schemaDefaulted = StructuralDefaulting.applyInferenceServiceDefaults(to: object)
        let swiftDefaulted = try JSON(encoding: object.decode(InferenceService.self))
        #expect(
            schemaDefaulted["spec"]!.isEquivalent(to: swiftDefaulted["spec"]!),
            "schema: \(schemaDefaulted["spec"]!.serialized())\nswift:  \(swiftDefaulted["spec"]!.serialized())")
        // And decoding the schema-defaulted object changes nothing.
        #expect(try schemaDefaulted.decode(InferenceService.self) == object.decode(InferenceService.self))
    }

    @Test func explicitValuesWinOverDefaults() throws {
        var object = minimalObject()
        object.set(["spec", "replicas"], ["min": 1, "max": 4, "manual": 3])
        object.set(["spec", "autoscaling", "rules", "gpu"], ["thresholdPercent": 70.5, "cap": 3, "enabled": false])
        object.set(["spec", "autoscaling", "mode"], "DryRun")
        let spec = try #require(object["spec"]).decode(InferenceServiceSpec.self)
        #expect(spec.replicas == ReplicasSpec(min: 1, max: 4, manual: 3))
        #expect(spec.autoscaling.rules.gpu.thresholdPercent == 70.5)
        #expect(spec.autoscaling.rules.gpu.cap == 3 && !spec.autoscaling.rules.gpu.enabled)
        #expect(spec.autoscaling.rules.gpu.step == Defaults.gpuStep)
        #expect(spec.autoscaling.mode == .dryRun)
    }

    @Test func capsAboveMaxAreClampedByMax() {
        let gpu = GPURule()
        #expect(gpu.effectiveCap(maxReplicas: 8) == 8)
        #expect(GPURule(cap: 5).effectiveCap(maxReplicas: 16) == 5)
        #expect(LatencyRule().effectiveCap(maxReplicas: 10) == 10)
    }

    @Test(arguments: [(2, 2, 16, 2), (5, 2, 16, 5), (40, 2, 16, 16), (1, 2, 16, 2), (2, 4, 8, 4)])
    func disabledModeRunsManualWithinBounds(manual: Int, min: Int, max: Int, expected: Int) {
        #expect(ReplicasSpec(min: min, max: max, manual: manual).disabledModeReplicas == expected)
    }

    @Test func encodingOmitsAbsentOptionalsAndRoundTrips() throws {
        let spec = minimalSpec()
        let json = try JSON(encoding: spec)
        #expect(json["nodeSelector"] == nil && json["tolerations"] == nil && json["env"] == nil)
        #expect(json[path: "autoscaling", "prometheus"] == nil)
        #expect(json[path: "autoscaling", "rules", "gpu", "cap"] == nil)
        #expect(try json.decode(InferenceServiceSpec.self) == spec)
    }

    @Test(arguments: [
        (["spec", "replicas", "min"], JSON.string("two"), "spec.replicas.min"),
        (["spec", "model", "uri"], JSON.null, "spec.model.uri"),
        (["spec", "autoscaling", "mode"], JSON.string("Sometimes"), "spec.autoscaling.mode"),
        (["spec", "model"], JSON.null, "spec.model"),
    ])
    func malformedObjectsNameTheField(path: [String], value: JSON, field: String) {
        var object = minimalObject()
        object.set(path, value)
        #expect {
            try InferenceService.decodeValidated(object)
        } throws: { error in
            guard case ServingAPIError.malformed(let message) = error else { return false }
            return message.contains(field)
        }
    }
}

