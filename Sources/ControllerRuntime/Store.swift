import KubeAPI
import Locking

/// A change an informer observed.
public enum Delta<T: KubeResource>: Sendable {
    case added(T)
    case updated(old: T, new: T)
    case deleted(T)

    public var object: T {
        switch self {
        case .added(let o), .deleted(let o): return o
        case .updated(_, let new): return new
        }
    }
}

/// The key of an object: `namespace/name`, or `name` for cluster-scoped ones.
public func objectKey(namespace: String?, name: String) -> String {
    if let namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
    return name
}

/// A thread-safe cache of objects with indexes by namespace, controller
/// owner UID and label. Readers get snapshots; only informers write.
public final class Store<T: KubeResource>: Sendable {
    private struct State {
        var objects: [String: T] = [:]
        var byNamespace: [String: Set<String>] = [:]
        var byOwner: [String: Set<String>] = [:]
        var byLabel: [String: Set<String>] = [:]  // "key=value"
    }

    private let state = Locked(State())

    public init() {}

    public func get(_ key: String) -> T? { state.withLock { $0.objects[key] } }

    public func get(namespace: String?, name: String) -> T? { get(objectKey(namespace: namespace, name: name)) }

    public var count: Int { state.withLock { $0.objects.count } }

    public var keys: [String] { state.withLock { Array($0.objects.keys) } }

    public func list() -> [T] { state.withLock { Array($0.objects.values) } }

    public func list(namespace: String) -> [T] {
        state.withLock { s in (s.byNamespace[namespace] ?? []).compactMap { s.objects[$0] } }
    }

    /// Objects whose owner references include `uid`.
    public func owned(by uid: String) -> [T] {
        state.withLock { s in (s.byOwner[uid] ?? []).compactMap { s.objects[$0] } }
    }

    public func list(label: String, value: String) -> [T] {
        state.withLock { s in (s.byLabel["\(label)=\(value)"] ?? []).compactMap { s.objects[$0] } }
    }

    // MARK: Writes (informers only)

    static func key(of object: T) -> String { objectKey(namespace: object.metadata.namespace, name: object.metadata.name ?? "") }

    /// Inserts or replaces; returns the delta (nil when the resourceVersion did not change).
    func upsert(_ object: T) -> Delta<T>? {
        state.withLock { s in
            let key = Self.key(of: object)
            let old = s.objects[key]
            if let old, old.metadata.resourceVersion == object.metadata.resourceVersion, object.metadata.resourceVersion != nil {
                return nil
            }
            if let old { Self.unindex(old, key: key, in: &s) }
            s.objects[key] = object
            Self.index(object, key: key, in: &s)
            return old.map { .updated(old: $0, new: object) } ?? .added(object)
        }
    }

    func remove(_ object: T) -> Delta<T>? {
        state.withLock { s in
            let key = Self.key(of: object)
            guard let old = s.objects.removeValue(forKey: key) else { return nil }
            Self.unindex(old, key: key, in: &s)
            return .deleted(object)
        }
    }

    /// Replaces every object in `scope` (one namespace, or all when nil)
    /// with `items` at once, returning what changed: objects that appeared,
    /// changed resourceVersion, or vanished (deletions missed while disconnected).
    func replace(with items: [T], scope namespace: String?) -> [Delta<T>] {
        state.withLock { s in
            var deltas: [Delta<T>] = []
            var seen = Set<String>()
            for object in items {
                let key = Self.key(of: object)
                seen.insert(key)
                if let old = s.objects[key] {
                    if old.metadata.resourceVersion != object.metadata.resourceVersion {
                        Self.unindex(old, key: key, in: &s)
                        s.objects[key] = object
                        Self.index(object, key: key, in: &s)
                        deltas.append(.updated(old: old, new: object))
                    }
                } else {
                    s.objects[key] = object
                    Self.index(object, key: key, in: &s)
                    deltas.append(.added(object))
                }
            }
            let candidates: [String] = namespace.map { Array(s.byNamespace[$0] ?? []) } ?? Array(s.objects.keys)
            for key in candidates where !seen.contains(key) {
                if let old = s.objects.removeValue(forKey: key) {
                    Self.unindex(old, key: key, in: &s)
                    deltas.append(.deleted(old))
                }
            }
            return deltas
        }
    }

    private static func index(_ object: T, key: String, in s: inout State) {
        s.byNamespace[object.metadata.namespace ?? "", default: []].insert(key)
        for owner in object.metadata.ownerReferences ?? [] { s.byOwner[owner.uid, default: []].insert(key) }
        for (label, value) in object.metadata.labels ?? [:] { s.byLabel["\(label)=\(value)", default: []].insert(key) }
    }

    private static func unindex(_ object: T, key: String, in s: inout State) {
        func drop(_ index: inout [String: Set<String>], _ name: String) {
            index[name]?.remove(key)
            if index[name]?.isEmpty == true { index[name] = nil }
        }
        drop(&s.byNamespace, object.metadata.namespace ?? "")
        for owner in object.metadata.ownerReferences ?? [] { drop(&s.byOwner, owner.uid) }
        for (label, value) in object.metadata.labels ?? [:] { drop(&s.byLabel, "\(label)=\(value)") }
    }
}
