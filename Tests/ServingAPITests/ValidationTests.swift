import JSONValue
import KubeAPI
import ServingAPI
import Testing

@Suite struct ValidationTests {
    @Test func minimalObjectIsValid() throws {
        let service = try InferenceService.decodeValidated(minimalObject())
        #expect(service.metadata.name == "resnet50")
        #expect(InferenceServiceValidator.validate(service).isEmpty)
    }

    @Test(arguments: [
        ("gs://bucket/model.onnx", FieldError.Reason.unsupportedModelURI),
        ("s3://bucket", .invalidModelURI),
        ("s3://Bucket/model.onnx", .invalidModelURI),
        ("s3://bucket/a/../model.onnx", .invalidModelURI),
        ("hf://org", .invalidModelURI),
        ("hf://org/repo/onnx/", .invalidModelURI),
        ("hf://org/repo@", .invalidModelURI),
        ("ftp://host/model.onnx", .unsupportedModelURI),
        ("models/model.onnx", .invalidModelURI),
        ("pvc://models", .invalidModelURI),
        ("pvc://models/", .invalidModelURI),
        ("pvc://Bad_Claim/model.onnx", .invalidModelURI),
        ("pvc://models/../etc/passwd", .invalidModelURI),
        ("file://relative/model.onnx", .invalidModelURI),
        ("https:///model.onnx", .invalidModelURI),
        ("https://host/my model.onnx", .invalidModelURI),
    ])
    func unsupportedOrMalformedModelURIsNameTheField(uri: String, reason: FieldError.Reason) {
        var spec = minimalSpec()
        spec.model.uri = uri
        let errors = InferenceServiceValidator.validate(spec)
        #expect(errors.count == 1)
        #expect(errors.first?.field == "spec.model.uri")
        #expect(errors.first?.reason == reason)
        #expect(errors.first?.message.contains(uri) == true)
    }

    @Test(arguments: [
        "pvc://models/resnet50/model.onnx", "pvc://my-claim.v2/a/b/c.onnx", "http://models.local/m.onnx",
        "https://example.com:8443/models/m.onnx?sig=abc", "file:///opt/models/m.onnx", "HTTPS://example.com/m.onnx",
        "s3://models/resnet50/model.onnx", "s3://models/resnet50/", "hf://org/repo", "hf://org/repo/onnx/model.onnx@v1.0",
    ])
    func supportedModelURIsAreAccepted(uri: String) {
        var spec = minimalSpec()
        spec.model.uri = uri
        #expect(InferenceServiceValidator.validate(spec).isEmpty)
    }

    @Test func modelURIParsesIntoItsParts() throws {
        #expect(try ModelURI.parse("pvc://models/a/b.onnx").get() == .pvc(claim: "models", path: "a/b.onnx"))
        #expect(try ModelURI.parse("file:///opt/m.onnx").get() == .file(path: "/opt/m.onnx"))
        #expect(try ModelURI.parse("https://h/m.onnx").get() == .http(url: "https://h/m.onnx"))
        guard case .s3(let object) = try ModelURI.parse("s3://models/a/").get() else { Issue.record("not s3"); return }
        #expect(object.bucket == "models" && object.key == "a/" && object.isPrefix)
        guard case .huggingFace(let file) = try ModelURI.parse("hf://org/repo@dev").get() else { Issue.record("not hf"); return }
        #expect(file.path == "model.onnx" && file.revision == "dev")
    }

