import JSONValue

extension Cluster {
    static let foregroundFinalizer = "foregroundDeletion"
    static let orphanFinalizer = "orphan"

    /// Deletes an object. Without finalizers and with background (default)
    /// propagation it goes at once and the garbage collector then deletes
    /// dependents whose owners are all gone. Foreground and orphan add their
    /// finalizer and set `deletionTimestamp`; the object stays until the
    /// collector has deleted (foreground) or released (orphan) dependents.
    /// Returns the object when it stays or is custom, else a Success Status.
    public func delete(_ type: ResourceType, namespace: String?, name: String,
                       options: DeleteOptions = DeleteOptions()) throws(APIError) -> JSON {
        try locked { () throws(APIError) -> JSON in
            let object = try getLocked(type, namespace: namespace, name: name)
            let meta = object["metadata"]?.objectValue ?? [:]
            if let uid = options.preconditionUID, uid != meta["uid"]?.stringValue {
                throw APIError.conflict(type.plural, group: type.group, name: name,
                                        message: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(meta["uid"]?.stringValue ?? "")")
            }
            if let rv = options.preconditionResourceVersion, rv != meta["resourceVersion"]?.stringValue {
                throw APIError.conflict(type.plural, group: type.group, name: name,
                                        message: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(meta["resourceVersion"]?.stringValue ?? "")")
            }
            if options.dryRun { return object }
            let result = deleteLocked(type, object, propagation: options.propagation ?? .background)
            collectGarbageLocked()
            return result
        }
    }

    func deleteLocked(_ type: ResourceType, _ object: JSON, propagation: DeleteOptions.Propagation) -> JSON {
        let key = Self.key(of: object, namespaced: type.namespaced)
        var finalizers = object[path: "metadata", "finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let extra: String? = switch propagation {
        case .foreground: Self.foregroundFinalizer
        case .orphan: Self.orphanFinalizer
        case .background: nil
        }
        if let extra, !finalizers.contains(extra) { finalizers.append(extra) }
        if type.storageKey == "namespaces" && configuration.namespaceDeletionDelay > 0 {
            return beginNamespaceTerminationLocked(type, object)
        }
        if finalizers.isEmpty {
            if type.storageKey == "namespaces" { deleteNamespaceContentsLocked(key.name) }
            if type.storageKey == Self.crdStorageKey { deleteCustomResourcesLocked(object) }
            removeLocked(type, key)
            if type.isCustom { return object }
            return ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success",
                    "details": ["name": .string(key.name), "group": .string(type.group), "kind": .string(type.plural),
                                "uid": object[path: "metadata", "uid"] ?? .null]]
        }
        var updated = object
        updated["metadata"]?["finalizers"] = .array(finalizers.map(JSON.string))
        if updated[path: "metadata", "deletionTimestamp"] == nil {
            updated["metadata"]?["deletionTimestamp"] = .string(timestampLocked())
            updated["metadata"]?["deletionGracePeriodSeconds"] = 0
        }
        guard updated != object else { return object }
        updated["metadata"]?["resourceVersion"] = .string(String(nextResourceVersionLocked()))
        storeLocked(type, key, updated, eventType: "MODIFIED", previous: object)
        return updated
    }

    /// Deletes every object matching the selectors (DELETE on a collection).
    public func deleteCollection(_ type: ResourceType, namespace: String?, options: ListOptions,
                                 deleteOptions: DeleteOptions = DeleteOptions()) throws(APIError) -> JSON {
        let listed = try list(type, namespace: namespace, options: ListOptions(labelSelector: options.labelSelector, fieldSelector: options.fieldSelector))
        lock.withLock {
            if !deleteOptions.dryRun {
                for item in listed["items"]?.arrayValue ?? [] {
                    let key = Self.key(of: item, namespaced: type.namespaced)
                    if let current = objects[type.storageKey]?[key] {
                        _ = deleteLocked(type, current, propagation: deleteOptions.propagation ?? .background)
                    }
                }
                collectGarbageLocked()
            }
        }
        return listed
    }

    func deleteNamespaceContentsLocked(_ namespace: String) {
        for type in uniqueStorageTypesLocked() where type.namespaced {
            for (key, object) in objects[type.storageKey] ?? [:] where key.namespace == namespace {
                _ = deleteLocked(type, object, propagation: .background)
            }
        }
    }

    private func deleteCustomResourcesLocked(_ crd: JSON) {
        let served = CRDRegistration.resourceTypes(of: crd)
        guard let type = served.first else { return }
        for key in keysLocked(type.storageKey) { removeLocked(type, key) }
        types.removeAll { $0.isCustom && $0.storageKey == type.storageKey }
        // The resource is no longer served: its open watches end.
        for (id, watcher) in watchers where watcher.type.storageKey == type.storageKey {
            watcher.sink(.end)
            watchers[id] = nil
        }
    }

    func uniqueStorageTypesLocked() -> [ResourceType] {
        var seen = Set<String>()
        return types.filter { !$0.createOnly && seen.insert($0.storageKey).inserted }
    }

    /// The garbage collector, run synchronously after every deletion step
    /// and after writes that set ownerReferences, until nothing changes: finishes foreground and orphan deletions of
    /// terminating objects and deletes (background) objects whose owners
    /// are all gone. Works from indexes, so a step costs what it touches.
    func collectGarbageLocked() {
        var rounds = 0
        while rounds < 10_000 {
            rounds += 1
            var changed = false
            for ref in gc.terminating.sorted(by: { $0.key < $1.key }) {
                guard let object = objects[ref.storageKey]?[ref.key], let type = typeLocked(storageKey: ref.storageKey) else { continue }
                let uid = object[path: "metadata", "uid"]?.stringValue ?? ""
                let finalizers = object[path: "metadata", "finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if finalizers.contains(Self.foregroundFinalizer) {
                    for dep in gc.dependents[uid] ?? [] where !gc.terminating.contains(dep) {
                        if let depType = typeLocked(storageKey: dep.storageKey), let depObject = objects[dep.storageKey]?[dep.key] {
                            _ = deleteLocked(depType, depObject, propagation: .foreground)
                            changed = true
                        }
                    }
                    if gc.dependents[uid]?.isEmpty ?? true {
                        removeFinalizerLocked(type, ref.key, Self.foregroundFinalizer)
                        changed = true
                    }
                } else if finalizers.contains(Self.orphanFinalizer) {
                    for dep in gc.dependents[uid] ?? [] {
                        if let depType = typeLocked(storageKey: dep.storageKey) { releaseLocked(depType, dep.key, ownerUID: uid) }
                    }
                    removeFinalizerLocked(type, ref.key, Self.orphanFinalizer)
                    changed = true
                }
            }
            let queue = gc.pending
            gc.pending.removeAll()
            for ref in queue.sorted(by: { $0.key < $1.key }) {
                guard let object = objects[ref.storageKey]?[ref.key], object[path: "metadata", "deletionTimestamp"] == nil,
                      let type = typeLocked(storageKey: ref.storageKey),
                      let owners = object[path: "metadata", "ownerReferences"]?.arrayValue, !owners.isEmpty,
                      owners.allSatisfy({ gc.locations[$0["uid"]?.stringValue ?? ""] == nil }) else { continue }
                _ = deleteLocked(type, object, propagation: .background)
                changed = true
            }
            if !changed && gc.pending.isEmpty { break }
        }
    }

    private func removeFinalizerLocked(_ type: ResourceType, _ key: ObjectKey, _ finalizer: String) {
        guard let object = objects[type.storageKey]?[key] else { return }
        var updated = object
        let remaining = (object[path: "metadata", "finalizers"]?.arrayValue ?? []).filter { $0.stringValue != finalizer }
        updated["metadata"]?["finalizers"] = remaining.isEmpty ? nil : .array(remaining)
        if remaining.isEmpty {
            removeLocked(type, key)
        } else {
            updated["metadata"]?["resourceVersion"] = .string(String(nextResourceVersionLocked()))
            storeLocked(type, key, updated, eventType: "MODIFIED", previous: object)
        }
    }

    private func releaseLocked(_ type: ResourceType, _ key: ObjectKey, ownerUID: String) {
        guard let object = objects[type.storageKey]?[key] else { return }
        var updated = object
        let owners = (object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != ownerUID }
        updated["metadata"]?["ownerReferences"] = owners.isEmpty ? nil : .array(owners)
        updated["metadata"]?["resourceVersion"] = .string(String(nextResourceVersionLocked()))
        storeLocked(type, key, updated, eventType: "MODIFIED", previous: object)
    }
}
