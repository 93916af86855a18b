import JSONValue

/// Where the scale subresource reads and writes replicas (JSON paths such as
/// `.spec.replicas`, as in a CRD's `subresources.scale`).
public struct ScaleMapping: Sendable, Hashable {
    public var specReplicasPath: String
    public var statusReplicasPath: String
    public var labelSelectorPath: String?

    public init(specReplicasPath: String, statusReplicasPath: String, labelSelectorPath: String?) {
        self.specReplicasPath = specReplicasPath
        self.statusReplicasPath = statusReplicasPath
        self.labelSelectorPath = labelSelectorPath
    }
}

/// One served resource of one group/version, as discovery describes it.
public struct ResourceType: Sendable, Hashable {
    public var group: String
    public var version: String
    public var plural: String
    public var singular: String
    public var kind: String
    public var namespaced: Bool
    public var shortNames: [String] = []
    public var categories: [String] = []
    public var hasStatus: Bool = false
    public var scale: ScaleMapping?
    /// Custom resources take no strategic merge patch and are validated by `schema`.
    public var isCustom: Bool = false
    /// `openAPIV3Schema` of a CRD version (nil: no schema checks).
    public var schema: JSON?
    /// `additionalPrinterColumns` of a CRD version, for Table answers.
    public var printerColumns: [JSON]?
    /// Field selectors beyond metadata.name/namespace (as the real server allows per kind).
    public var extraFieldSelectors: [String] = []
    /// Set when several group/versions share one storage (core and events.k8s.io Events).
    public var sharedStorageKey: String?
    /// Virtual resources answer only `create` (access reviews).
    public var createOnly: Bool = false

    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// Objects of all versions of a group/resource share one storage key.
    public var storageKey: String { sharedStorageKey ?? (group.isEmpty ? plural : "\(plural).\(group)") }

    public var verbs: [String] {
        createOnly ? ["create"] : ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }

    public init(group: String, version: String, plural: String, singular: String, kind: String, namespaced: Bool,
                shortNames: [String] = [], categories: [String] = [], hasStatus: Bool = false, scale: ScaleMapping? = nil) {
        self.group = group
        self.version = version
        self.plural = plural
        self.singular = singular
        self.kind = kind
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.categories = categories
        self.hasStatus = hasStatus
        self.scale = scale
    }
}

/// The built-in kinds the operator and kubectl need.
enum BuiltinResources {
    static let deploymentScale = ScaleMapping(specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas",
                                              labelSelectorPath: ".spec.selector")

    static let all: [ResourceType] = {
        var list: [ResourceType] = [
            ResourceType(group: "", version: "v1", plural: "namespaces", singular: "namespace", kind: "Namespace",
                         namespaced: false, shortNames: ["ns"], hasStatus: true),
            ResourceType(group: "", version: "v1", plural: "services", singular: "service", kind: "Service",
                         namespaced: true, shortNames: ["svc"], categories: ["all"], hasStatus: true),
            ResourceType(group: "", version: "v1", plural: "pods", singular: "pod", kind: "Pod",
                         namespaced: true, shortNames: ["po"], categories: ["all"], hasStatus: true),
            ResourceType(group: "", version: "v1", plural: "events", singular: "event", kind: "Event",
                         namespaced: true, shortNames: ["ev"]),
            // Written by scripts/local_node.py (the endpoints controller's part) and read by
            // Prometheus' kubernetes_sd `role: endpoints`, as prometheus-operator configures it.
            ResourceType(group: "", version: "v1", plural: "endpoints", singular: "endpoints", kind: "Endpoints",
                         namespaced: true, shortNames: ["ep"]),
            ResourceType(group: "", version: "v1", plural: "configmaps", singular: "configmap", kind: "ConfigMap",
                         namespaced: true, shortNames: ["cm"]),
            ResourceType(group: "", version: "v1", plural: "secrets", singular: "secret", kind: "Secret", namespaced: true),
            ResourceType(group: "", version: "v1", plural: "serviceaccounts", singular: "serviceaccount",
                         kind: "ServiceAccount", namespaced: true, shortNames: ["sa"]),
            ResourceType(group: "apps", version: "v1", plural: "deployments", singular: "deployment", kind: "Deployment",
                         namespaced: true, shortNames: ["deploy"], categories: ["all"], hasStatus: true,
                         scale: deploymentScale),
            ResourceType(group: "coordination.k8s.io", version: "v1", plural: "leases", singular: "lease", kind: "Lease",
                         namespaced: true),
            ResourceType(group: "events.k8s.io", version: "v1", plural: "events", singular: "event", kind: "Event",
                         namespaced: true, shortNames: ["ev"]),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", singular: "role",
                         kind: "Role", namespaced: true),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", singular: "rolebinding",
                         kind: "RoleBinding", namespaced: true),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", singular: "clusterrole",
                         kind: "ClusterRole", namespaced: false),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings",
                         singular: "clusterrolebinding", kind: "ClusterRoleBinding", namespaced: false),
            ResourceType(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions",
                         singular: "customresourcedefinition", kind: "CustomResourceDefinition", namespaced: false,
                         shortNames: ["crd", "crds"], hasStatus: true),
        ]
        let involved = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"]
        for i in list.indices {
            switch (list[i].group, list[i].plural) {
            case ("", "events"):
                list[i].extraFieldSelectors = involved.map { "involvedObject.\($0)" } + ["reason", "reportingComponent", "source", "type"]
            case ("events.k8s.io", "events"):
                list[i].sharedStorageKey = "events"
                list[i].extraFieldSelectors = involved.map { "regarding.\($0)" } + ["reason", "reportingController", "type"]
            case ("", "pods"): list[i].extraFieldSelectors = ["spec.nodeName", "spec.serviceAccountName", "status.phase"]
            case ("", "secrets"): list[i].extraFieldSelectors = ["type"]
            default: break
            }
        }
        let reviews = [("selfsubjectaccessreviews", "SelfSubjectAccessReview"), ("subjectaccessreviews", "SubjectAccessReview"),
                       ("selfsubjectrulesreviews", "SelfSubjectRulesReview")]
        for (plural, kind) in reviews {
            var review = ResourceType(group: "authorization.k8s.io", version: "v1", plural: plural,
                                      singular: String(plural.dropLast()), kind: kind, namespaced: false)
            review.createOnly = true
            list.append(review)
        }
        return list
    }()
}
