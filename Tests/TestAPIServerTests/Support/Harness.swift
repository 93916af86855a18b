import JSONValue
import TestAPIServer

/// Starts a server on a free 127.0.0.1 port for one test and stops it after.
func withServer<T>(_ configure: (inout TestAPIServer.Configuration) -> Void = { _ in },
                   _ body: (TestAPIServer, LoopbackClient) async throws -> T) async throws -> T {
    var configuration = TestAPIServer.Configuration()
    configure(&configuration)
    let server = TestAPIServer(configuration: configuration)
    let port = try await server.start()
    let client = LoopbackClient(port: port)
    do {
        let result = try await body(server, client)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

extension LoopbackClient.Response {
    /// The body as JSON (a `.null` when it is not JSON, so assertions fail clearly).
    var object: JSON { json ?? .null }
}

extension JSON {
    var rv: String { self[path: "metadata", "resourceVersion"]?.stringValue ?? "" }
}

enum Fixtures {
    static func configMap(_ name: String, labels: JSON = [:], data: JSON = ["k": "v"]) -> JSON {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "labels": labels], "data": data]
    }

    static func deployment(_ name: String, replicas: Int64 = 1, owner: JSON? = nil) -> JSON {
        var meta: JSONObject = ["name": .string(name), "labels": ["app": .string(name)]]
        if let owner { meta["ownerReferences"] = [owner] }
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": .object(meta),
                "spec": ["replicas": .int(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                         "template": ["metadata": ["labels": ["app": .string(name)]],
                                      "spec": ["containers": [["name": "server", "image": "inference-server:1"],
                                                              ["name": "sidecar", "image": "proxy:1"]]]]]]
    }

    static let crd: JSON = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "inferenceservices.serving.swiftinfer.io"],
        "spec": [
            "group": "serving.swiftinfer.io", "scope": "Namespaced",
            "names": ["plural": "inferenceservices", "singular": "inferenceservice", "kind": "InferenceService",
                      "shortNames": ["infsvc"], "categories": ["all"]],
            "versions": [[
                "name": "v1alpha1", "served": true, "storage": true,
                "subresources": ["status": [:], "scale": ["specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                                                          "labelSelectorPath": ".status.selector"]],
                "schema": ["openAPIV3Schema": [
                    "type": "object",
                    "properties": [
                        "spec": ["type": "object", "required": ["model"], "properties": [
                            "model": ["type": "string", "minLength": 1],
                            "replicas": ["type": "integer", "minimum": 0, "maximum": 16, "default": 2],
                            "mode": ["type": "string", "enum": ["Active", "DryRun"], "default": "Active"],
                            "gpu": ["type": "object", "default": [:], "properties": [
                                "targetUtilization": ["type": "number", "default": 85],
                            ]],
                            "labels": ["type": "object", "additionalProperties": ["type": "string"]],
                        ]],
                        "status": ["type": "object", "properties": [
                            "replicas": ["type": "integer"], "phase": ["type": "string"], "selector": ["type": "string"],
                        ]],
                    ],
                ]],
            ]],
        ],
    ]

    static func inferenceService(_ name: String, model: String = "resnet", extra: JSON = [:]) -> JSON {
        var spec: JSONObject = ["model": .string(model)]
        for (k, v) in extra.objectValue ?? [:] { spec[k] = v }
        return ["apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
                "metadata": ["name": .string(name)], "spec": .object(spec)]
    }

    static let configMaps = "/api/v1/namespaces/default/configmaps"
    static let deployments = "/apis/apps/v1/namespaces/default/deployments"
    static let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    static let inferenceServices = "/apis/serving.swiftinfer.io/v1alpha1/namespaces/default/inferenceservices"
}
