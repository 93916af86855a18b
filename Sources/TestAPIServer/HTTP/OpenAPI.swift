import JSONValue

/// Just enough OpenAPI for kubectl: a v3 index and per-group-version
/// documents whose PATCH operations declare the `fieldValidation` query
/// parameter (so kubectl leaves validation to the server), and an empty v2
/// document (kubectl reads v2 as protobuf; an empty message is valid and
/// holds no schemas, so client-side validation has nothing to enforce).
enum OpenAPI {
    static func v3Index(_ types: [ResourceType]) -> JSON {
        var paths = JSONObject()
        var seen = Set<String>()
        for type in types where seen.insert(type.groupVersion).inserted {
            let prefix = type.group.isEmpty ? "api/\(type.version)" : "apis/\(type.group)/\(type.version)"
            paths[prefix] = ["serverRelativeURL": .string("/openapi/v3/\(prefix)")]
        }
        return ["paths": .object(paths)]
    }

    static func v3Document(group: String, version: String, _ types: [ResourceType]) -> JSON {
        var paths = JSONObject()
        for type in types where type.group == group && type.version == version && !type.createOnly {
            let base = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
            let path = type.namespaced ? "\(base)/namespaces/{namespace}/\(type.plural)/{name}" : "\(base)/\(type.plural)/{name}"
            let gvk: JSON = ["group": .string(group), "version": .string(version), "kind": .string(type.kind)]
            let parameters: JSON = [
                ["name": "fieldValidation", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "fieldManager", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
            ]
            paths[path] = ["patch": ["operationId": .string("patch\(type.kind)"), "x-kubernetes-group-version-kind": gvk,
                                     "x-kubernetes-action": "patch", "parameters": parameters,
                                     "responses": ["200": ["description": "OK"]]]]
        }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0"], "paths": .object(paths),
                "components": ["schemas": .object([:])]]
    }
}
