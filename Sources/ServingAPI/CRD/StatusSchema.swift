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
            ])
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
