/// A candidate version rolled out beside the stable one (`spec.model` and its
/// pod settings) in traffic steps, promoted when every step's analysis passes
/// and rolled back at the first that fails. Absent: no canary; every edit is
/// an ordinary Deployment rollout.
///
/// Commands: `paused` holds the run (a state worth keeping in Git, like a
/// Deployment's `spec.paused`); promote-now and abort are one-shot decisions
/// about the current run, so they are the annotation
/// `Defaults.canaryActionAnnotation`, which the operator removes once it has
/// acted. As spec fields they would outlive their run: a `promote: true` left
/// in Git would promote the next candidate unexamined.
public struct CanarySpec: Codable, Sendable, Hashable {
    /// The candidate's model. Its `name` must equal `spec.model.name`: clients
    /// address both versions by the same name.
    public var model: ModelSpec
    /// The candidate's image; absent means `spec.image`.
    public var image: String?
    /// The candidate's batcher; absent means `spec.batching`.
    public var batching: BatchingSpec?
    /// The candidate's per-replica resources; absent means `spec.resources`.
    public var resources: ResourceSpec?
    /// The candidate's share of traffic at each step, percent, ascending, ending at 100.
    public var steps: [Int]
    /// Healthy time each step needs before the next.
    public var stepSeconds: Int
    /// How long the candidate may take to carry a step before the run is rolled back.
    public var progressDeadlineSeconds: Int
    /// Requests with the header `X-Canary: true` always go to the candidate.
    public var headerRoute: Bool
    /// Holds the run at its current step (weight kept, step clock stopped).
    public var paused: Bool
    public var analysis: CanaryAnalysisSpec
    /// A Gateway API Gateway to split traffic with (an HTTPRoute with weighted
    /// backends); absent means the split by replica shares (see `Rollout.TrafficSplit`).
    public var gatewayRef: GatewayReference?

    public init(model: ModelSpec, image: String? = nil, batching: BatchingSpec? = nil, resources: ResourceSpec? = nil,
                steps: [Int] = Defaults.canarySteps, stepSeconds: Int = Defaults.canaryStepSeconds,
                progressDeadlineSeconds: Int = Defaults.canaryProgressDeadlineSeconds, headerRoute: Bool = Defaults.canaryHeaderRoute,
                paused: Bool = false, analysis: CanaryAnalysisSpec = CanaryAnalysisSpec(), gatewayRef: GatewayReference? = nil) {
        self.model = model
        self.image = image
        self.batching = batching
        self.resources = resources
        self.steps = steps
        self.stepSeconds = stepSeconds
        self.progressDeadlineSeconds = progressDeadlineSeconds
        self.headerRoute = headerRoute
        self.paused = paused
        self.analysis = analysis
        self.gatewayRef = gatewayRef
    }

    enum CodingKeys: String, CodingKey {
        case model, image, batching, resources, steps, stepSeconds, progressDeadlineSeconds, headerRoute, paused, analysis, gatewayRef
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(ModelSpec.self, forKey: .model)
        image = try c.decodeIfPresent(String.self, forKey: .image)
        batching = try c.decodeIfPresent(BatchingSpec.self, forKey: .batching)
        resources = try c.decodeIfPresent(ResourceSpec.self, forKey: .resources)
        steps = try c.decodeIfPresent([Int].self, forKey: .steps) ?? Defaults.canarySteps
        stepSeconds = try c.decodeIfPresent(Int.self, forKey: .stepSeconds) ?? Defaults.canaryStepSeconds
        progressDeadlineSeconds = try c.decodeIfPresent(Int.self, forKey: .progressDeadlineSeconds) ?? Defaults.canaryProgressDeadlineSeconds
        headerRoute = try c.decodeIfPresent(Bool.self, forKey: .headerRoute) ?? Defaults.canaryHeaderRoute
        paused = try c.decodeIfPresent(Bool.self, forKey: .paused) ?? false
        analysis = try c.decodeIfPresent(CanaryAnalysisSpec.self, forKey: .analysis) ?? CanaryAnalysisSpec()
        gatewayRef = try c.decodeIfPresent(GatewayReference.self, forKey: .gatewayRef)
    }
}

/// The bounds the candidate's own signals must stay within at every step.
public struct CanaryAnalysisSpec: Codable, Sendable, Hashable {
    /// The candidate's p95 bound; absent means the latency rule's `thresholdMs`.
    public var maxP95Ms: Double?
    /// Failed requests over all requests the candidate answered in a step.
    public var maxErrorRatio: Double
    /// Requests per step before a verdict.
    public var minRequests: Int

    public init(maxP95Ms: Double? = nil, maxErrorRatio: Double = Defaults.canaryMaxErrorRatio, minRequests: Int = Defaults.canaryMinRequests) {
        self.maxP95Ms = maxP95Ms
        self.maxErrorRatio = maxErrorRatio
        self.minRequests = minRequests
    }

    enum CodingKeys: String, CodingKey { case maxP95Ms, maxErrorRatio, minRequests }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxP95Ms = try c.decodeIfPresent(Double.self, forKey: .maxP95Ms)
        maxErrorRatio = try c.decodeIfPresent(Double.self, forKey: .maxErrorRatio) ?? Defaults.canaryMaxErrorRatio
        minRequests = try c.decodeIfPresent(Int.self, forKey: .minRequests) ?? Defaults.canaryMinRequests
    }
}

/// A Gateway API `Gateway` (gateway.networking.k8s.io/v1) the canary's HTTPRoute attaches to.
public struct GatewayReference: Codable, Sendable, Hashable {
    public var name: String
    /// Absent means the InferenceService's namespace.
    public var namespace: String?
    /// A listener of the Gateway; absent means all that allow the route.
    public var sectionName: String?

    public init(name: String, namespace: String? = nil, sectionName: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.sectionName = sectionName
    }
}

extension InferenceServiceSpec {
    /// The candidate's full spec: this one with `canary`'s model and its
    /// image, batching and resources where given (everything else, such as
    /// node selector, tolerations, env and warmup, as the stable version).
    /// Nil without a canary.
    public var candidateSpec: InferenceServiceSpec? {
        guard let canary else { return nil }
        var spec = self
        spec.canary = nil
        spec.model = canary.model
        if let image = canary.image { spec.image = image }
        if let batching = canary.batching { spec.batching = batching }
        if let resources = canary.resources { spec.resources = resources }
        return spec
    }
}
