import JSONValue

/// The desired state of an InferenceService. Decoding fills absent fields
/// with the values in `Defaults`, exactly as the CRD schema's defaults do.
public struct InferenceServiceSpec: Codable, Sendable, Hashable {
    public var model: ModelSpec
    public var image: String
    public var resources: ResourceSpec
    public var nodeSelector: [String: String]
    public var tolerations: [Toleration]
    /// The ServiceAccount the predictor pods run as (one bound to a cloud
    /// role: EKS IRSA, GKE Workload Identity); nil: the namespace's default.
    public var serviceAccountName: String?
    public var env: [EnvVar]
    public var batching: BatchingSpec
    public var replicas: ReplicasSpec
    public var autoscaling: AutoscalingSpec
    public var warmup: WarmupSpec
    /// A candidate version rolled out in traffic steps; absent means none.
    public var canary: CanarySpec?

    public init(
        model: ModelSpec, image: String = Defaults.image, resources: ResourceSpec = ResourceSpec(),
        nodeSelector: [String: String] = [:], tolerations: [Toleration] = [], serviceAccountName: String? = nil, env: [EnvVar] = [],
        batching: BatchingSpec = BatchingSpec(), replicas: ReplicasSpec = ReplicasSpec(),
        autoscaling: AutoscalingSpec = AutoscalingSpec(), warmup: WarmupSpec = WarmupSpec(),
        canary: CanarySpec? = nil
    ) {
        self.model = model
        self.image = image
        self.resources = resources
        self.nodeSelector = nodeSelector
        self.tolerations = tolerations
        self.serviceAccountName = serviceAccountName
        self.env = env
        self.batching = batching
        self.replicas = replicas
        self.autoscaling = autoscaling
        self.warmup = warmup
        self.canary = canary
    }

    enum CodingKeys: String, CodingKey {
        case model, image, resources, nodeSelector, tolerations, serviceAccountName, env, batching, replicas, autoscaling, warmup, canary
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(ModelSpec.self, forKey: .model)
        image = try c.decodeIfPresent(String.self, forKey: .image) ?? Defaults.image
        resources = try c.decodeIfPresent(ResourceSpec.self, forKey: .resources) ?? ResourceSpec()
        nodeSelector = try c.decodeIfPresent([String: String].self, forKey: .nodeSelector) ?? [:]
        tolerations = try c.decodeIfPresent([Toleration].self, forKey: .tolerations) ?? []
        serviceAccountName = try c.decodeIfPresent(String.self, forKey: .serviceAccountName)
        env = try c.decodeIfPresent([EnvVar].self, forKey: .env) ?? []
        batching = try c.decodeIfPresent(BatchingSpec.self, forKey: .batching) ?? BatchingSpec()
        replicas = try c.decodeIfPresent(ReplicasSpec.self, forKey: .replicas) ?? ReplicasSpec()
        autoscaling = try c.decodeIfPresent(AutoscalingSpec.self, forKey: .autoscaling) ?? AutoscalingSpec()
        warmup = try c.decodeIfPresent(WarmupSpec.self, forKey: .warmup) ?? WarmupSpec()
        canary = try c.decodeIfPresent(CanarySpec.self, forKey: .canary)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(image, forKey: .image)
        try c.encode(resources, forKey: .resources)
        if !nodeSelector.isEmpty { try c.encode(nodeSelector, forKey: .nodeSelector) }
        if !tolerations.isEmpty { try c.encode(tolerations, forKey: .tolerations) }
        try c.encodeIfPresent(serviceAccountName, forKey: .serviceAccountName)
        if !env.isEmpty { try c.encode(env, forKey: .env) }
        try c.encode(batching, forKey: .batching)
        try c.encode(replicas, forKey: .replicas)
        try c.encode(autoscaling, forKey: .autoscaling)
        try c.encode(warmup, forKey: .warmup)
        try c.encodeIfPresent(canary, forKey: .canary)
    }
}

public enum ModelFormat: String, Codable, Sendable, Hashable, CaseIterable {
    case onnx
}

