import JSONValue

/// Who is calling, from a bearer token (or impersonation).
public struct UserInfo: Sendable, Equatable {
    public var name: String
    public var groups: [String]
    public init(name: String, groups: [String] = []) {
        self.name = name
        self.groups = groups
    }
    /// The identity used when authentication is off: a cluster admin.
    public static let admin = UserInfo(name: "system:admin", groups: ["system:masters", "system:authenticated"])
}

/// What a request wants to do, in RBAC terms.
public struct RequestAttributes: Sendable, Equatable {
    public var verb: String
    public var group: String = ""
    public var resource: String = ""
    public var subresource: String = ""
    public var namespace: String = ""
    public var name: String = ""
    /// Set for non-resource requests (`/healthz`, `/version`, ...).
    public var path: String?

    public init(verb: String, group: String = "", resource: String = "", subresource: String = "",
                namespace: String = "", name: String = "", path: String? = nil) {
        self.verb = verb
        self.group = group
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
        self.path = path
    }
}

/// The RBAC check against stored Roles, ClusterRoles and their bindings.
/// `system:masters` may do anything; every authenticated user may read
/// discovery and health paths and create access reviews (the default
/// `system:discovery`, `system:public-info-viewer` and `system:basic-user` roles).
/// ClusterRole aggregation is not evaluated.
enum RBAC {
    static let publicPaths = ["/api", "/apis", "/version", "/healthz", "/readyz", "/livez", "/openapi"]

    struct Objects {
        var roles: [ObjectKey: JSON]
        var roleBindings: [ObjectKey: JSON]
        var clusterRoles: [ObjectKey: JSON]
        var clusterRoleBindings: [ObjectKey: JSON]
    }