    @Test(arguments: [
        ("pvc://models/m.onnx", ModelStorageSpec(region: "eu-west-1"), "spec.model.storage", "applies only to s3:// and hf://"),
        ("hf://org/repo", ModelStorageSpec(region: "eu-west-1"), "spec.model.storage.region", "applies only to s3://"),
        ("hf://org/repo", ModelStorageSpec(pathStyle: true), "spec.model.storage.pathStyle", "applies only to s3://"),
        ("s3://models/m.onnx", ModelStorageSpec(endpoint: "minio:9000"), "spec.model.storage.endpoint", "not an http:// or https:// URL"),
        ("s3://models/m.onnx", ModelStorageSpec(endpoint: "http://key:secret@minio:9000"), "spec.model.storage.endpoint", "credentials"),
        ("s3://models/m.onnx", ModelStorageSpec(region: "EU West"), "spec.model.storage.region", "lowercase"),
        ("s3://models/m.onnx", ModelStorageSpec(credentialsSecretRef: SecretReference(name: "Bad_Name")),
         "spec.model.storage.credentialsSecretRef.name", "not a Secret name"),
    ])
    func storageSettingsAreCheckedAgainstTheScheme(uri: String, storage: ModelStorageSpec, field: String, message: String) {
        var spec = minimalSpec()
        spec.model.uri = uri
        spec.model.storage = storage
        let errors = InferenceServiceValidator.validate(spec)
        #expect(errors.map(\.field) == [field])
        #expect(errors.first?.message.contains(message) == true, "\(errors)")
    }

    @Test func storageSettingsForAnS3CompatibleStoreAreValid() {
        var spec = minimalSpec()
        spec.model.uri = "s3://models/bert/"
        spec.model.storage = ModelStorageSpec(
            endpoint: "http://minio.storage:9000", region: "us-east-1", pathStyle: true, credentialsSecretRef: SecretReference(name: "minio-reader"))
        #expect(InferenceServiceValidator.validate(spec).isEmpty)
    }

    @Test(arguments: [
        ("p95Latency", "histogram_quantile(0.95, sum by (le) (rate(x_bucket{ns=\"{{namespace}}\"}[1m]))", "unclosed '('"),
        ("p95Latency", "", "is empty"),
        ("gpuUtilization", "   ", "is empty"),
        ("gpuUtilization", "avg(DCGM_FI_DEV_GPU_UTIL{pod=~\"{{pod}}-.*\"})", "unknown placeholder '{{pod}}'"),
        ("requestRate", "sum(rate(x{service=\"{{name}}\"}[1m])", "unclosed '('"),
        ("requestRate", "sum(rate(x{service=\"{{name}}\"[1m])))", "'{' closed by ')'"),
        ("requestRate", "sum(rate(x{service=\"{{name}}}[1m]))", "unterminated string"),
        ("requestRate", "sum(rate(x{service='{{name}}\"}[1m]))", "unterminated string"),
        ("requestRate", "sum(x{a=\"{{name\"}) + y{b=\"}}\"}", "unknown placeholder"),
        ("requestRate", "sum(x{a=\"{{name\"}", "unclosed placeholder"),
        ("requestRate", "sum(x)) + 1", "unmatched ')'"),
        ("requestRate", "sum(x{a=\"{{ name }}\"})", "with spaces"),
    ])
    func unparsablePromQLTemplatesNameTheField(field: String, template: String, problem: String) {
        var spec = minimalSpec()
        switch field {
        case "p95Latency": spec.autoscaling.queries.p95Latency = template
        case "gpuUtilization": spec.autoscaling.queries.gpuUtilization = template
        default: spec.autoscaling.queries.requestRate = template
        }
        let errors = InferenceServiceValidator.validate(spec)
        #expect(errors.map(\.field) == ["spec.autoscaling.queries.\(field)"])
        #expect(errors.first?.reason == .invalidPromQLTemplate)
        #expect(errors.first?.message.contains(problem) == true, "\(errors)")
    }

    @Test(arguments: [
        Defaults.p95LatencyQuery, Defaults.gpuUtilizationQuery, Defaults.requestRateQuery,
        "up", "sum(rate(x{a=\"}{\"}[5m]))", "sum(rate(x{a='(\\''}[5m]))", "sum(x) # a comment with ( unbalanced",
        "label_replace(x, \"dst\", \"$1\", \"src\", \"(.*)\")", "x{a=`{[(`}",
    ])
    func validPromQLTemplatesPass(template: String) {
        #expect(PromQLTemplate(template).check() == nil)
    }

