import JSONValue
import KubeAPI
import ServingAPI
import Testing

/// `spec.canary`: defaults as the CRD applies them, and a clear error naming
/// the field for each kind of bad input.
@Suite struct CanarySpecTests {
    static func spec(_ canary: JSON) throws -> InferenceServiceSpec {
        var object = minimalObject()
        object.set(["spec", "canary"], canary)
        return try object.decode(InferenceService.self).spec
    }

    @Test func aCanaryWithOnlyAModelTakesTheDocumentedDefaults() throws {
        let canary = try #require(try Self.spec(["model": ["name": "resnet50", "uri": "file:///models/v2.onnx"]]).canary)
        #expect(canary.steps == [5, 30, 100])
        #expect(canary.stepSeconds == 600 && canary.progressDeadlineSeconds == 600)
        #expect(canary.headerRoute && !canary.paused)
        #expect(canary.analysis == CanaryAnalysisSpec(maxP95Ms: nil, maxErrorRatio: 0.01, minRequests: 100))
        #expect(canary.image == nil && canary.batching == nil && canary.resources == nil && canary.gatewayRef == nil)
    }

    @Test func anObjectWithoutACanaryEncodesNone() throws {
        let encoded = try JSON(encoding: minimalSpec())
        #expect(encoded["canary"] == nil)
    }

    static let model: JSON = ["name": "resnet50", "uri": "file:///m.onnx"]
    static func canary(_ fields: JSONObject) -> JSON {
        var object: JSONObject = ["model": model]
        for (key, value) in fields { object[key] = value }
        return .object(object)
    }

    static let badSettings: [(JSON, String, String)] = [
        (["model": ["name": "other", "uri": "file:///models/v2.onnx"]], "spec.canary.model.name", "must equal model.name"),
        (["model": ["name": "resnet50", "uri": "gs://b/v2.onnx"]], "spec.canary.model.uri", "gs://"),
        (canary(["steps": [30, 5, 100]]), "spec.canary.steps", "must rise strictly and end at 100"),
        (canary(["steps": [5, 30]]), "spec.canary.steps", "end at 100"),
        (canary(["steps": []]), "spec.canary.steps", "1 to 10 steps"),
        (canary(["steps": [0, 100]]), "spec.canary.steps[0]", "outside 1...100"),
        (canary(["stepSeconds": 1]), "spec.canary.stepSeconds", "outside 10...86400"),
        (canary(["analysis": ["maxErrorRatio": 2]]), "spec.canary.analysis.maxErrorRatio", "outside"),
        (canary(["analysis": ["minRequests": 0]]), "spec.canary.analysis.minRequests", "outside"),
        (canary(["image": "bad image"]), "spec.canary.image", "not an image reference"),
        (canary(["resources": ["cpu": "lots"]]), "spec.canary.resources.cpu", "not a Kubernetes quantity"),
        (canary(["batching": ["maxBatchSize": 0]]), "spec.canary.batching.maxBatchSize", "outside"),
        (["model": ["name": "resnet50", "uri": "file:///m.onnx", "storage": ["region": "eu-west-1"]]], "spec.canary.model.storage", "only to s3://"),
        (canary(["gatewayRef": ["name": "GW"]]), "spec.canary.gatewayRef.name", "not a Gateway name"),
        (canary(["gatewayRef": ["name": "gw", "namespace": "a.b"]]), "spec.canary.gatewayRef.namespace", "not a namespace"),
    ]

    @Test(arguments: badSettings)
    func badCanarySettingsNameTheirField(canary: JSON, field: String, message: String) throws {
        let errors = InferenceServiceValidator.validate(try Self.spec(canary))
        let match = errors.first { $0.field == field }
        #expect(match != nil, "\(errors)")
        #expect(match?.message.contains(message) == true, "\(match?.message ?? "none")")
    }

    @Test func aCanaryNeedsRoomForAReplicaOfEachVersion() throws {
        var spec = try Self.spec(["model": ["name": "resnet50", "uri": "pvc://m/m2.onnx"]])
        spec.replicas = ReplicasSpec(min: 1, max: 1, manual: 1)
        let errors = InferenceServiceValidator.validate(spec)
        #expect(errors.map(\.field) == ["spec.replicas.max"], "\(errors)")
        #expect(errors.first?.message.contains("at least 2") == true)
        spec.replicas.max = 2
        #expect(InferenceServiceValidator.validate(spec) == [])
    }

    @Test func aFullCanaryIsValid() throws {
        let spec = try Self.spec([
            "model": ["name": "resnet50", "uri": "s3://models/v2.onnx", "storage": ["region": "eu-west-1"]],
            "image": "registry/inference-server:v2", "steps": [1, 10, 50, 100], "stepSeconds": 60, "paused": true,
            "analysis": ["maxP95Ms": 120, "maxErrorRatio": 0.001, "minRequests": 500],
            "gatewayRef": ["name": "public", "namespace": "gateways", "sectionName": "https"],
        ])
        #expect(InferenceServiceValidator.validate(spec) == [])
    }
}

/// `CanaryStatus.optionalFields` names exactly the fields a run may leave
/// unset (status writes send them as null so a merge patch clears them).
@Suite struct CanaryStatusFieldsTests {
    @Test func optionalFieldsAreExactlyTheOnesThatCanBeAbsent() throws {
        let t = "2026-01-01T00:00:00Z"
        let signals = VersionSignals(p95LatencyMs: 1, requests: 2, errors: 0, computeMsPerRequest: 3, clientErrors: 1)
        let full = CanaryStatus(candidate: "c", phase: "Progressing", step: 1, weight: 5, stepStartedAt: t, trafficSince: t, waitingSince: t,
                                healthySeconds: 1, lastEvaluatedAt: t, accruing: true, candidateSignals: signals, stableSignals: signals,
                                history: [CanaryStepStatus(weight: 5, startedAt: t, endedAt: t, outcome: "Passed", signals: signals)],
                                verdict: "v", ignoredAction: "promote", costRatio: 1.2)
        let bare = CanaryStatus(candidate: "c", phase: "Progressing", step: 1, weight: 5)
        let fullKeys = Set(try JSON(encoding: full).objectValue?.keys ?? [])
        let bareKeys = Set(try JSON(encoding: bare).objectValue?.keys ?? [])
        #expect(fullKeys.subtracting(bareKeys) == Set(CanaryStatus.optionalFields))
        let bareSignals = VersionSignals(p95LatencyMs: nil, requests: 0, errors: 0)
        let signalKeys = Set(try JSON(encoding: signals).objectValue?.keys ?? [])
        let bareSignalKeys = Set(try JSON(encoding: bareSignals).objectValue?.keys ?? [])
        #expect(signalKeys.subtracting(bareSignalKeys) == Set(VersionSignals.optionalFields))
    }
}
