import JSONValue

extension AutoscalingSpec {
    static var schema: JSON {
        Schema.object(
            "How the operator scales the predictor from Prometheus signals.",
            [
                ("mode", Schema.string(
                    "Active scales; DryRun decides and records only; Disabled runs replicas.manual.",
                    default: Defaults.autoscalingMode.rawValue, enum: AutoscalingMode.allCases.map(\.rawValue))),
                ("intervalSeconds", Schema.integer(
                    "Seconds between decisions.", default: Defaults.intervalSeconds, range: Limits.intervalSeconds)),
                ("prometheus", PrometheusSpec.schema),
                ("queries", QueriesSpec.schema),
                ("rules", RulesSpec.schema),
                ("scaleDown", ScaleDownSpec.schema),
                ("onMetricsUnavailable", MetricsUnavailableSpec.schema),
            ],
            defaultEmpty: true,
            rules: [
                ValidationRule(
                    "self.rules.idle.afterSeconds >= self.intervalSeconds", reads: ["rules.idle.afterSeconds", "intervalSeconds"],
                    message: "rules.idle.afterSeconds must be at least intervalSeconds",
                    fieldPath: ".rules.idle.afterSeconds", reason: "FieldValueInvalid")
            ])
    }
}

extension PrometheusSpec {
    static var schema: JSON {
        Schema.object(
            "The Prometheus to query; absent means the operator's --prometheus-url.",
            [
                ("url", Schema.string("Base URL of the Prometheus HTTP API.", pattern: "^https?://[^\\s]+$", maxLength: 2048)),
                ("authSecretRef", Schema.object(
                    "Secret in this namespace with token (bearer) or username and password, and optionally ca.crt.",
                    [("name", Schema.string("Secret name.", minLength: 1, maxLength: 253))],
                    required: ["name"])),
            ],
            required: ["url"])
    }
}

extension QueriesSpec {
    static var schema: JSON {
        func query(_ description: String, _ value: String) -> JSON {
            Schema.string(
                description + " PromQL; {{namespace}} and {{name}} are replaced by the object's namespace and name.",
                default: value, minLength: Limits.queryLength.lowerBound, maxLength: Limits.queryLength.upperBound)
        }
        return Schema.object(
            "PromQL templates of the signals.",
            [
                ("p95Latency", query("p95 latency in seconds.", Defaults.p95LatencyQuery)),
                ("gpuUtilization", query("GPU utilisation in percent.", Defaults.gpuUtilizationQuery)),
                ("requestRate", query("Requests per second.", Defaults.requestRateQuery)),
            ],
            defaultEmpty: true)
    }
}