/// Which model to serve and where to fetch it from.
public struct ModelSpec: Codable, Sendable, Hashable {
    /// The name clients use in `/v2/models/{name}/infer`.
    public var name: String
    /// `pvc://claim/path`, `http(s)://...`, `file:///path` (a model baked into
    /// the image), `s3://bucket/key` (or `s3://bucket/prefix/`) or `hf://org/repo[/path][@revision]`.
    public var uri: String
    public var format: ModelFormat
    /// How long the server may take to load the model before the startup
    /// probe gives up; absent means the renderer's CPU/GPU default.
    public var loadTimeoutSeconds: Int?
    /// Where and as whom `s3://` and `hf://` models are fetched.
    public var storage: ModelStorageSpec?

    public init(name: String, uri: String, format: ModelFormat = Defaults.modelFormat, loadTimeoutSeconds: Int? = nil,
                storage: ModelStorageSpec? = nil) {
        self.name = name
        self.uri = uri
        self.format = format
        self.loadTimeoutSeconds = loadTimeoutSeconds
        self.storage = storage
    }

    enum CodingKeys: String, CodingKey { case name, uri, format, loadTimeoutSeconds, storage }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        uri = try c.decode(String.self, forKey: .uri)
        format = try c.decodeIfPresent(ModelFormat.self, forKey: .format) ?? Defaults.modelFormat
        loadTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .loadTimeoutSeconds)
        storage = try c.decodeIfPresent(ModelStorageSpec.self, forKey: .storage)
    }
}

/// Settings of the store an `s3://` or `hf://` model comes from. All optional:
/// without them S3 means AWS in us-east-1 (or the pod's AWS_* variables) and
/// `hf://` means https://huggingface.co (or HF_ENDPOINT).
public struct ModelStorageSpec: Codable, Sendable, Hashable {
    /// `http(s)://host[:port]` of an S3-compatible store or a Hub mirror.
    public var endpoint: String?
    /// The S3 region requests are signed for.
    public var region: String?
    /// S3 path-style addressing (`endpoint/bucket/key`); absent means on with
    /// an endpoint, off for AWS (virtual-hosted `bucket.s3.<region>.amazonaws.com`).
    public var pathStyle: Bool?
    /// A Secret in the object's namespace: `accessKeyId`, `secretAccessKey`
    /// and optionally `sessionToken` for S3; `token` for the Hub. Passed to
    /// the init container as environment variables from the Secret.
    public var credentialsSecretRef: SecretReference?

    public init(endpoint: String? = nil, region: String? = nil, pathStyle: Bool? = nil, credentialsSecretRef: SecretReference? = nil) {
        self.endpoint = endpoint
        self.region = region
        self.pathStyle = pathStyle
        self.credentialsSecretRef = credentialsSecretRef
    }
}

/// Per-replica resources. `cpu` and `memory` are Kubernetes quantities
/// ("500m", "4Gi"); `gpu` becomes the `nvidia.com/gpu` limit.
public struct ResourceSpec: Codable, Sendable, Hashable {
    public var cpu: String?
    public var memory: String?
    public var gpu: Int

    public init(cpu: String? = nil, memory: String? = nil, gpu: Int = Defaults.gpu) {
        self.cpu = cpu
        self.memory = memory
        self.gpu = gpu
    }

    enum CodingKeys: String, CodingKey { case cpu, memory, gpu }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cpu = try c.decodeIfPresent(String.self, forKey: .cpu)
        memory = try c.decodeIfPresent(String.self, forKey: .memory)
        gpu = try c.decodeIfPresent(Int.self, forKey: .gpu) ?? Defaults.gpu
    }
}

/// A pod toleration, as in `core/v1` (kept local until KubeAPI lands).
public struct Toleration: Codable, Sendable, Hashable {
    public enum Operator: String, Codable, Sendable, Hashable, CaseIterable { case exists = "Exists", equal = "Equal" }
    public enum Effect: String, Codable, Sendable, Hashable, CaseIterable {
        case noSchedule = "NoSchedule", preferNoSchedule = "PreferNoSchedule", noExecute = "NoExecute"
    }
    public var key: String?
    public var `operator`: Operator?
    public var value: String?
    public var effect: Effect?
    public var tolerationSeconds: Int?

