import JSONValue

/// `metav1.ObjectMeta`: the fields this project reads or writes.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?

    public init(name: String? = nil, namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil,
                generation: Int64? = nil, creationTimestamp: String? = nil, labels: [String: String]? = nil,
                annotations: [String: String]? = nil, ownerReferences: [OwnerReference]? = nil) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
    }

    /// The owner with `controller: true`, if any.
    public var controllerReference: OwnerReference? { ownerReferences?.first { $0.controller == true } }
}

public struct OwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil, blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// `metav1.ListMeta`.
public struct ListMeta: Codable, Sendable, Hashable {
    public var resourceVersion: String?
    public var `continue`: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continue: String? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
    }
}

/// `metav1.LabelSelector`.
public struct LabelSelector: Codable, Sendable, Hashable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [Requirement]?

    public struct Requirement: Codable, Sendable, Hashable {
        public var key: String
        public var `operator`: String
        public var values: [String]?

        public init(key: String, operator: String, values: [String]? = nil) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }
    }

    public init(matchLabels: [String: String]? = nil, matchExpressions: [Requirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// The selector in the query-string syntax (`a=b,c in (d,e)`), sorted for determinism.
    public var queryString: String {
        var parts = (matchLabels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        for requirement in matchExpressions ?? [] {
            let values = (requirement.values ?? []).sorted().joined(separator: ",")
            switch requirement.operator {
            case "In": parts.append("\(requirement.key) in (\(values))")
            case "NotIn": parts.append("\(requirement.key) notin (\(values))")
            case "Exists": parts.append(requirement.key)
            case "DoesNotExist": parts.append("!\(requirement.key)")
            default: parts.append("\(requirement.key) \(requirement.operator) (\(values))")
            }
        }
        return parts.joined(separator: ",")
    }
}

/// `v1.ObjectReference` (as used by events' `regarding`).
public struct ObjectReference: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(apiVersion: String? = nil, kind: String? = nil, name: String? = nil, namespace: String? = nil,
                uid: String? = nil, resourceVersion: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}
