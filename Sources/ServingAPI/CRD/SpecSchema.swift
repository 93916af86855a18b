import JSONValue

// The schema of `spec`, one function per Swift type, using the constants in
// `Defaults` and `Limits` that the Swift decoders and the validator use.

extension InferenceServiceSpec {
    static var schema: JSON {
        Schema.object(
            "Desired state of the InferenceService.",
            [
                ("model", ModelSpec.schema),
                ("image", Schema.string("Inference server image.", default: Defaults.image, minLength: 1, maxLength: 512)),
                ("resources", ResourceSpec.schema),
                ("nodeSelector", Schema.stringMap("Node labels the predictor pods must match.", maxProperties: 32)),
                ("tolerations", Schema.array("Tolerations of the predictor pods.", items: Toleration.schema, maxItems: 32)),
                ("serviceAccountName", Schema.string(
                    "The ServiceAccount the predictor pods run as, e.g. one bound to a cloud IAM role (EKS IRSA sets AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in its pods, which the model fetch exchanges for S3 credentials). Absent: the namespace's default.",
                    pattern: KubernetesName.dnsSubdomainPattern, minLength: 1, maxLength: 253)),
                ("env", Schema.array("Literal environment variables of the server container.", items: EnvVar.schema, maxItems: 64, mapKeys: ["name"])),
                ("batching", BatchingSpec.schema),
                ("replicas", ReplicasSpec.schema),
                ("autoscaling", AutoscalingSpec.schema),
                ("warmup", WarmupSpec.schema),
                ("canary", CanarySpec.schema),
            ],
            required: ["model"],
            rules: [
                ValidationRule(
                    "self.canary.model.name == self.model.name", reads: ["canary.model.name", "model.name"],
                    message: "canary.model.name must equal model.name: clients address both versions by the same name",
                    fieldPath: ".canary.model.name", reason: "FieldValueInvalid"),
                ValidationRule(
                    "self.replicas.max >= 2", reads: ["canary.model", "replicas.max"],
                    message: "a canary needs replicas.max of at least 2: each version keeps a replica while both take traffic",
                    fieldPath: ".replicas.max", reason: "FieldValueInvalid"),
                ValidationRule(
                    "self.autoscaling.rules.gpu.cap <= self.replicas.max", reads: ["autoscaling.rules.gpu.cap", "replicas.max"],
                    message: "autoscaling.rules.gpu.cap must not exceed replicas.max",
                    fieldPath: ".autoscaling.rules.gpu.cap", reason: "FieldValueInvalid"),
                ValidationRule(
                    "self.autoscaling.rules.latency.cap <= self.replicas.max", reads: ["autoscaling.rules.latency.cap", "replicas.max"],
                    message: "autoscaling.rules.latency.cap must not exceed replicas.max",
                    fieldPath: ".autoscaling.rules.latency.cap", reason: "FieldValueInvalid"),
                ValidationRule(
                    "self.autoscaling.onMetricsUnavailable.fallbackReplicas <= self.replicas.max",
                    reads: ["autoscaling.onMetricsUnavailable.fallbackReplicas", "replicas.max"],
                    message: "autoscaling.onMetricsUnavailable.fallbackReplicas must not exceed replicas.max",
                    fieldPath: ".autoscaling.onMetricsUnavailable.fallbackReplicas", reason: "FieldValueInvalid"),
            ])
    }
}

extension ModelSpec {
    static var schema: JSON {
        Schema.object(
            "The model to serve.",
            [
                ("name", Schema.string("Name clients use in /v2/models/{name}.", pattern: "^[A-Za-z0-9_.-]+$", minLength: 1, maxLength: 64)),
                ("uri", Schema.string(
                    "Where to fetch the model: pvc://<claim>/<path>, http(s)://..., file:///<path> for a model baked into the image, s3://<bucket>/<key> (or s3://<bucket>/<prefix>/ for every object under it), or hf://<org>/<repo>[/<path>][@<revision>].",
                    pattern: "^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]+$", minLength: 8, maxLength: 2048)),
                ("format", Schema.string("Model format.", default: Defaults.modelFormat.rawValue, enum: ModelFormat.allCases.map(\.rawValue))),
                ("loadTimeoutSeconds", Schema.integer(
                    "Seconds the server may take to load the model before the startup probe fails; default 120 on CPU, 300 with GPUs.",
                    range: Limits.loadTimeoutSeconds)),
                ("storage", ModelStorageSpec.schema),
            ],
            required: ["name", "uri"])
    }
}

extension ModelStorageSpec {
    static var schema: JSON {
        Schema.object(
            "Where and as whom s3:// and hf:// models are fetched.",
            [
                ("endpoint", Schema.string(
                    "http(s)://host[:port] of an S3-compatible store or a Hugging Face Hub mirror; default AWS S3 or https://huggingface.co.",
                    pattern: "^https?://[^\\s/@?#]+(/[^\\s@?#]*)?$", maxLength: 2048)),
                ("region", Schema.string("S3 region requests are signed for; default us-east-1.", pattern: "^[a-z0-9-]+$", minLength: 1, maxLength: 64)),
                ("pathStyle", Schema.boolean(
                    "S3 path-style addressing (endpoint/bucket/key); default on with an endpoint, off for AWS.")),
                ("credentialsSecretRef", Schema.object(
                    "Secret in this namespace with accessKeyId, secretAccessKey and optionally sessionToken (S3), or token (Hugging Face).",
                    [("name", Schema.string("Secret name.", minLength: 1, maxLength: 253))],
                    required: ["name"])),
            ])
    }
}

