import JSONValue

/// What a watch stream receives, in order, from the cluster.
public enum WatchOutput: Sendable {
    /// One JSON event line (`{"type":...,"object":...}`), without the newline.
    case event(String)
    /// End the response normally (timeout, or after an ERROR event).
    case end
    /// Close the connection abruptly (fault injection).
    case drop
}

/// An open watch: what it selects and where its events go.
final class Watcher: @unchecked Sendable {
    let id: Int
    let type: ResourceType
    let namespace: String?
    let labelSelector: LabelSelector
    let fieldSelector: FieldSelector?
    let sink: @Sendable (WatchOutput) -> Void
    /// Optional rendering of event objects (Table for kubectl).
    let render: (@Sendable (JSON) -> JSON)?

    init(id: Int, type: ResourceType, namespace: String?, labelSelector: LabelSelector, fieldSelector: FieldSelector?,
         render: (@Sendable (JSON) -> JSON)? = nil, sink: @escaping @Sendable (WatchOutput) -> Void) {
        self.render = render
        self.id = id
        self.type = type
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.sink = sink
    }

    func selects(_ object: JSON) -> Bool {
        if type.namespaced, let namespace, object[path: "metadata", "namespace"]?.stringValue != namespace { return false }
        return labelSelector.matches(object[path: "metadata", "labels"]?.objectValue) && (fieldSelector?.matches(object) ?? true)
    }

    /// The event this watcher sees for a stored change: a selector turns a
    /// MODIFIED into ADDED or DELETED when the object enters or leaves it.
    func translate(_ event: Cluster.HistoryEvent) -> String? {
        guard event.storageKey == type.storageKey else { return nil }
        let object = Cluster.presented(event.object, as: type)
        let now = selects(object)
        let before = event.previous.map { selects(Cluster.presented($0, as: type)) } ?? false
        let kind: String
        switch event.type {
        case "MODIFIED" where now && !before: kind = "ADDED"
        case "MODIFIED" where !now && before: kind = "DELETED"
        case "MODIFIED" where now: kind = "MODIFIED"
        case "ADDED" where now, "DELETED" where now: kind = event.type
        default: return nil
        }
        return line(kind, object)
    }

    func line(_ type: String, _ object: JSON) -> String {
        Self.line(type, render?(object) ?? object)
    }

    static func line(_ type: String, _ object: JSON) -> String {
        JSON.object(["type": .string(type), "object": object]).serialized()
    }
}

extension Cluster {
    func recordLocked(_ event: HistoryEvent) {
        history.append(event)
        if let limit = configuration.historyLimit, history.count > limit {
            let drop = history.count - limit
            compactedResourceVersion = history[drop - 1].resourceVersion
            history.removeFirst(drop)
        }
        for watcher in watchers.values {
            if let line = watcher.translate(event) { watcher.sink(.event(line)) }
        }
    }

    /// Starts a watch. With no resourceVersion (or "0") the current objects
    /// arrive first as ADDED; with one, every later change is replayed from
    /// the history, or 410 Expired when it was compacted away.
    public func watch(_ type: ResourceType, namespace: String?, labelSelector: LabelSelector = .everything,
                      fieldSelector: FieldSelector? = nil, resourceVersion: String?,
                      render: (@Sendable (JSON) -> JSON)? = nil,
                      sink: @escaping @Sendable (WatchOutput) -> Void) throws(APIError) -> Int {
        try locked { () throws(APIError) -> Int in
            let watcher = Watcher(id: nextWatcherID, type: type, namespace: namespace, labelSelector: labelSelector,
                                  fieldSelector: fieldSelector, render: render, sink: sink)
            if let rvText = resourceVersion, !rvText.isEmpty, rvText != "0" {
                guard let rv = Int64(rvText) else { throw APIError.badRequest("invalid resourceVersion \"\(rvText)\"") }
                guard rv >= compactedResourceVersion else {
                    guard !configuration.watchCache else {
                        throw APIError.expired("too old resource version: \(rv) (\(compactedResourceVersion))")
                    }
                    // Straight from etcd (no watch cache): the stream opens, then one ERROR event ends it.
                    let status = APIError(code: 410, reason: "Expired", message: "The resourceVersion for the provided watch is too old.").status
                    sink(.event(Watcher.line("ERROR", status)))
                    sink(.end)
                    return 0
                }
                for event in history where event.resourceVersion > rv {
                    if let line = watcher.translate(event) { sink(.event(line)) }
                }
            } else {
                let store = objects[type.storageKey] ?? [:]
                for key in keysLocked(type.storageKey) {
                    if let stored = store[key], case let object = Self.presented(stored, as: type), watcher.selects(object) {
                        sink(.event(watcher.line("ADDED", object)))
                    }
                }
            }
            nextWatcherID += 1
            watchers[watcher.id] = watcher
            return watcher.id
        }
    }

    /// Throws what `watch` would for this resourceVersion (400 or 410), so
    /// the router can answer and log the real status before streaming.
    public func checkWatchStart(_ resourceVersion: String?) throws(APIError) {
        try locked { () throws(APIError) in
            guard let text = resourceVersion, !text.isEmpty, text != "0" else { return }
            guard let rv = Int64(text) else { throw APIError.badRequest("invalid resourceVersion \"\(text)\"") }
            guard rv >= compactedResourceVersion || !configuration.watchCache else {
                throw APIError.expired("too old resource version: \(rv) (\(compactedResourceVersion))")
            }
        }
    }

    public func cancelWatch(_ id: Int) {
        lock.withLock { _ = watchers.removeValue(forKey: id) }
    }

    /// Sends a BOOKMARK carrying the current resourceVersion to one watch.
    public func sendBookmark(_ id: Int) {
        lock.withLock {
            guard let watcher = watchers[id] else { return }
            let object: JSON = ["kind": .string(watcher.type.kind), "apiVersion": .string(watcher.type.groupVersion),
                                "metadata": ["resourceVersion": .string(String(resourceVersion))]]
            watcher.sink(.event(Watcher.line("BOOKMARK", object)))
        }
    }

    public var openWatchCount: Int { lock.withLock { watchers.count } }

    /// Forgets all history: every resourceVersion before now answers 410.
    /// With `expireWatches`, open watches get an ERROR event (410 Expired)
    /// and end, as when the server's watch cache falls behind.
    public func compact(expireWatches: Bool = true) {
        lock.withLock {
            compactedResourceVersion = resourceVersion
            history.removeAll()
            guard expireWatches else { return }
            let status = APIError(code: 410, reason: "Expired", message: "The resourceVersion for the provided watch is too old.").status
            for watcher in watchers.values {
                watcher.sink(.event(Watcher.line("ERROR", status)))
                watcher.sink(.end)
            }
            watchers.removeAll()
        }
    }

    /// Closes every open watch connection without a final chunk.
    public func dropWatches() {
        lock.withLock {
            for watcher in watchers.values { watcher.sink(.drop) }
            watchers.removeAll()
        }
    }
}
