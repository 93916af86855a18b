import JSONValue

extension Cluster {
    /// Server-side apply (see `FieldOwnership` for the ownership model).
    func applyLocked(_ type: ResourceType, namespace: String?, name: String, config: JSON, existing: JSON?,
                     subresource: String?, options: WriteOptions) throws(APIError) -> WriteResult {
        guard case .object = config else { throw APIError.badRequest("apply configuration must be an object") }
        guard let manager = options.fieldManager, !manager.isEmpty else {
            throw APIError.badRequest("PATCH, application/apply-patch+yaml requires fieldManager to be set")
        }
        if let configName = config[path: "metadata", "name"]?.stringValue, configName != name {
            throw APIError.badRequest("the name of the object (\(configName)) does not match the name on the URL (\(name))")
        }
        try checkKind(config, type)
        guard config["apiVersion"] != nil, config["kind"] != nil else {
            throw APIError.badRequest("apply configuration must set apiVersion and kind")
        }
        var scoped = config
        if type.hasStatus {
            if subresource == "status" {
                scoped = ["apiVersion": config["apiVersion"] ?? .null, "kind": config["kind"] ?? .null,
                          "metadata": ["name": .string(name)], "status": config["status"] ?? .object([:])]
            } else {
                scoped["status"] = nil
            }
        }
        let time = timestampLocked()
        let outcome = FieldOwnership.apply(config: scoped, to: existing, manager: manager, apiVersion: type.groupVersion,
                                           subresource: subresource, force: options.force, time: time)
        switch outcome {
        case .failure(let conflicts):
            let causes: [JSON] = conflicts.map { conflict -> JSON in
                let cause: JSONObject = [
                    "reason": "FieldManagerConflict",
                    "message": .string("conflict with \(conflict.printedManager)"),
                    "field": .string(conflict.field)]
                return .object(cause)
            }
            throw APIError(code: 409, reason: "Conflict", message: Self.conflictMessage(conflicts),
                           details: .object(["causes": .array(causes)]))
        case .success(var merged):
            if let existing {
                let managed = merged[path: "metadata", "managedFields"] ?? .null
                merged["metadata"]?["resourceVersion"] = existing[path: "metadata", "resourceVersion"]
                if let rv = config[path: "metadata", "resourceVersion"] { merged["metadata"]?["resourceVersion"] = rv }
                return try commitLocked(type, old: existing, proposed: merged, subresource: subresource, options: options,
                                        ownership: .apply(managed))
            }
            if subresource != nil { throw APIError.notFound(type.plural, group: type.group, name: name) }
            return try createLocked(type, namespace: namespace, body: merged, options: options, applyManaged: true)
        }
    }

    /// fieldmanager `getConflictMessage`: one conflict on one line, several
    /// grouped by manager (sorted), one `- path` line each.
    static func conflictMessage(_ conflicts: [FieldOwnership.Conflict]) -> String {
        if conflicts.count == 1, let only = conflicts.first {
            return "Apply failed with 1 conflict: conflict with \(only.printedManager): \(only.field)"
        }
        let byManager = Dictionary(grouping: conflicts, by: \.printedManager)
        var lines: [String] = []
        for manager in byManager.keys.sorted() {
            lines.append("conflicts with \(manager):")
            lines += (byManager[manager] ?? []).map { "- \($0.field)" }
        }
        return "Apply failed with \(conflicts.count) conflicts: " + lines.joined(separator: "\n")
    }
}
