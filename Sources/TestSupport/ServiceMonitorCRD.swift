import JSONValue

/// A minimal stand-in for prometheus-operator's ServiceMonitor CRD (spec kept
/// as given), for tests that need the kind served (`--service-monitors`).
public let serviceMonitorCRD: JSON = [
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": ["name": "servicemonitors.monitoring.coreos.com"],
    "spec": [
        "group": "monitoring.coreos.com",
        "scope": "Namespaced",
        "names": ["plural": "servicemonitors", "singular": "servicemonitor", "kind": "ServiceMonitor", "listKind": "ServiceMonitorList"],
        "versions": [[
            "name": "v1", "served": true, "storage": true,
            "schema": ["openAPIV3Schema": ["type": "object", "properties": [
                "spec": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
            ]]],
        ]],
    ],
]