extension RulesSpec {
    static var schema: JSON {
        Schema.object(
            "The decision matrix.",
            [
                ("gpu", Schema.object(
                    "GPU utilisation above thresholdPercent adds step replicas, up to cap.",
                    [
                        ("enabled", Schema.boolean("Whether the rule runs.", default: true)),
                        ("thresholdPercent", Schema.number(
                            "Utilisation (percent) above which the rule fires.", default: Defaults.gpuThresholdPercent,
                            range: Limits.gpuThresholdPercent)),
                        ("step", Schema.integer("Replicas added.", default: Defaults.gpuStep, range: Limits.step)),
                        ("cap", Schema.integer("Most replicas this rule scales to (default \(Defaults.gpuCap), at most replicas.max).", range: Limits.replicas)),
                        ("coldStartTolerant", Schema.boolean(
                            "Whether the rule may fire while added replicas still start.", default: Defaults.gpuColdStartTolerant)),
                    ],
                    defaultEmpty: true)),
                ("latency", Schema.object(
                    "p95 above thresholdMs for consecutiveIntervals intervals adds step replicas, up to cap.",
                    [
                        ("enabled", Schema.boolean("Whether the rule runs.", default: true)),
                        ("thresholdMs", Schema.number(
                            "p95 latency (milliseconds) above which an interval counts as a breach.",
                            default: Defaults.latencyThresholdMs, range: Limits.latencyThresholdMs)),
                        ("consecutiveIntervals", Schema.integer(
                            "Breaching intervals in a row before the rule fires.", default: Defaults.latencyConsecutiveIntervals,
                            range: Limits.consecutiveIntervals)),
                        ("step", Schema.integer("Replicas added.", default: Defaults.latencyStep, range: Limits.step)),
                        ("cap", Schema.integer("Most replicas this rule scales to (default \(Defaults.latencyCap), at most replicas.max).", range: Limits.replicas)),
                        ("coldStartTolerant", Schema.boolean(
                            "Whether the rule may fire while added replicas still start.", default: Defaults.latencyColdStartTolerant)),
                    ],
                    defaultEmpty: true)),
                ("idle", Schema.object(
                    "No requests for afterSeconds scales to replicas.min.",
                    [
                        ("enabled", Schema.boolean("Whether the rule runs.", default: true)),
                        ("afterSeconds", Schema.integer(
                            "Seconds without requests before scaling to min.", default: Defaults.idleAfterSeconds,
                            range: Limits.idleAfterSeconds)),
                    ],
                    defaultEmpty: true)),
                ("requestRate", Schema.object(
                    "Rate-based scale-up with adaptive headroom and gradual scale-down; on when capacityPerReplicaRPS is set.",
                    [
                        ("capacityPerReplicaRPS", Schema.number(
                            "Requests per second one replica serves at full utilisation.", range: Limits.capacityPerReplicaRPS)),
                        ("targetUtilization", Schema.number(
                            "Utilisation to size for at first (0.65 when absent).", range: Limits.targetUtilization)),
                        ("adaptiveHeadroom", Schema.object(
                            "How observed p95 moves the utilisation sized for: down by lowerStep per window that would have been slow, up after raiseHorizonSeconds of windows that all but raiseSlowShare of would have met the threshold, within minUtilization..maxUtilization.",
                            [
                                ("enabled", Schema.boolean("Whether the utilisation adapts; off, targetUtilization holds.", default: true)),
                                ("minUtilization", Schema.number(
                                    "Lowest utilisation sized for.", default: Defaults.headroomMinUtilization,
                                    range: Limits.targetUtilization)),
                                ("maxUtilization", Schema.number(
                                    "Highest utilisation sized for.", default: Defaults.headroomMaxUtilization,
                                    range: Limits.targetUtilization)),
                                ("lowerStep", Schema.number(
                                    "Decrease per window that would have been slow.", default: Defaults.headroomLowerStep,
                                    range: Limits.headroomLowerStep)),
                                ("raiseHorizonSeconds", Schema.integer(
                                    "Evidence a raise needs, and how far back it looks.",
                                    default: Defaults.headroomRaiseHorizonSeconds, range: Limits.headroomRaiseHorizonSeconds)),
                                ("raiseSlowShare", Schema.number(
                                    "Share of the horizon's windows a raise may leave slow at the new utilisation.",
                                    default: Defaults.headroomRaiseSlowShare, range: Limits.headroomRaiseSlowShare)),
                            ],
                            defaultEmpty: true,
                            rules: [
                                ValidationRule(
                                    "self.minUtilization <= self.maxUtilization", reads: ["minUtilization", "maxUtilization"],
                                    message: "minUtilization must not exceed maxUtilization",
                                    fieldPath: ".minUtilization", reason: "FieldValueInvalid")
                            ])),
                    ],
                    defaultEmpty: true)),
                ("burst", Schema.object(
                    "Burst detection (with requestRate): a rate at least factor times its lowest reading of windowSeconds is sized for at once, and held holdSeconds.",
                    [
                        ("enabled", Schema.boolean("Whether the rule runs (only with requestRate.capacityPerReplicaRPS).", default: true)),
                        ("factor", Schema.number(
                            "Rise (times the lowest reading of the window) that counts as a burst.",
                            default: Defaults.burstFactor, range: Limits.burstFactor)),
                        ("windowSeconds", Schema.integer(
                            "Window of the detection, and of the request-rate query the projection fills.",
                            default: Defaults.burstWindowSeconds, range: Limits.burstWindowSeconds)),
                        ("holdSeconds", Schema.integer(
                            "After the last burst, scale-down keeps the highest rate-based size of this many seconds.",
                            default: Defaults.burstHoldSeconds, range: Limits.burstHoldSeconds)),
                    ],
                    defaultEmpty: true)),
            ],
            defaultEmpty: true)
    }
}

extension ScaleDownSpec {
    static var schema: JSON {
        Schema.object(
            "How replicas are removed (the idle rule excepted).",
            [
                ("stabilizationWindowSeconds", Schema.integer(
                    "A scale-down takes the highest recommendation of this trailing window.",
                    default: Defaults.scaleDownStabilizationWindowSeconds, range: Limits.stabilizationWindowSeconds)),
                ("maxStep", Schema.integer(
                    "Most replicas removed per interval.", default: Defaults.scaleDownMaxStep, range: Limits.scaleDownMaxStep)),
                ("minStabilizationWindowSeconds", Schema.integer(
                    "With requestRate the window adapts between this and stabilizationWindowSeconds (at or above it: it does not).",
                    default: Defaults.scaleDownMinStabilizationWindowSeconds, range: Limits.stabilizationWindowSeconds)),
            ],
            defaultEmpty: true)
    }
}

extension MetricsUnavailableSpec {
    static var schema: JSON {
        Schema.object(
            "What to do when a signal is missing or Prometheus is unreachable; replicas never go down on missing data.",
            [
                ("policy", Schema.string(
                    "Hold keeps replicas; Fallback raises them to fallbackReplicas.",
                    default: Defaults.onMetricsUnavailable.rawValue, enum: MetricsUnavailablePolicy.allCases.map(\.rawValue))),
                ("fallbackReplicas", Schema.integer("Replicas under Fallback (at most replicas.max).", range: Limits.replicas)),
            ],
            defaultEmpty: true,
            rules: [
                ValidationRule(
                    "self.policy == 'Fallback' ? has(self.fallbackReplicas) : !has(self.fallbackReplicas)", reads: ["policy"],
                    message: "fallbackReplicas is required with policy Fallback and not allowed otherwise",
                    fieldPath: ".fallbackReplicas", reason: "FieldValueInvalid")
            ])
    }
}
