import JSONValue
import ModelSource

/// Checks what the CRD schema cannot (model URI schemes, PromQL templates)
/// and repeats the schema's ranges and CEL rules, so objects that reach the
/// operator without the API server's validation (tests, the simulator, an
/// older CRD) are judged the same way.
public enum InferenceServiceValidator {
    public static func validate(_ service: InferenceService) -> [FieldError] {
        var errors: [FieldError] = []
        let name = service.name
        if name.count > Limits.maxNameLength || !KubernetesName.isDNSLabel(name) || !(name.first?.isLetter ?? false) {
            errors.append(
                FieldError(
                    field: "metadata.name", reason: .invalidName,
                    message: "'\(name)' must start with a letter and be a DNS label of at most \(Limits.maxNameLength) "
                        + "characters, so that the Service '\(name)-predictor' is a valid DNS-1035 name"))
        }
        errors += validate(service.spec)
        return errors
    }

    public static func validate(_ spec: InferenceServiceSpec) -> [FieldError] {
        var v = Collector()
        validateModel(spec.model, at: "spec.model", into: &v)
        validateImage(spec.image, at: "spec.image", into: &v)
        validateResources(spec.resources, at: "spec.resources", into: &v)
        if let account = spec.serviceAccountName, account.count > 253 || !KubernetesName.isDNSSubdomain(account) {
            v.add("spec.serviceAccountName", .invalidValue, "'\(account.prefix(80))' is not a ServiceAccount name (a DNS subdomain)")
        }
        for (i, toleration) in spec.tolerations.enumerated() {
            if toleration.operator == .exists, toleration.value != nil {
                v.add("spec.tolerations[\(i)].value", .inconsistent, "must be empty when operator is Exists")
            }
            if toleration.key == nil, toleration.operator != .exists {
                v.add("spec.tolerations[\(i)].operator", .inconsistent, "must be Exists when key is empty")
            }
            if let seconds = toleration.tolerationSeconds {
                v.range("spec.tolerations[\(i)].tolerationSeconds", seconds, Limits.tolerationSeconds)
            }
        }
        var seenEnv: Set<String> = []
        for (i, variable) in spec.env.enumerated() {
            if !EnvVarName.isValid(variable.name) {
                v.add("spec.env[\(i)].name", .invalidValue, "'\(variable.name)' is not a valid environment variable name")
            } else if !seenEnv.insert(variable.name).inserted {
                v.add("spec.env[\(i)].name", .inconsistent, "'\(variable.name)' is set twice")
            }
        }
        validateBatching(spec.batching, at: "spec.batching", into: &v)
        // Replicas
        let replicas = spec.replicas
        v.range("spec.replicas.min", replicas.min, Limits.replicas)
        v.range("spec.replicas.max", replicas.max, Limits.replicas)
        if replicas.min > replicas.max {
            v.add("spec.replicas.min", .inconsistent, "min (\(replicas.min)) must not exceed max (\(replicas.max))")
        }
        v.range("spec.replicas.manual", replicas.manual, Limits.replicas)
        errorsForAutoscaling(spec.autoscaling, maxReplicas: replicas.max, into: &v)
        // Warmup
        if let dimensions = spec.warmup.probeDimensions {
            if dimensions.isEmpty || dimensions.count > Limits.maxProbeDimensions {
                v.add("spec.warmup.probeDimensions", .outOfRange, "has \(dimensions.count) sizes; 1...\(Limits.maxProbeDimensions) are allowed")
            }
            for (i, size) in dimensions.enumerated() { v.range("spec.warmup.probeDimensions[\(i)]", size, Limits.probeDimension) }
        }
        if let sample = spec.warmup.sampleInput, sample["inputs"]?.arrayValue == nil {
            v.add("spec.warmup.sampleInput", .invalidValue, "must be an inference request body with an 'inputs' array")
        }
        if let canary = spec.canary {
            validateCanary(canary, stableModelName: spec.model.name, into: &v)
            if spec.replicas.max < 2 {
                v.add("spec.replicas.max", .inconsistent,
                      "\(spec.replicas.max) is too few for a canary: each version keeps a replica while both take traffic, so it needs at least 2")
            }
        }
        return v.errors
    }

