import JSONValue

extension CanarySpec {
    /// `steps` ascending without repeats and ending at 100. Standard CEL has no
    /// sortedness test (`isSorted` is a Kubernetes library function), so the
    /// neighbour comparisons are written out up to `Limits.canaryMaxSteps`.
    static var stepsRule: ValidationRule {
        let neighbours = (0..<(Limits.canaryMaxSteps - 1)).map { "(size(self) <= \($0 + 1) || self[\($0)] < self[\($0 + 1)])" }
        return ValidationRule(
            (["size(self) == 0 || self[size(self) - 1] == 100"] + neighbours).joined(separator: " && "),
            message: "steps must rise strictly and end at 100", reason: "FieldValueInvalid")
    }

    static var schema: JSON {
        Schema.object(
            "A candidate version rolled out beside the stable one in traffic steps, promoted when every step's analysis passes and rolled back at the first that fails. Pause with paused: true; promote now or abort with the annotation \(Defaults.canaryActionAnnotation)=promote|abort.",
            [
                ("model", ModelSpec.schema),
                ("image", Schema.string("The candidate's server image; default spec.image.", minLength: 1, maxLength: 512)),
                ("batching", BatchingSpec.schema(defaultEmpty: false, description: "The candidate's batcher; default spec.batching (when given, unset fields take the batcher defaults).")),
                ("resources", ResourceSpec.schema(defaultEmpty: false, description: "The candidate's per-replica resources; default spec.resources (when given, unset fields take the resource defaults).")),
                ("steps", Schema.array(
                    "The candidate's share of traffic at each step, in percent, rising to 100.",
                    items: Schema.integer("Percent of traffic.", range: Limits.canaryStepPercent),
                    minItems: 1, maxItems: Limits.canaryMaxSteps, default: Defaults.canarySteps.map { .int(Int64($0)) },
                    rules: [stepsRule])),
                ("stepSeconds", Schema.integer(
                    "Healthy time each step needs before the next, in seconds.", default: Defaults.canaryStepSeconds,
                    range: Limits.canaryStepSeconds)),
                ("progressDeadlineSeconds", Schema.integer(
                    "Seconds the candidate's replicas may take to carry a step before the run is rolled back.",
                    default: Defaults.canaryProgressDeadlineSeconds, range: Limits.canaryProgressDeadlineSeconds)),
                ("headerRoute", Schema.boolean("Requests with the header X-Canary: true always go to the candidate.", default: Defaults.canaryHeaderRoute)),
                ("paused", Schema.boolean("Holds the run at its current step: the weight stays, the step's clock stops.", default: false)),
                ("analysis", CanaryAnalysisSpec.schema),
                ("gatewayRef", GatewayReference.schema),
            ],
            required: ["model"])
    }
}

extension CanaryAnalysisSpec {
    static var schema: JSON {
        Schema.object(
            "The bounds the candidate's own signals must stay within at every step.",
            [
                ("maxP95Ms", Schema.number(
                    "The candidate's p95 latency bound in milliseconds; default the latency rule's thresholdMs.",
                    range: Limits.latencyThresholdMs)),
                ("maxErrorRatio", Schema.number(
                    "Failed requests over all requests the candidate answered in a step.", default: Defaults.canaryMaxErrorRatio,
                    range: Limits.canaryMaxErrorRatio)),
                ("minRequests", Schema.integer(
                    "Requests the candidate must answer in a step before the step can pass or fail on p95 or error ratio alone.",
                    default: Defaults.canaryMinRequests, range: Limits.canaryMinRequests)),
            ],
            defaultEmpty: true)
    }
}

extension GatewayReference {
    static var schema: JSON {
        Schema.object(
            "A Gateway API Gateway (gateway.networking.k8s.io/v1) to split traffic with; absent: the split follows the versions' replica shares.",
            [
                ("name", Schema.string("Gateway name.", pattern: KubernetesName.dnsSubdomainPattern, minLength: 1, maxLength: 253)),
                ("namespace", Schema.string("Gateway namespace; default the InferenceService's.", pattern: KubernetesName.dnsLabelPattern, minLength: 1, maxLength: 63)),
                ("sectionName", Schema.string("A listener of the Gateway.", pattern: KubernetesName.dnsSubdomainPattern, minLength: 1, maxLength: 253)),
            ],
            required: ["name"])
    }
}
