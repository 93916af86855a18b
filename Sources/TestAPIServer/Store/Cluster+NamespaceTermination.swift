import JSONValue

extension Cluster {
    /// DELETE of a Namespace with `namespaceDeletionDelay`: it turns
    /// `Terminating` (deletionTimestamp, `status.phase`) and keeps its objects
    /// until `finishTerminatingNamespacesLocked` runs after the delay. A
    /// repeated DELETE answers the terminating Namespace unchanged. Creating
    /// objects in it is not refused (no NamespaceLifecycle admission).
    func beginNamespaceTerminationLocked(_ type: ResourceType, _ object: JSON) -> JSON {
        guard object[path: "metadata", "deletionTimestamp"] == nil else { return object }
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        var updated = object
        updated["metadata"]?["deletionTimestamp"] = .string(timestampLocked())
        updated["metadata"]?["deletionGracePeriodSeconds"] = 0
        updated["status"] = ["phase": "Terminating"]
        updated["metadata"]?["resourceVersion"] = .string(String(nextResourceVersionLocked()))
        storeLocked(type, Self.key(of: object, namespaced: false), updated, eventType: "MODIFIED", previous: object)
        terminatingNamespaces[name] = configuration.now() + configuration.namespaceDeletionDelay
        return updated
    }

    /// The namespace controller's pass: Namespaces whose delay has passed lose
    /// their objects (background propagation), then go themselves.
    func finishTerminatingNamespacesLocked() {
        guard !terminatingNamespaces.isEmpty, let type = typeLocked(storageKey: "namespaces") else { return }
        let now = configuration.now()
        for (name, finishAt) in terminatingNamespaces where finishAt <= now {
            terminatingNamespaces[name] = nil
            deleteNamespaceContentsLocked(name)
            removeLocked(type, ObjectKey(namespace: "", name: name))
        }
        collectGarbageLocked()
    }
}
