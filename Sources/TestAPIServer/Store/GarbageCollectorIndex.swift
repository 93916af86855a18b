import JSONValue

/// Where one stored object lives.
struct ObjectRef: Hashable, Sendable {
    var storageKey: String
    var key: ObjectKey
}

/// Indexes the garbage collector needs, so deletions do not scan the store:
/// uid -> object, owner uid -> dependents, terminating objects, and objects
/// whose owners must be checked (new ownerReferences, or an owner removed).
struct GarbageCollectorIndex {
    var locations: [String: ObjectRef] = [:]
    var dependents: [String: Set<ObjectRef>] = [:]
    var terminating: Set<ObjectRef> = []
    var pending: Set<ObjectRef> = []

    static func uid(_ object: JSON) -> String? { object[path: "metadata", "uid"]?.stringValue }

    static func ownerUIDs(_ object: JSON) -> [String] {
        (object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).compactMap { $0["uid"]?.stringValue }
    }

    mutating func index(_ object: JSON, _ ref: ObjectRef) {
        if let uid = Self.uid(object) { locations[uid] = ref }
        let owners = Self.ownerUIDs(object)
        for owner in owners { dependents[owner, default: []].insert(ref) }
        if !owners.isEmpty { pending.insert(ref) }
        if object[path: "metadata", "deletionTimestamp"] != nil { terminating.insert(ref) }
    }

    mutating func unindex(_ object: JSON, _ ref: ObjectRef) {
        if let uid = Self.uid(object), locations[uid] == ref { locations[uid] = nil }
        for owner in Self.ownerUIDs(object) {
            dependents[owner]?.remove(ref)
            if dependents[owner]?.isEmpty == true { dependents[owner] = nil }
        }
        terminating.remove(ref)
        pending.remove(ref)
    }

    /// After an object is gone, its dependents need an owner check.
    mutating func ownerRemoved(_ object: JSON) {
        guard let uid = Self.uid(object) else { return }
        pending.formUnion(dependents[uid] ?? [])
    }
}
