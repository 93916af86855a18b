import JSONValue

/// The InferenceService CustomResourceDefinition, generated from the Swift
/// types' schemas. `inference-operator crd` prints it; the checked-in copy
/// under `CRDs/` must match it (a test compares them).
public enum InferenceServiceCRD {
    public static var name: String { "\(Defaults.plural).\(Defaults.group)" }

    public static func definition() -> JSON {
        [
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": [
                "name": .string(name),
                "labels": ["app.kubernetes.io/name": "inference-operator", "app.kubernetes.io/part-of": "swiftinfer"],
            ],
            "spec": [
                "group": .string(Defaults.group),
                "names": [
                    "kind": .string(Defaults.kind),
                    "listKind": .string(Defaults.kind + "List"),
                    "plural": .string(Defaults.plural),
                    "singular": .string(Defaults.singular),
                    "shortNames": [.string(Defaults.shortName)],
                    "categories": ["all", "swiftinfer"],
                ],
                "scope": "Namespaced",
                "versions": [version],
            ],
        ]
    }

    /// The root schema of an object, with the rule on `metadata.name` that
    /// keeps `{name}-predictor` a valid Service name.
    public static var openAPIV3Schema: JSON {
        Schema.object(
            "An ONNX model served by inference-server replicas that the operator scales from p95 latency and GPU utilisation.",
            [
                ("apiVersion", Schema.string("APIVersion of this object.")),
                ("kind", Schema.string("Kind of this object.")),
                ("metadata", ["type": "object"]),
                ("spec", InferenceServiceSpec.schema),
                ("status", InferenceServiceStatus.schema),
            ],
            required: ["spec"],
            rules: [
                ValidationRule(
                    "size(self.metadata.name) <= \(Limits.maxNameLength) && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
                    reads: ["metadata.name"],
                    message: "metadata.name must start with a letter and be a DNS label of at most \(Limits.maxNameLength) characters, so that {name}-predictor is a valid Service name",
                    reason: "FieldValueInvalid")
            ])
    }

    static var version: JSON {
        [
            "name": .string(Defaults.version),
            "served": true,
            "storage": true,
            "schema": ["openAPIV3Schema": openAPIV3Schema],
            "subresources": [
                "status": [:],
                "scale": [
                    "specReplicasPath": ".spec.replicas.manual",
                    "statusReplicasPath": ".status.replicas",
                    "labelSelectorPath": ".status.selector",
                ],
            ],
            "additionalPrinterColumns": [
                column("Model", "string", ".spec.model.name", "Model name"),
                column("Mode", "string", ".spec.autoscaling.mode", "Autoscaling mode"),
                column("Ready", "integer", ".status.readyReplicas", "Ready replicas"),
                column("Desired", "integer", ".status.desiredReplicas", "Replicas the autoscaler wants"),
                column("P95", "number", ".status.observed.p95LatencyMs", "Observed p95 latency (ms)"),
                column("GPU", "number", ".status.observed.gpuUtilizationPercent", "Observed GPU utilisation (%)"),
                column("Canary", "integer", ".status.canary.weight", "The canary's share of traffic (%)"),
                column("Rollout", "string", ".status.canary.phase", "The canary run's phase"),
                column("Age", "date", ".metadata.creationTimestamp", nil),
            ],
        ]
    }

    private static func column(_ name: String, _ type: String, _ path: String, _ description: String?) -> JSON {
        var node = JSONObject()
        node["name"] = .string(name)
        node["type"] = .string(type)
        node["jsonPath"] = .string(path)
        if let description { node["description"] = .string(description) }
        return .object(node)
    }
}
