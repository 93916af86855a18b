import JSONValue

/// Query options of a list request.
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var `continue`: String?
    /// "0" serves from cache; nil asks for the latest (a quorum read).
    public var resourceVersion: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
                continue: String? = nil, resourceVersion: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continue = `continue`
        self.resourceVersion = resourceVersion
    }

    var query: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let token = `continue` { items.append(("continue", token)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        return items
    }
}

/// Query options of a watch request.
public struct WatchOptions: Sendable, Hashable {
    /// Where to start; nil starts from "now" (server's latest).
    public var resourceVersion: String?
    public var labelSelector: String?
    public var fieldSelector: String?
    public var allowWatchBookmarks: Bool
    /// The server ends the watch after this long; client-go picks 5-10 min.
    public var timeoutSeconds: Int?

    public init(resourceVersion: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
                allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil) {
        self.resourceVersion = resourceVersion
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }

    var query: [(String, String)] {
        var items: [(String, String)] = [("watch", "1")]
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if allowWatchBookmarks { items.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        return items
    }
}

/// How dependents are deleted (`metav1.DeletionPropagation`).
public enum PropagationPolicy: String, Sendable, Hashable {
    case foreground = "Foreground", background = "Background", orphan = "Orphan"
}

/// Body of a delete request.
public struct DeleteOptions: Sendable, Hashable {
    public var propagationPolicy: PropagationPolicy?
    public var gracePeriodSeconds: Int?
    /// Delete only if the object still has this uid / resourceVersion.
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?

    public init(propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int? = nil,
                preconditionUID: String? = nil, preconditionResourceVersion: String? = nil) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
    }

    var body: JSON {
        var object: JSONObject = ["apiVersion": "v1", "kind": "DeleteOptions"]
        if let propagationPolicy { object["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        if let gracePeriodSeconds { object["gracePeriodSeconds"] = .int(Int64(gracePeriodSeconds)) }
        if preconditionUID != nil || preconditionResourceVersion != nil {
            var preconditions = JSONObject()
            if let preconditionUID { preconditions["uid"] = .string(preconditionUID) }
            if let preconditionResourceVersion { preconditions["resourceVersion"] = .string(preconditionResourceVersion) }
            object["preconditions"] = .object(preconditions)
        }
        return .object(object)
    }
}

/// A patch and its content type.
public enum Patch: Sendable, Hashable {
    /// RFC 7386 JSON merge patch: `null` deletes a key.
    case merge(JSON)
    /// RFC 6902 JSON patch: a list of operations.
    case json([JSONPatchOperation])
    /// Strategic merge patch (built-in kinds only): lists merge by their key, e.g. containers by name.
    case strategicMerge(JSON)

    var contentType: String {
        switch self {
        case .merge: return "application/merge-patch+json"
        case .json: return "application/json-patch+json"
        case .strategicMerge: return "application/strategic-merge-patch+json"
        }
    }

    var body: JSON {
        switch self {
        case .merge(let value), .strategicMerge(let value): return value
        case .json(let operations): return .array(operations.map(\.json))
        }
    }
}

/// One RFC 6902 operation.
public struct JSONPatchOperation: Sendable, Hashable {
    public enum Op: String, Sendable { case add, remove, replace, move, copy, test }
    public var op: Op
    /// JSON Pointer (RFC 6901), e.g. `/spec/replicas`.
    public var path: String
    public var value: JSON?
    public var from: String?

    public init(_ op: Op, path: String, value: JSON? = nil, from: String? = nil) {
        self.op = op
        self.path = path
        self.value = value
        self.from = from
    }

    var json: JSON {
        var object: JSONObject = ["op": .string(op.rawValue), "path": .string(path)]
        if let value { object["value"] = value }
        if let from { object["from"] = .string(from) }
        return .object(object)
    }
}