    @Test func templatesRenderNamespaceAndName() {
        let rendered = PromQLTemplate(Defaults.p95LatencyQuery).render(namespace: "ml", name: "bert")
        #expect(rendered.contains(#"namespace="ml",service="bert-predictor""#))
        #expect(!rendered.contains("{{"))
    }

    /// Each case: a change to a valid spec and the fields whose errors it must produce.
    @Test(arguments: [
        ("min above max", { @Sendable (s: inout InferenceServiceSpec) in s.replicas = ReplicasSpec(min: 5, max: 3) }, ["spec.replicas.min"]),
        ("manual outside bounds is clamped, not rejected", { @Sendable (s: inout InferenceServiceSpec) in s.replicas.manual = 40 }, []),
        ("manual below one", { @Sendable (s: inout InferenceServiceSpec) in s.replicas.manual = 0 }, ["spec.replicas.manual"]),
        ("gpu cap above max", { @Sendable (s: inout InferenceServiceSpec) in s.replicas.max = 8; s.autoscaling.rules.gpu.cap = 9 }, ["spec.autoscaling.rules.gpu.cap"]),
        ("latency cap above max", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.rules.latency.cap = 17 }, ["spec.autoscaling.rules.latency.cap"]),
        ("lower max keeps default caps valid", { @Sendable (s: inout InferenceServiceSpec) in s.replicas.max = 4 }, []),
        ("threshold above 100", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.rules.gpu.thresholdPercent = 120 }, ["spec.autoscaling.rules.gpu.thresholdPercent"]),
        ("interval zero", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.intervalSeconds = 0 }, ["spec.autoscaling.intervalSeconds"]),
        ("idle shorter than interval", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.intervalSeconds = 60; s.autoscaling.rules.idle.afterSeconds = 30 }, ["spec.autoscaling.rules.idle.afterSeconds"]),
        ("fallback without replicas", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.onMetricsUnavailable.policy = .fallback }, ["spec.autoscaling.onMetricsUnavailable.fallbackReplicas"]),
        ("fallback above max", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.onMetricsUnavailable = MetricsUnavailableSpec(policy: .fallback, fallbackReplicas: 17) }, ["spec.autoscaling.onMetricsUnavailable.fallbackReplicas"]),
        ("fallback replicas with hold", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.onMetricsUnavailable.fallbackReplicas = 3 }, ["spec.autoscaling.onMetricsUnavailable.fallbackReplicas"]),
        ("burst factor of one", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.rules.burst.factor = 1 }, ["spec.autoscaling.rules.burst.factor"]),
        ("burst window zero, hold negative", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.rules.burst.windowSeconds = 0; s.autoscaling.rules.burst.holdSeconds = -1 }, ["spec.autoscaling.rules.burst.windowSeconds", "spec.autoscaling.rules.burst.holdSeconds"]),
        ("zero batch", { @Sendable (s: inout InferenceServiceSpec) in s.batching.maxBatchSize = 0 }, ["spec.batching.maxBatchSize"]),
        ("bad probe dimensions", { @Sendable (s: inout InferenceServiceSpec) in s.warmup.probeDimensions = [128, 0, 70000] }, ["spec.warmup.probeDimensions[1]", "spec.warmup.probeDimensions[2]"]),
        ("no probe dimensions", { @Sendable (s: inout InferenceServiceSpec) in s.warmup.probeDimensions = [] }, ["spec.warmup.probeDimensions"]),
        ("bad quantity", { @Sendable (s: inout InferenceServiceSpec) in s.resources.cpu = "two"; s.resources.memory = "4GB" }, ["spec.resources.cpu", "spec.resources.memory"]),
        ("too many gpus", { @Sendable (s: inout InferenceServiceSpec) in s.resources.gpu = 17 }, ["spec.resources.gpu"]),
        ("prometheus url without scheme", { @Sendable (s: inout InferenceServiceSpec) in s.autoscaling.prometheus = PrometheusSpec(url: "prometheus:9090") }, ["spec.autoscaling.prometheus.url"]),
        ("duplicate env", { @Sendable (s: inout InferenceServiceSpec) in s.env = [EnvVar(name: "A", value: "1"), EnvVar(name: "A", value: "2")] }, ["spec.env[1].name"]),
        ("bad env name", { @Sendable (s: inout InferenceServiceSpec) in s.env = [EnvVar(name: "1A", value: "1")] }, ["spec.env[0].name"]),
        ("toleration exists with value", { @Sendable (s: inout InferenceServiceSpec) in s.tolerations = [Toleration(key: "k", operator: .exists, value: "v")] }, ["spec.tolerations[0].value"]),
        ("sample input without inputs", { @Sendable (s: inout InferenceServiceSpec) in s.warmup.sampleInput = ["data": [1, 2]] }, ["spec.warmup.sampleInput"]),
        ("empty image", { @Sendable (s: inout InferenceServiceSpec) in s.image = "" }, ["spec.image"]),
        ("bad model name", { @Sendable (s: inout InferenceServiceSpec) in s.model.name = "my model" }, ["spec.model.name"]),
        ("two problems at once", { @Sendable (s: inout InferenceServiceSpec) in s.model.uri = "gs://b/m"; s.autoscaling.queries.requestRate = "sum(" }, ["spec.model.uri", "spec.autoscaling.queries.requestRate"]),
    ] as [(String, @Sendable (inout InferenceServiceSpec) -> Void, [String])])
    func invalidSpecsNameEachBadField(_ label: String, change: @Sendable (inout InferenceServiceSpec) -> Void, fields: [String]) {
        var spec = minimalSpec()
        change(&spec)
        #expect(InferenceServiceValidator.validate(spec).map(\.field) == fields, "\(label)")
    }

    @Test(arguments: [
        ("a-very-long-name-that-goes-past-the-fifty-three-chars-x", false),
        ("dotted.name", false),
        ("1starts-with-a-digit", false),
        ("UPPER", false),
        ("fifty-three-characters-long-name-is-still-acceptable", true),
    ])
    func objectNamesMustLeaveRoomForThePredictorSuffix(name: String, valid: Bool) {
        let service = InferenceService(metadata: ObjectMeta(name: name, namespace: "ns"), spec: minimalSpec())
        let fields = InferenceServiceValidator.validate(service).map(\.field)
        #expect(fields == (valid ? [] : ["metadata.name"]))
    }

    @Test func invalidObjectYieldsReadyFalseConditionNamingTheField() {
        var object = minimalObject()
        object.set(["spec", "model", "uri"], "gs://bucket/model.onnx")
        object.set(["metadata", "generation"], 4)
        do {
            _ = try InferenceService.decodeValidated(object)
            Issue.record("a gs:// URI must be rejected")
        } catch {
            let condition = error.readyCondition(observedGeneration: 4, now: "2026-01-01T00:00:00Z")
            #expect(condition.type == "Ready" && condition.status == .false)
            #expect(condition.reason == "UnsupportedModelURI")
            #expect(condition.message.contains("spec.model.uri"))
            #expect(condition.message.contains("unsupported scheme 'gs'"))
            #expect(condition.observedGeneration == 4)
        }
    }

    @Test func mixedProblemsGiveTheGeneralReason() {
        var spec = minimalSpec()
        spec.model.uri = "gs://b/m"
        spec.autoscaling.queries.p95Latency = "("
        let error = ServingAPIError.invalid(InferenceServiceValidator.validate(spec))
        #expect(error.conditionReason == "InvalidSpec")
        #expect(error.description.contains("spec.model.uri") && error.description.contains("spec.autoscaling.queries.p95Latency"))
    }
}