    private static func validateModel(_ model: ModelSpec, at path: String, into v: inout Collector) {
        if model.name.isEmpty || model.name.count > 64
            || !model.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) })
        {
            v.add("\(path).name", .invalidValue, "'\(model.name)' must be 1-64 letters, digits, '_', '.' or '-'")
        }
        switch ModelURI.parse(model.uri) {
        case .success(let uri): validateStorage(model.storage, for: uri, at: "\(path).storage", into: &v)
        case .failure(let error):
            v.add("\(path).uri", error.unsupportedScheme ? .unsupportedModelURI : .invalidModelURI, error.description)
        }
        if let timeout = model.loadTimeoutSeconds { v.range("\(path).loadTimeoutSeconds", timeout, Limits.loadTimeoutSeconds) }
    }

    private static func validateImage(_ image: String, at path: String, into v: inout Collector) {
        if image.isEmpty || image.contains(where: { $0.isWhitespace }) {
            v.add(path, .invalidValue, "'\(image)' is not an image reference")
        }
    }

    private static func validateResources(_ resources: ResourceSpec, at path: String, into v: inout Collector) {
        if let cpu = resources.cpu, !Quantity.isValid(cpu) {
            v.add("\(path).cpu", .invalidValue, "'\(cpu)' is not a Kubernetes quantity (e.g. 500m, 2)")
        }
        if let memory = resources.memory, !Quantity.isValid(memory) {
            v.add("\(path).memory", .invalidValue, "'\(memory)' is not a Kubernetes quantity (e.g. 4Gi)")
        }
        v.range("\(path).gpu", resources.gpu, Limits.gpu)
    }

    private static func validateBatching(_ batching: BatchingSpec, at path: String, into v: inout Collector) {
        if let size = batching.maxBatchSize { v.range("\(path).maxBatchSize", size, Limits.maxBatchSize) }
        v.range("\(path).maxQueueDelayMs", batching.maxQueueDelayMs, Limits.maxQueueDelayMs)
        v.range("\(path).maxQueueSize", batching.maxQueueSize, Limits.maxQueueSize)
    }

    private static func validateCanary(_ canary: CanarySpec, stableModelName: String, into v: inout Collector) {
        validateModel(canary.model, at: "spec.canary.model", into: &v)
        if canary.model.name != stableModelName {
            v.add("spec.canary.model.name", .inconsistent,
                  "'\(canary.model.name)' must equal model.name ('\(stableModelName)'): clients address both versions by the same name")
        }
        if let image = canary.image { validateImage(image, at: "spec.canary.image", into: &v) }
        if let resources = canary.resources { validateResources(resources, at: "spec.canary.resources", into: &v) }
        if let batching = canary.batching { validateBatching(batching, at: "spec.canary.batching", into: &v) }
        if canary.steps.isEmpty || canary.steps.count > Limits.canaryMaxSteps {
            v.add("spec.canary.steps", .outOfRange, "must have 1 to \(Limits.canaryMaxSteps) steps, not \(canary.steps.count)")
        }
        for (i, step) in canary.steps.enumerated() { v.range("spec.canary.steps[\(i)]", step, Limits.canaryStepPercent) }
        if !zip(canary.steps, canary.steps.dropFirst()).allSatisfy({ $0 < $1 }) || canary.steps.last.map({ $0 != 100 }) == true {
            v.add("spec.canary.steps", .inconsistent, "\(canary.steps) must rise strictly and end at 100")
        }
        v.range("spec.canary.stepSeconds", canary.stepSeconds, Limits.canaryStepSeconds)
        v.range("spec.canary.progressDeadlineSeconds", canary.progressDeadlineSeconds, Limits.canaryProgressDeadlineSeconds)
        if let p95 = canary.analysis.maxP95Ms { v.range("spec.canary.analysis.maxP95Ms", p95, Limits.latencyThresholdMs) }
        v.range("spec.canary.analysis.maxErrorRatio", canary.analysis.maxErrorRatio, Limits.canaryMaxErrorRatio)
        v.range("spec.canary.analysis.minRequests", canary.analysis.minRequests, Limits.canaryMinRequests)
        if let gateway = canary.gatewayRef {
            if !KubernetesName.isDNSSubdomain(gateway.name) {
                v.add("spec.canary.gatewayRef.name", .invalidValue, "'\(gateway.name)' is not a Gateway name")
            }
            if let namespace = gateway.namespace, !KubernetesName.isDNSLabel(namespace) {
                v.add("spec.canary.gatewayRef.namespace", .invalidValue, "'\(namespace)' is not a namespace name")
            }
            if let section = gateway.sectionName, !KubernetesName.isDNSSubdomain(section) {
                v.add("spec.canary.gatewayRef.sectionName", .invalidValue, "'\(section)' is not a listener name")
            }
        }
    }

    /// `spec.model.storage` applies to s3:// and hf:// only; region and
    /// pathStyle to s3:// only.
    private static func validateStorage(_ storage: ModelStorageSpec?, for uri: ModelURI, at path: String, into v: inout Collector) {
        guard let storage else { return }
        guard uri.usesStorageSettings else {
            v.add("\(path)", .inconsistent, "applies only to s3:// and hf:// model URIs")
            return
        }
        if let endpoint = storage.endpoint {
            do {
                _ = try EndpointURL.parse(endpoint)
            } catch {
                v.add("\(path).endpoint", .invalidValue, error.description)
            }
        }
        if case .huggingFace = uri {
            if storage.region != nil { v.add("\(path).region", .inconsistent, "applies only to s3:// model URIs") }
            if storage.pathStyle != nil { v.add("\(path).pathStyle", .inconsistent, "applies only to s3:// model URIs") }
        }
        if let region = storage.region,
           region.isEmpty || !region.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        {
            v.add("\(path).region", .invalidValue, "'\(region)' may contain only lowercase letters, digits and '-'")
        }
        if let secret = storage.credentialsSecretRef, !KubernetesName.isDNSSubdomain(secret.name) {
            v.add("\(path).credentialsSecretRef.name", .invalidValue, "'\(secret.name)' is not a Secret name")
        }
    }

    private static func errorsForAutoscaling(_ a: AutoscalingSpec, maxReplicas: Int, into v: inout Collector) {
        v.range("spec.autoscaling.intervalSeconds", a.intervalSeconds, Limits.intervalSeconds)
        if let prometheus = a.prometheus {
            if !(prometheus.url.hasPrefix("http://") || prometheus.url.hasPrefix("https://")) || prometheus.url.count < 9 {
                v.add("spec.autoscaling.prometheus.url", .invalidValue, "'\(prometheus.url)' must be an http:// or https:// URL")
            }
            if let secret = prometheus.authSecretRef, !KubernetesName.isDNSSubdomain(secret.name) {
                v.add("spec.autoscaling.prometheus.authSecretRef.name", .invalidValue, "'\(secret.name)' is not a Secret name")
            }
        }
        for (field, text) in [
            ("p95Latency", a.queries.p95Latency), ("gpuUtilization", a.queries.gpuUtilization),
            ("requestRate", a.queries.requestRate),
        ] {
            let path = "spec.autoscaling.queries.\(field)"
            if text.count > Limits.queryLength.upperBound {
                v.add(path, .outOfRange, "is longer than \(Limits.queryLength.upperBound) characters")
            } else if let problem = PromQLTemplate(text).check() {
                v.add(path, .invalidPromQLTemplate, "PromQL template \(problem)")
            }
        }
        let gpu = a.rules.gpu
        v.range("spec.autoscaling.rules.gpu.thresholdPercent", gpu.thresholdPercent, Limits.gpuThresholdPercent)
        v.range("spec.autoscaling.rules.gpu.step", gpu.step, Limits.step)
        if let cap = gpu.cap {
            v.range("spec.autoscaling.rules.gpu.cap", cap, Limits.replicas)
            if cap > maxReplicas {
                v.add("spec.autoscaling.rules.gpu.cap", .inconsistent, "cap (\(cap)) must not exceed replicas.max (\(maxReplicas))")
            }
        }
        let latency = a.rules.latency
        v.range("spec.autoscaling.rules.latency.thresholdMs", latency.thresholdMs, Limits.latencyThresholdMs)
        v.range("spec.autoscaling.rules.latency.consecutiveIntervals", latency.consecutiveIntervals, Limits.consecutiveIntervals)
        v.range("spec.autoscaling.rules.latency.step", latency.step, Limits.step)
        if let cap = latency.cap {
            v.range("spec.autoscaling.rules.latency.cap", cap, Limits.replicas)
            if cap > maxReplicas {
                v.add("spec.autoscaling.rules.latency.cap", .inconsistent, "cap (\(cap)) must not exceed replicas.max (\(maxReplicas))")
            }
        }
        v.range("spec.autoscaling.rules.idle.afterSeconds", a.rules.idle.afterSeconds, Limits.idleAfterSeconds)
        if let capacity = a.rules.requestRate.capacityPerReplicaRPS {
            v.range("spec.autoscaling.rules.requestRate.capacityPerReplicaRPS", capacity, Limits.capacityPerReplicaRPS)
        }
        if let target = a.rules.requestRate.targetUtilization {
            v.range("spec.autoscaling.rules.requestRate.targetUtilization", target, Limits.targetUtilization)
        }
        let headroom = a.rules.requestRate.adaptiveHeadroom
        v.range("spec.autoscaling.rules.requestRate.adaptiveHeadroom.minUtilization", headroom.minUtilization, Limits.targetUtilization)
        v.range("spec.autoscaling.rules.requestRate.adaptiveHeadroom.maxUtilization", headroom.maxUtilization, Limits.targetUtilization)
        v.range("spec.autoscaling.rules.requestRate.adaptiveHeadroom.lowerStep", headroom.lowerStep, Limits.headroomLowerStep)
        v.range("spec.autoscaling.rules.requestRate.adaptiveHeadroom.raiseHorizonSeconds", headroom.raiseHorizonSeconds,
                Limits.headroomRaiseHorizonSeconds)
        v.range("spec.autoscaling.rules.requestRate.adaptiveHeadroom.raiseSlowShare", headroom.raiseSlowShare,
                Limits.headroomRaiseSlowShare)
        if headroom.minUtilization > headroom.maxUtilization {
            v.add("spec.autoscaling.rules.requestRate.adaptiveHeadroom.minUtilization", .inconsistent,
                  "\(headroom.minUtilization) must not exceed maxUtilization (\(headroom.maxUtilization))")
        }
        v.range("spec.autoscaling.rules.burst.factor", a.rules.burst.factor, Limits.burstFactor)
        v.range("spec.autoscaling.rules.burst.windowSeconds", a.rules.burst.windowSeconds, Limits.burstWindowSeconds)
        v.range("spec.autoscaling.rules.burst.holdSeconds", a.rules.burst.holdSeconds, Limits.burstHoldSeconds)
        if a.rules.idle.afterSeconds < a.intervalSeconds {
            v.add(
                "spec.autoscaling.rules.idle.afterSeconds", .inconsistent,
                "\(a.rules.idle.afterSeconds) must be at least intervalSeconds (\(a.intervalSeconds))")
        }
        v.range(
            "spec.autoscaling.scaleDown.stabilizationWindowSeconds", a.scaleDown.stabilizationWindowSeconds,
            Limits.stabilizationWindowSeconds)
        v.range("spec.autoscaling.scaleDown.maxStep", a.scaleDown.maxStep, Limits.scaleDownMaxStep)
        v.range("spec.autoscaling.scaleDown.minStabilizationWindowSeconds", a.scaleDown.minStabilizationWindowSeconds,
                Limits.stabilizationWindowSeconds)

        let unavailable = a.onMetricsUnavailable
        switch (unavailable.policy, unavailable.fallbackReplicas) {
        case (.fallback, nil):
            v.add("spec.autoscaling.onMetricsUnavailable.fallbackReplicas", .required, "is required when policy is Fallback")
        case (.fallback, let replicas?):
            if replicas < Limits.replicas.lowerBound || replicas > maxReplicas {
                v.add(
                    "spec.autoscaling.onMetricsUnavailable.fallbackReplicas", .outOfRange,
                    "\(replicas) must be between \(Limits.replicas.lowerBound) and replicas.max (\(maxReplicas))")
            }
        case (.hold, _?):
            v.add("spec.autoscaling.onMetricsUnavailable.fallbackReplicas", .inconsistent, "is only allowed when policy is Fallback")
        case (.hold, nil): break
        }
    }

    private struct Collector {
        var errors: [FieldError] = []

        mutating func add(_ field: String, _ reason: FieldError.Reason, _ message: String) {
            errors.append(FieldError(field: field, reason: reason, message: message))
        }

        mutating func range<T: Comparable>(_ field: String, _ value: T, _ limits: ClosedRange<T>) {
            if !limits.contains(value) {
                add(field, .outOfRange, "\(value) is outside \(limits.lowerBound)...\(limits.upperBound)")
            }
        }
    }
}
