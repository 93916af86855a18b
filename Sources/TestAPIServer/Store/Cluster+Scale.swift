import JSONValue

/// The scale subresource (`autoscaling/v1 Scale`) over a resource's replica paths.
extension Cluster {
    static func segments(_ path: String) -> [String] {
        path.split(separator: ".").map(String.init)
    }

    static func value(at path: String, in object: JSON) -> JSON? {
        var current: JSON? = object
        for key in segments(path) { current = current?[key] }
        return current
    }

    static func setting(_ value: JSON, at path: String, in object: JSON) -> JSON {
        func set(_ node: JSON, _ keys: ArraySlice<String>) -> JSON {
            guard let first = keys.first else { return value }
            var o = node.objectValue ?? [:]
            o[first] = set(o[first] ?? .object([:]), keys.dropFirst())
            return .object(o)
        }
        return set(object, segments(path)[...])
    }

    static func scale(of object: JSON, mapping: ScaleMapping) -> JSON {
        let meta = object["metadata"]?.objectValue ?? [:]
        var scaleMeta = JSONObject()
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { scaleMeta[key] = meta[key] }
        var status: JSONObject = ["replicas": value(at: mapping.statusReplicasPath, in: object) ?? 0]
        if let selectorPath = mapping.labelSelectorPath, let selector = value(at: selectorPath, in: object) {
            status["selector"] = .string(selectorString(selector))
        }
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(scaleMeta),
                "spec": ["replicas": value(at: mapping.specReplicasPath, in: object) ?? 0], "status": .object(status)]
    }

    /// A label selector object (`matchLabels`/`matchExpressions`) or string as selector text.
    static func selectorString(_ selector: JSON) -> String {
        if case .string(let s) = selector { return s }
        var parts: [String] = []
        for (k, v) in selector["matchLabels"]?.objectValue ?? [:] { parts.append("\(k)=\(v.stringValue ?? "")") }
        for e in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = e["key"]?.stringValue ?? ""
            let values = (e["values"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
            switch e["operator"]?.stringValue {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: break
            }
        }
        return parts.joined(separator: ",")
    }

    public func getScale(_ type: ResourceType, namespace: String?, name: String) throws(APIError) -> JSON {
        guard let mapping = type.scale else { throw APIError.notFound(type.plural + "/scale", group: type.group, name: name) }
        return Self.scale(of: try get(type, namespace: namespace, name: name), mapping: mapping)
    }

    /// Writes a Scale (from PUT, or from a patch applied to the current
    /// Scale): only `spec.replicas` reaches the object, through the main
    /// resource's rules (generation bump, RV check).
    public func updateScale(_ type: ResourceType, namespace: String?, name: String, patchType: PatchType?, body: JSON,
                            options: WriteOptions = WriteOptions()) throws(APIError) -> WriteResult {
        guard let mapping = type.scale else { throw APIError.notFound(type.plural + "/scale", group: type.group, name: name) }
        return try locked { () throws(APIError) -> WriteResult in
            let old = try getLocked(type, namespace: namespace, name: name)
            let current = Self.scale(of: old, mapping: mapping)
            let desired: JSON
            switch patchType {
            case nil: desired = body
            case .merge?: desired = Patches.mergePatch(current, body)
            case .json?: desired = try Patches.jsonPatch(current, body)
            case .strategic?: desired = Patches.strategicMergePatch(current, body)
            case .apply?: desired = FieldOwnership.merging(body, into: current)
            }
            guard let replicas = desired[path: "spec", "replicas"]?.intValue, replicas >= 0 else {
                throw APIError.invalid(kind: "Scale", group: "autoscaling", name: name, errors: [
                    .invalid("spec.replicas", desired[path: "spec", "replicas"] ?? .null, "must be a non-negative integer")])
            }
            var proposed = Self.setting(.int(replicas), at: mapping.specReplicasPath, in: old)
            proposed["metadata"]?["resourceVersion"] = desired[path: "metadata", "resourceVersion"] ?? old[path: "metadata", "resourceVersion"]
            let result = try commitLocked(type, old: old, proposed: proposed, subresource: "scale", options: options, ownership: .update)
            return WriteResult(object: Self.scale(of: result.object, mapping: mapping), code: 200, warnings: result.warnings)
        }
    }
}
