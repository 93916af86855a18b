import JSONValue
import Rendering
import ServingAPI
import Testing

@Suite struct StorageRenderingTests {
    func initContainer(_ spec: InferenceServiceSpec, warmed: Bool = true) throws -> JSON {
        let warmedFingerprint = warmed ? WarmupFingerprint(spec: spec).value : nil
        let rendered = try PredictorRenderer.render(service(spec), replicas: 1, lastWarmedFingerprint: warmedFingerprint)
        return try #require(rendered.deployment[path: "spec", "template", "spec", "initContainers"]?[0])
    }

    @Test func s3CredentialsComeFromTheSecretNeverInline() throws {
        var spec = cpuSpec()
        spec.env = [EnvVar(name: "AWS_ACCESS_KEY_ID", value: "literal-must-lose"), EnvVar(name: "HTTPS_PROXY", value: "http://proxy:3128")]
        spec.model.uri = "s3://models/bert/"
        spec.model.storage = ModelStorageSpec(
            endpoint: "http://minio.storage:9000", region: "eu-west-1", pathStyle: true, credentialsSecretRef: SecretReference(name: "minio-reader"))
        let container = try initContainer(spec)
        #expect(container["args"]?.arrayValue?.prefix(3) == ["warmup", "--model", "s3://models/bert/"])
        let expected: JSON = [
            ["name": "HTTPS_PROXY", "value": "http://proxy:3128"],
            ["name": "MODEL_STORAGE_ENDPOINT", "value": "http://minio.storage:9000"],
            ["name": "MODEL_STORAGE_REGION", "value": "eu-west-1"],
            ["name": "MODEL_STORAGE_PATH_STYLE", "value": "true"],
            ["name": "AWS_ACCESS_KEY_ID", "valueFrom": ["secretKeyRef": ["name": "minio-reader", "key": "accessKeyId"]]],
            ["name": "AWS_SECRET_ACCESS_KEY", "valueFrom": ["secretKeyRef": ["name": "minio-reader", "key": "secretAccessKey"]]],
            ["name": "AWS_SESSION_TOKEN", "valueFrom": ["secretKeyRef": ["name": "minio-reader", "key": "sessionToken", "optional": true]]],
        ]
        #expect(container["env"] == expected)
        // The server container never sees the store's credentials.
        let rendered = try PredictorRenderer.render(service(spec), replicas: 1, lastWarmedFingerprint: nil)
        let server = try #require(rendered.deployment[path: "spec", "template", "spec", "containers"]?[0])
        #expect(!"\(server)".contains("minio-reader"))
    }

    @Test func hubTokenComesFromTheSecretsTokenKey() throws {
        var spec = cpuSpec()
        spec.model.uri = "hf://org/repo/onnx/model.onnx@v2"
        spec.model.storage = ModelStorageSpec(credentialsSecretRef: SecretReference(name: "hf-token"))
        let container = try initContainer(spec)
        #expect(container["args"]?.arrayValue?.prefix(3) == ["warmup", "--model", "hf://org/repo/onnx/model.onnx@v2"])
        #expect(container["env"] == [["name": "HF_TOKEN", "valueFrom": ["secretKeyRef": ["name": "hf-token", "key": "token"]]]])
    }

    /// EKS IRSA: the pods run as the named ServiceAccount; the identity webhook then sets
    /// AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, which the fetch exchanges at STS.
    @Test func aServiceAccountForACloudRoleIsThePodsAndNoTokenIsAutomounted() throws {
        var spec = cpuSpec()
        spec.model.uri = "s3://models/bert/"
        spec.serviceAccountName = "model-reader"
        let rendered = try PredictorRenderer.render(service(spec), replicas: 1, lastWarmedFingerprint: nil)
        let pod = try #require(rendered.deployment[path: "spec", "template", "spec"])
        #expect(pod["serviceAccountName"] == "model-reader")
        #expect(pod["automountServiceAccountToken"] == false, "the Kubernetes API token stays out; the webhook projects its own")
        #expect(InferenceServiceValidator.validate(spec) == [])
        spec.serviceAccountName = "Model_Reader"
        #expect(InferenceServiceValidator.validate(spec).map(\.field) == ["spec.serviceAccountName"])
        spec.serviceAccountName = nil
        let plain = try PredictorRenderer.render(service(spec), replicas: 1, lastWarmedFingerprint: nil)
        #expect(plain.deployment[path: "spec", "template", "spec", "serviceAccountName"] == nil)
    }

    @Test func withoutStorageSettingsThePodsOwnVariablesApply() throws {
        var spec = cpuSpec()
        spec.model.uri = "s3://models/m.onnx"
        spec.env = [EnvVar(name: "AWS_REGION", value: "eu-central-1")]
        spec.batching.maxBatchSize = 8  // a set size: the warmed fingerprint leaves the pods fetching only
        let container = try initContainer(spec)
        #expect(container["env"] == [["name": "AWS_REGION", "value": "eu-central-1"]])
        // Other schemes keep the fetch-only init container free of the pod's variables, as before.
        spec.model.uri = "https://models.example.com/m.onnx"
        #expect(try initContainer(spec)["env"] == nil)
    }
}