    public init(key: String? = nil, operator: Operator? = nil, value: String? = nil, effect: Effect? = nil, tolerationSeconds: Int? = nil) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}

/// A literal environment variable for the server container.
public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The server's dynamic batcher.
public struct BatchingSpec: Codable, Sendable, Hashable {
    /// Nil: measured. Warming pods measure throughput per batch size (and
    /// the run layout) on their own hardware and serve what they chose; the
    /// operator records that in `status.measuredBatching` and renders it for
    /// the pods that follow (`docs/inferenceservice-api.md`, "Batching").
    public var maxBatchSize: Int?
    public var maxQueueDelayMs: Int
    public var maxQueueSize: Int

    public init(
        maxBatchSize: Int? = nil, maxQueueDelayMs: Int = Defaults.maxQueueDelayMs,
        maxQueueSize: Int = Defaults.maxQueueSize
    ) {
        self.maxBatchSize = maxBatchSize
        self.maxQueueDelayMs = maxQueueDelayMs
        self.maxQueueSize = maxQueueSize
    }

    enum CodingKeys: String, CodingKey { case maxBatchSize, maxQueueDelayMs, maxQueueSize }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxBatchSize = try c.decodeIfPresent(Int.self, forKey: .maxBatchSize)
        maxQueueDelayMs = try c.decodeIfPresent(Int.self, forKey: .maxQueueDelayMs) ?? Defaults.maxQueueDelayMs
        maxQueueSize = try c.decodeIfPresent(Int.self, forKey: .maxQueueSize) ?? Defaults.maxQueueSize
    }
}

/// Replica bounds. `manual` is the scale subresource's `spec.replicas`
/// (`kubectl scale` writes it); it sets the replica count, clamped into
/// [min, max], while autoscaling is `Disabled`, and is ignored otherwise.
/// Out-of-bounds values are clamped rather than rejected, so that lowering
/// `max` never invalidates an object whose `manual` was defaulted.
public struct ReplicasSpec: Codable, Sendable, Hashable {
    public var min: Int
    public var max: Int
    public var manual: Int

    public init(min: Int = Defaults.minReplicas, max: Int = Defaults.maxReplicas, manual: Int = Defaults.manualReplicas) {
        self.min = min
        self.max = max
        self.manual = manual
    }

    enum CodingKeys: String, CodingKey { case min, max, manual }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        min = try c.decodeIfPresent(Int.self, forKey: .min) ?? Defaults.minReplicas
        max = try c.decodeIfPresent(Int.self, forKey: .max) ?? Defaults.maxReplicas
        manual = try c.decodeIfPresent(Int.self, forKey: .manual) ?? Defaults.manualReplicas
    }

    /// The replica count to run when autoscaling is disabled: `manual` within bounds.
    public var disabledModeReplicas: Int { Swift.min(Swift.max(manual, min), max) }
}

/// Warmup of new pods (see `Rendering.WarmupPlan`).
public struct WarmupSpec: Codable, Sendable, Hashable {
    public var enabled: Bool
    /// An Open Inference Protocol request body (`{"inputs": [...]}`) to run
    /// at each batch size; absent means the server synthesises zeros of the
    /// model's input shapes.
    public var sampleInput: JSON?
    /// While the batcher is measured (`batching.maxBatchSize` unset): the sizes
    /// of each input's dynamic dimensions after the batch, in order, the last
    /// repeating (a sequence length: `[128]`; an image: `[224, 224]`). Absent:
    /// the server's default, 16. Measure with the shapes the traffic has.
    public var probeDimensions: [Int]?

    public init(enabled: Bool = Defaults.warmupEnabled, sampleInput: JSON? = nil, probeDimensions: [Int]? = nil) {
        self.enabled = enabled
        self.sampleInput = sampleInput
        self.probeDimensions = probeDimensions
    }

    enum CodingKeys: String, CodingKey { case enabled, sampleInput, probeDimensions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? Defaults.warmupEnabled
        sampleInput = try c.decodeIfPresent(JSON.self, forKey: .sampleInput)
        probeDimensions = try c.decodeIfPresent([Int].self, forKey: .probeDimensions)
    }
}