extension ResourceSpec {
    static var schema: JSON { schema(defaultEmpty: true) }

    /// `defaultEmpty: false` for the canary's copy, whose absence means "as the stable version".
    static func schema(defaultEmpty: Bool, description: String = "Resources of each replica.") -> JSON {
        Schema.object(
            description,
            [
                ("cpu", Schema.string("CPU request (a Kubernetes quantity, e.g. 2 or 500m).", pattern: Quantity.pattern, maxLength: 32)),
                ("memory", Schema.string("Memory request and limit (a Kubernetes quantity, e.g. 4Gi).", pattern: Quantity.pattern, maxLength: 32)),
                ("gpu", Schema.integer("GPUs per replica (the nvidia.com/gpu limit).", default: Defaults.gpu, range: Limits.gpu)),
            ],
            defaultEmpty: defaultEmpty)
    }
}

extension Toleration {
    static var schema: JSON {
        Schema.object(
            "A toleration, as in core/v1.",
            [
                ("key", Schema.string("Taint key; empty with operator Exists tolerates every taint.", maxLength: 316)),
                ("operator", Schema.string("Exists or Equal (default Equal).", enum: Operator.allCases.map(\.rawValue))),
                ("value", Schema.string("Taint value to match with operator Equal.", maxLength: 63)),
                ("effect", Schema.string("Taint effect to match; empty matches all.", enum: Effect.allCases.map(\.rawValue))),
                ("tolerationSeconds", Schema.integer(
                    "How long a NoExecute taint is tolerated.", range: Limits.tolerationSeconds, format: "int64")),
            ],
            rules: [
                ValidationRule(
                    "!has(self.operator) || self.operator != 'Exists' || !has(self.value)",
                    message: "value must be empty when operator is Exists", fieldPath: ".value", reason: "FieldValueInvalid"),
                ValidationRule(
                    "has(self.key) || (has(self.operator) && self.operator == 'Exists')",
                    message: "operator must be Exists when key is empty", fieldPath: ".operator", reason: "FieldValueInvalid"),
            ])
    }
}

extension EnvVar {
    static var schema: JSON {
        Schema.object(
            "An environment variable with a literal value.",
            [
                ("name", Schema.string("Variable name.", pattern: EnvVarName.pattern, minLength: 1, maxLength: 256)),
                ("value", Schema.string("Variable value.", maxLength: 32768)),
            ],
            required: ["name", "value"])
    }
}

extension BatchingSpec {
    static var schema: JSON { schema(defaultEmpty: true) }

    /// `defaultEmpty: false` for the canary's copy, whose absence means "as the stable version".
    static func schema(defaultEmpty: Bool, description: String = "The server's dynamic batcher.") -> JSON {
        Schema.object(
            description,
            [
                ("maxBatchSize", Schema.integer(
                    "Largest batch the server forms. Unset: measured on the pods' own hardware when they warm, then recorded in status.measuredBatching.",
                    range: Limits.maxBatchSize)),
                ("maxQueueDelayMs", Schema.integer(
                    "Longest a request waits for a batch to fill, in milliseconds.", default: Defaults.maxQueueDelayMs,
                    range: Limits.maxQueueDelayMs)),
                ("maxQueueSize", Schema.integer(
                    "Requests that may wait; beyond it the server answers 429.", default: Defaults.maxQueueSize,
                    range: Limits.maxQueueSize)),
            ],
            defaultEmpty: defaultEmpty)
    }
}

extension ReplicasSpec {
    static var schema: JSON {
        Schema.object(
            "Replica bounds.",
            [
                ("min", Schema.integer("Fewest replicas (also where the idle rule scales to).", default: Defaults.minReplicas, range: Limits.replicas)),
                ("max", Schema.integer("Most replicas.", default: Defaults.maxReplicas, range: Limits.replicas)),
                ("manual", Schema.integer(
                    "Replicas while autoscaling is Disabled, clamped into [min, max]; the scale subresource's spec.replicas (kubectl scale writes it). Ignored while autoscaling is Active or DryRun.",
                    default: Defaults.manualReplicas, range: Limits.replicas)),
            ],
            defaultEmpty: true,
            rules: [
                ValidationRule("self.min <= self.max", reads: ["min", "max"], message: "min must not exceed max", fieldPath: ".min", reason: "FieldValueInvalid")
            ])
    }
}

extension WarmupSpec {
    static var schema: JSON {
        Schema.object(
            "Warm-up of new pods when the image or GPU model changed.",
            [
                ("enabled", Schema.boolean("Run the model at each batch size before serving.", default: Defaults.warmupEnabled)),
                ("sampleInput", Schema.object(
                    "An inference request body ({\"inputs\": [...]}) to warm up with; default: zeros of the model's input shapes.",
                    [("inputs", Schema.array(
                        "Input tensors.", items: Schema.object("An input tensor.", [], preserveUnknownFields: true), maxItems: 64))],
                    required: ["inputs"], preserveUnknownFields: true)),
                ("probeDimensions", Schema.array(
                    "While the batcher is measured (batching.maxBatchSize unset): sizes of each input's dynamic dimensions after the batch, the last repeating ([128]: a sequence length; [224, 224]: an image); default [16].",
                    items: Schema.integer("A dimension's size.", range: Limits.probeDimension), minItems: 1, maxItems: Limits.maxProbeDimensions)),
            ],
            defaultEmpty: true)
    }
}