    static func authorize(_ user: UserInfo, _ a: RequestAttributes, _ rbac: Objects) -> (allowed: Bool, reason: String) {
        if user.groups.contains("system:masters") { return (true, "user is in group system:masters") }
        if let path = a.path {
            if a.verb == "get" && publicPaths.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) {
                return (true, "discovery and health paths are readable by all authenticated users")
            }
        } else if a.group == "authorization.k8s.io" && a.resource.hasPrefix("selfsubject") && a.verb == "create" {
            return (true, "self access reviews are allowed to all authenticated users")
        }
        for (key, binding) in rbac.clusterRoleBindings where subjectsMatch(binding, user) {
            let roleName = binding[path: "roleRef", "name"]?.stringValue ?? ""
            if let role = rbac.clusterRoles[ObjectKey(namespace: "", name: roleName)], rulesAllow(role, a) {
                return (true, "RBAC: allowed by ClusterRoleBinding \"\(key.name)\" of ClusterRole \"\(roleName)\"")
            }
        }
        if !a.namespace.isEmpty {
            for (key, binding) in rbac.roleBindings where key.namespace == a.namespace && subjectsMatch(binding, user) {
                let roleName = binding[path: "roleRef", "name"]?.stringValue ?? ""
                let role = binding[path: "roleRef", "kind"]?.stringValue == "ClusterRole"
                    ? rbac.clusterRoles[ObjectKey(namespace: "", name: roleName)]
                    : rbac.roles[ObjectKey(namespace: a.namespace, name: roleName)]
                if let role, rulesAllow(role, a) {
                    return (true, "RBAC: allowed by RoleBinding \"\(key.name)/\(key.namespace)\"")
                }
            }
        }
        return (false, "")
    }

    /// What `user` may do in `namespace` (SelfSubjectRulesReview, `kubectl
    /// auth can-i --list`): the rules of every matching binding, plus the
    /// defaults every authenticated user has.
    static func rules(_ user: UserInfo, namespace: String, _ rbac: Objects) -> (resource: [JSON], nonResource: [JSON]) {
        if user.groups.contains("system:masters") {
            return ([["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]]], [["verbs": ["*"], "nonResourceURLs": ["*"]]])
        }
        var resource: [JSON] = [["verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
                                 "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]]]
        var nonResource: [JSON] = [["verbs": ["get"], "nonResourceURLs": .array(publicPaths.flatMap { [JSON.string($0), .string($0 + "/*")] })]]
        func add(_ role: JSON?) {
            for rule in role?["rules"]?.arrayValue ?? [] {
                var entry = rule.objectValue ?? [:]
                if entry["nonResourceURLs"] != nil {
                    nonResource.append(["verbs": entry["verbs"] ?? [], "nonResourceURLs": entry["nonResourceURLs"] ?? []])
                } else {
                    entry["nonResourceURLs"] = nil
                    resource.append(.object(entry))
                }
            }
        }
        for (_, binding) in rbac.clusterRoleBindings.sorted(by: { $0.key < $1.key }) where subjectsMatch(binding, user) {
            add(rbac.clusterRoles[ObjectKey(namespace: "", name: binding[path: "roleRef", "name"]?.stringValue ?? "")])
        }
        for (key, binding) in rbac.roleBindings.sorted(by: { $0.key < $1.key }) where key.namespace == namespace && subjectsMatch(binding, user) {
            let name = binding[path: "roleRef", "name"]?.stringValue ?? ""
            add(binding[path: "roleRef", "kind"]?.stringValue == "ClusterRole"
                ? rbac.clusterRoles[ObjectKey(namespace: "", name: name)] : rbac.roles[ObjectKey(namespace: namespace, name: name)])
        }
        return (resource, nonResource)
    }

    static func subjectsMatch(_ binding: JSON, _ user: UserInfo) -> Bool {
        for subject in binding["subjects"]?.arrayValue ?? [] {
            let name = subject["name"]?.stringValue ?? ""
            switch subject["kind"]?.stringValue {
            case "User": if name == user.name { return true }
            case "Group": if user.groups.contains(name) { return true }
            case "ServiceAccount":
                let namespace = subject["namespace"]?.stringValue ?? binding[path: "metadata", "namespace"]?.stringValue ?? ""
                if user.name == "system:serviceaccount:\(namespace):\(name)" { return true }
            default: break
            }
        }
        return false
    }

    static func rulesAllow(_ role: JSON, _ a: RequestAttributes) -> Bool {
        for rule in role["rules"]?.arrayValue ?? [] where ruleAllows(rule, a) { return true }
        return false
    }

    static func ruleAllows(_ rule: JSON, _ a: RequestAttributes) -> Bool {
        func list(_ key: String) -> [String] { rule[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        let verbs = list("verbs")
        guard verbs.contains("*") || verbs.contains(a.verb) else { return false }
        if let path = a.path {
            return list("nonResourceURLs").contains { url in
                url == "*" || url == path || (url.hasSuffix("*") && path.hasPrefix(String(url.dropLast())))
            }
        }
        let groups = list("apiGroups")
        guard groups.contains("*") || groups.contains(a.group) else { return false }
        let resource = a.subresource.isEmpty ? a.resource : "\(a.resource)/\(a.subresource)"
        let resources = list("resources")
        guard resources.contains("*") || resources.contains(resource)
            || (!a.subresource.isEmpty && resources.contains("*/\(a.subresource)")) else { return false }
        let names = list("resourceNames")
        return names.isEmpty || (!a.name.isEmpty && names.contains(a.name))
    }
}

extension Cluster {
    public func authorize(_ user: UserInfo, _ attributes: RequestAttributes) -> (allowed: Bool, reason: String) {
        lock.withLock { RBAC.authorize(user, attributes, rbacObjectsLocked()) }
    }

    /// The rules `user` has in `namespace` (for SelfSubjectRulesReview).
    public func rules(for user: UserInfo, namespace: String) -> (resource: [JSON], nonResource: [JSON]) {
        lock.withLock { RBAC.rules(user, namespace: namespace, rbacObjectsLocked()) }
    }

    private func rbacObjectsLocked() -> RBAC.Objects {
        RBAC.Objects(roles: objects["roles.rbac.authorization.k8s.io"] ?? [:],
                     roleBindings: objects["rolebindings.rbac.authorization.k8s.io"] ?? [:],
                     clusterRoles: objects["clusterroles.rbac.authorization.k8s.io"] ?? [:],
                     clusterRoleBindings: objects["clusterrolebindings.rbac.authorization.k8s.io"] ?? [:])
    }
}
