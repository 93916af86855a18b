import CEL
import Foundation
import JSONValue
import NIOConcurrencyHelpers

/// The in-memory cluster: served resource types, objects, the cluster-wide
/// resourceVersion counter, the watch history and open watches. Every public
/// method takes the lock once; helpers ending in `Locked` expect it held.
public final class Cluster: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Keep at most this many watch events; older resourceVersions then
        /// answer 410 Gone, as after etcd's compaction (nil: keep all until
        /// `compact()`). The default bounds memory in long demo runs.
        public var historyLimit: Int?
        /// Unix time source, injected so tests control timestamps.
        public var now: @Sendable () -> Double
        /// Namespaces that exist from the start.
        public var namespaces: [String]
        /// Stand in for the Deployment controller: after each Deployment
        /// write, report the desired replicas, ready after `deploymentReadyDelay`.
        public var simulateDeployments: Bool
        /// Seconds new replicas take to become ready in the simulation
        /// (0: at once). Readiness arrives on `advanceSimulation()`, which the
        /// HTTP server calls every 100 ms.
        public var deploymentReadyDelay: Double = 0
        /// The release the server answers as (`--kubernetes-version`): CRD fields
        /// newer than it are unknown fields, and messages follow its wording.
        public var kubernetesVersion: KubernetesVersion = .default
        /// Whether CRD validation rules (CEL) are enforced; nil: as the release
        /// does by default (from 1.25; 1.23 and 1.24 had them behind the
        /// `CustomResourceValidationExpressions` gate).
        public var validationRulesGate: Bool?

        /// A watch from a compacted resourceVersion: with the watch cache (the
        /// default, as in clusters) the request answers 410; without it
        /// (`--watch-cache=false`, reads straight from etcd) the stream opens
        /// and its only event is an ERROR carrying the 410 Status.
        public var watchCache = true

        var validationRules: Bool { validationRulesGate ?? kubernetesVersion.supports(.validationRules) }
        var messages: StructuralSchema.Messages { kubernetesVersion < KubernetesVersion(1, 27) ? .legacy : .current }
        /// Seconds a deleted Namespace stays `Terminating` (deletionTimestamp
        /// set, its objects still there) before its objects and then itself
        /// are deleted, as the namespace controller does a little later in a
        /// real cluster; `advanceSimulation()` (every 100 ms in the HTTP
        /// server) finishes it. 0: deleted at once with its objects.
        /// `kubectl delete -f` of a file holding a Namespace and objects in
        /// it needs them to outlive the Namespace's DELETE.
        public var namespaceDeletionDelay: Double = 0

        public init(historyLimit: Int? = 50_000, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                    namespaces: [String] = ["default", "kube-system", "kube-public", "kube-node-lease"],
                    simulateDeployments: Bool = false) {
            self.historyLimit = historyLimit
            self.now = now
            self.namespaces = namespaces
            self.simulateDeployments = simulateDeployments
        }
    }

    struct HistoryEvent {
        var resourceVersion: Int64
        var type: String
        var storageKey: String
        var object: JSON
        var previous: JSON?
    }

    let lock = NIOLock()
    let configuration: Configuration
    /// The release the server answers as.
    public var kubernetesVersion: KubernetesVersion { configuration.kubernetesVersion }
    var resourceVersion: Int64 = 1
    var types: [ResourceType] = BuiltinResources.all
    var objects: [String: [ObjectKey: JSON]] = [:]
    var sortedKeys: [String: [ObjectKey]] = [:]
    var history: [HistoryEvent] = []
    var historyStart = 0
    /// Watches and continue tokens older than this resourceVersion answer 410.
    var compactedResourceVersion: Int64 = 0
    var watchers: [Int: Watcher] = [:]
    var nextWatcherID = 1
    /// Garbage-collector indexes, kept by `storeLocked`/`removeLocked`.
    var gc = GarbageCollectorIndex()
    /// Simulated Deployments whose new replicas become ready at the given time.
    var pendingReadiness: [ObjectKey: Double] = [:]
    /// Compiled CEL rules by rule text and the schema node declaring `self`;
    /// cleared whenever a CRD is written.
    var compiledRules: [RuleCacheKey: Result<CELProgram, CELCompileError>] = [:]

    struct RuleCacheKey: Hashable {
        var rule: String
        var node: JSON
        var isRoot: Bool
    }
    /// Terminating Namespaces (by name) and when the namespace controller finishes them.
    var terminatingNamespaces: [String: Double] = [:]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        lock.withLock {
            guard let type = typeLocked(storageKey: "namespaces") else { return }
            for name in configuration.namespaces {
                let object: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)],
                                    "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"]]
                // Fixed, valid objects: creation cannot fail on an empty cluster.
                _ = try? createLocked(type, namespace: nil, body: object, options: WriteOptions(fieldManager: "test-apiserver"))
            }
        }
    }

    // MARK: registry

    public var servedTypes: [ResourceType] { lock.withLock { types } }

    public var currentResourceVersion: Int64 { lock.withLock { resourceVersion } }

    public func resourceType(group: String, version: String, plural: String) -> ResourceType? {
        lock.withLock { types.first { $0.group == group && $0.version == version && $0.plural == plural } }
    }

    func typeLocked(storageKey: String) -> ResourceType? {
        types.first { $0.storageKey == storageKey && !$0.createOnly }
    }

    // MARK: time and identity

    func timestampLocked() -> String { Timestamp.rfc3339(unixSeconds: configuration.now()) }

    func nextResourceVersionLocked() -> Int64 {
        resourceVersion += 1
        return resourceVersion
    }

    static func key(of object: JSON, namespaced: Bool) -> ObjectKey {
        ObjectKey(namespace: namespaced ? (object[path: "metadata", "namespace"]?.stringValue ?? "") : "",
                  name: object[path: "metadata", "name"]?.stringValue ?? "")
    }

    // MARK: storage primitives (emit watch events)

    func storeLocked(_ type: ResourceType, _ key: ObjectKey, _ object: JSON, eventType: String, previous: JSON?) {
        let ref = ObjectRef(storageKey: type.storageKey, key: key)
        if let old = objects[type.storageKey]?[key] {
            gc.unindex(old, ref)
        } else {
            sortedKeys[type.storageKey] = nil
        }
        objects[type.storageKey, default: [:]][key] = object
        gc.index(object, ref)
        recordLocked(HistoryEvent(resourceVersion: resourceVersion, type: eventType, storageKey: type.storageKey,
                                  object: object, previous: previous))
    }

    func removeLocked(_ type: ResourceType, _ key: ObjectKey) {
        guard var object = objects[type.storageKey]?[key] else { return }
        objects[type.storageKey]?[key] = nil
        gc.unindex(object, ObjectRef(storageKey: type.storageKey, key: key))
        gc.ownerRemoved(object)
        sortedKeys[type.storageKey] = nil
        let rv = nextResourceVersionLocked()
        object["metadata"]?["resourceVersion"] = .string(String(rv))
        recordLocked(HistoryEvent(resourceVersion: rv, type: "DELETED", storageKey: type.storageKey, object: object, previous: object))
    }

    func keysLocked(_ storageKey: String) -> [ObjectKey] {
        if let cached = sortedKeys[storageKey] { return cached }
        let keys = (objects[storageKey] ?? [:]).keys.sorted()
        sortedKeys[storageKey] = keys
        return keys
    }

    // MARK: reads

    public func get(_ type: ResourceType, namespace: String?, name: String) throws(APIError) -> JSON {
        try locked { () throws(APIError) -> JSON in
            try getLocked(type, namespace: namespace, name: name)
        }
    }

    func getLocked(_ type: ResourceType, namespace: String?, name: String) throws(APIError) -> JSON {
        let key = ObjectKey(namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        guard let object = objects[type.storageKey]?[key] else {
            throw APIError.notFound(type.plural, group: type.group, name: name)
        }
        return Self.presented(object, as: type)
    }

    /// The stored object as seen through `type`'s group/version.
    static func presented(_ object: JSON, as type: ResourceType) -> JSON {
        guard object["apiVersion"]?.stringValue != type.groupVersion else { return object }
        if type.storageKey == "events" { return EventConversion.convert(object, to: type.groupVersion) }
        var copy = object
        copy["apiVersion"] = .string(type.groupVersion)
        return copy
    }

    public struct ListOptions: Sendable {
        public var labelSelector: LabelSelector = .everything
        public var fieldSelector: FieldSelector?
        public var limit: Int?
        public var continueToken: String?
        public init(labelSelector: LabelSelector = .everything, fieldSelector: FieldSelector? = nil,
                    limit: Int? = nil, continueToken: String? = nil) {
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
            self.limit = limit
            self.continueToken = continueToken
        }
    }

    /// A `<Kind>List`, sorted by namespace and name, paginated with
    /// `limit`/`continue`. Later pages show the current state after the
    /// last key returned (a simplification: not a snapshot), but report the
    /// first page's resourceVersion; a token older than the compaction
    /// point answers 410 Expired like etcd's.
    public func list(_ type: ResourceType, namespace: String?, options: ListOptions = ListOptions()) throws(APIError) -> JSON {
        try locked { () throws(APIError) -> JSON in
            var listRV = resourceVersion
            var startAfter: ObjectKey?
            if let token = options.continueToken, !token.isEmpty {
                let decoded = try ContinueToken.decode(token)
                guard decoded.resourceVersion >= compactedResourceVersion else {
                    throw APIError.expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
                }
                listRV = decoded.resourceVersion
                startAfter = decoded.after
            }
            let store = objects[type.storageKey] ?? [:]
            var items: [JSON] = []
            var lastKey: ObjectKey?
            var remaining = 0
            let limit = options.limit.flatMap { $0 > 0 ? $0 : nil }
            for key in keysLocked(type.storageKey) {
                if let startAfter, !(startAfter < key) { continue }
                if type.namespaced, let namespace, key.namespace != namespace { continue }
                guard let stored = store[key] else { continue }
                let object = Self.presented(stored, as: type)
                guard matches(object, options.labelSelector, options.fieldSelector) else { continue }
                if let limit, items.count >= limit { remaining += 1; continue }
                items.append(object)
                lastKey = key
            }
            var metadata: JSONObject = ["resourceVersion": .string(String(listRV))]
            if remaining > 0, let lastKey {
                metadata["continue"] = .string(ContinueToken(resourceVersion: listRV, after: lastKey).encoded)
                metadata["remainingItemCount"] = .int(Int64(remaining))
            }
            return ["apiVersion": .string(type.groupVersion), "kind": .string(type.kind + "List"),
                    "metadata": .object(metadata), "items": .array(items)]
        }
    }

    func matches(_ object: JSON, _ labels: LabelSelector, _ fields: FieldSelector?) -> Bool {
        labels.matches(object[path: "metadata", "labels"]?.objectValue) && (fields?.matches(object) ?? true)
    }
}

/// The opaque `continue` token: the list's resourceVersion and the last key returned.
struct ContinueToken {
    var resourceVersion: Int64
    var after: ObjectKey

    var encoded: String {
        let json: JSON = ["rv": .int(resourceVersion), "ns": .string(after.namespace), "name": .string(after.name)]
        return Data(json.serialized().utf8).base64EncodedString()
    }

    static func decode(_ token: String) throws(APIError) -> ContinueToken {
        guard let data = Data(base64Encoded: token), let json = try? JSON.parse(Array(data)),
              let rv = json["rv"]?.intValue, let ns = json["ns"]?.stringValue, let name = json["name"]?.stringValue else {
            throw APIError.badRequest("continue key is not valid: \(token)")
        }
        return ContinueToken(resourceVersion: rv, after: ObjectKey(namespace: ns, name: name))
    }
}

extension Cluster {
    /// `lock.withLock` with a typed error.
    func locked<T>(_ body: () throws(APIError) -> T) throws(APIError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
