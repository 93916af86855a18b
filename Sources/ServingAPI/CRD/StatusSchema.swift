import JSONValue

extension InferenceServiceStatus {
    static var schema: JSON {
        let time = { (d: String) in Schema.string(d, format: "date-time") }
        return Schema.object(
            "Observed state, written by the operator.",
            [
                ("observedGeneration", Schema.integer("The spec generation this status describes.", format: "int64")),
                ("replicas", Schema.integer("Pods of the predictor Deployment.")),
                ("readyReplicas", Schema.integer("Ready pods of the predictor Deployment.")),
                ("desiredReplicas", Schema.integer("Replicas the autoscaler wants (in DryRun: would set).")),
                ("selector", Schema.string("Label selector of the predictor pods (for the scale subresource).", maxLength: 1024)),
                ("conditions", Schema.array(
                    "Ready, ScalingActive, MetricsAvailable and WarmupComplete.", items: Condition.schema, maxItems: 16,
                    mapKeys: ["type"])),
                ("observed", Schema.object(
                    "Latest signal values; absent means no data.",
                    [
                        ("p95LatencyMs", Schema.number("p95 latency in milliseconds.")),
                        ("gpuUtilizationPercent", Schema.number("Mean GPU utilisation in percent.")),
                        ("requestsPerSecond", Schema.number("Request rate.")),
                        ("time", time("When the values were read.")),
                    ])),
                ("breaches", Schema.object(
                    "Consecutive intervals each threshold has been exceeded.",
                    [
                        ("latency", Schema.integer("Intervals in a row with p95 above the latency threshold.")),
                        ("gpu", Schema.integer("Intervals in a row with GPU utilisation above its threshold.")),
                    ])),
                ("idleSince", time("Since when no requests arrive; absent while there is traffic.")),
                ("lastScaleTime", time("When replicas last changed.")),
                ("recentDecisions", Schema.array(
                    "The latest scaling decisions, newest last.",
                    items: Schema.object(
                        "A scaling decision.",
                        [
                            ("time", time("When it was decided.")),
                            ("from", Schema.integer("Replicas before.")),
                            ("to", Schema.integer("Replicas after (or that DryRun would set).")),
                            ("rule", Schema.string("The rule that decided.", maxLength: 64)),
                            ("reason", Schema.string("Why, for people.", maxLength: 1024)),
                        ],
                        required: ["time", "from", "to", "rule", "reason"]),
                    maxItems: Defaults.maxRecentDecisions)),
                ("warmedFingerprint", Schema.string("Image and GPU model the pods were last warmed for.", maxLength: 128)),
                ("learned", Schema.object(
                    "What the autoscaler calibrated from this object's signals; restored after an operator restart.",
                    [
                        ("targetUtilization", Schema.number("Share of each replica's capacity the request-rate rule sizes for.")),
                        ("scaleDownWindowSeconds", Schema.number("The adaptive scale-down stabilisation window.")),
                    ])),
                ("canary", CanaryStatus.schema),
                ("model", ModelStatus.schema),
                ("measuredBatching", MeasuredBatching.schema),
            ])
    }
}

extension CanaryStatus {
    static var schema: JSON {
        let time = { (d: String) in Schema.string(d, format: "date-time") }
        return Schema.object(
            "The current or last canary run; the operator continues it from here after a restart.",
            [
                ("candidate", Schema.string("Fingerprint of the candidate this run is for.", maxLength: 128)),
                ("phase", Schema.string("Progressing, Paused, Promoted, RolledBack or Aborted.", maxLength: 32)),
                ("step", Schema.integer("The current step, counting from 1.")),
                ("weight", Schema.integer("The candidate's share of traffic in effect, in percent.")),
                ("stepStartedAt", time("When the current step began.")),
                ("trafficSince", time("When the current step's traffic took effect.")),
                ("waitingSince", time("Since when the candidate has not carried the current step.")),
                ("healthySeconds", Schema.number("Healthy, unpaused seconds at the current step.")),
                ("lastEvaluatedAt", time("The last evaluation.")),
                ("accruing", Schema.boolean("Whether the time until the next evaluation counts toward healthySeconds.")),
                ("candidateSignals", VersionSignals.schema("The candidate's signals at the current step.")),
                ("stableSignals", VersionSignals.schema("The stable version's signals over the same window.")),
                ("history", Schema.array(
                    "Finished steps, oldest first.",
                    items: Schema.object(
                        "A finished step.",
                        [
                            ("weight", Schema.integer("The candidate's share of traffic at the step, in percent.")),
                            ("startedAt", time("When the step began.")),
                            ("endedAt", time("When it ended.")),
                            ("outcome", Schema.string("Passed, Failed, Aborted or Promoted.", maxLength: 32)),
                            ("signals", VersionSignals.schema("The candidate's last signals at the step.")),
                        ],
                        required: ["weight", "startedAt", "endedAt", "outcome"]),
                    maxItems: Limits.canaryMaxSteps + 1)),
                ("verdict", Schema.string("Why the run ended without promotion, with the figures that failed.", maxLength: 1024)),
                ("ignoredAction", Schema.string(
                    "A canary-action annotation already on the object when this run started (left from an earlier run): ignored until it is removed or changed.",
                    maxLength: 32)),
                ("costRatio", Schema.number(
                    "The candidate's compute time per request over the stable version's, as last measured; behind a Gateway the versions are sized by their shares of the work.")),
            ],
            required: ["candidate", "phase", "step", "weight", "healthySeconds"])
    }
}

extension VersionSignals {
    static func schema(_ description: String) -> JSON {
        Schema.object(
            description,
            [
                ("p95LatencyMs", Schema.number("p95 latency over the analysis window, in milliseconds.")),
                ("requests", Schema.number("Requests answered since the step's traffic took effect.")),
                ("errors", Schema.number("Of those, the failed ones.")),
                ("errorRatio", Schema.number("errors / requests.")),
                ("computeMsPerRequest", Schema.number("Model compute time per answered request over the last minute, in milliseconds.")),
                ("clientErrors", Schema.number("Of the requests, those refused as the client's fault (HTTP 4xx other than 429).")),
            ],
            required: ["requests", "errors", "errorRatio"])
    }
}

extension Condition {
    /// `metav1.Condition` as Kubernetes publishes it.
    static var schema: JSON {
        Schema.object(
            "A metav1.Condition.",
            [
                ("type", Schema.string("Condition type, CamelCase.", pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$", maxLength: 316)),
                ("status", Schema.string("True, False or Unknown.", enum: Condition.Status.allCases.map(\.rawValue))),
                ("observedGeneration", Schema.integer("The generation the condition was set for.", format: "int64")),
                ("lastTransitionTime", Schema.string("When the status last changed.", format: "date-time")),
                ("reason", Schema.string("CamelCase reason.", pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$", minLength: 1, maxLength: 1024)),
                ("message", Schema.string("Human-readable details.", maxLength: 32768)),
            ],
            required: ["type", "status", "lastTransitionTime", "reason", "message"])
    }
}
