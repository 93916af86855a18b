import JSONValue

/// Legacy (non-aggregated) discovery documents built from the served types.
enum Discovery {
    static func coreVersions(serverAddress: String) -> JSON {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    static func groups(_ types: [ResourceType]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for type in types where !type.group.isEmpty {
            if !(out[type.group]?.contains(type.version) ?? false) { out[type.group, default: []].append(type.version) }
        }
        return out
    }

    static func group(_ name: String, versions: [String]) -> JSON {
        let sorted = versions.sorted { versionPriority($0) > versionPriority($1) }
        let entries: [JSON] = sorted.map { ["groupVersion": .string("\(name)/\($0)"), "version": .string($0)] }
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(name), "versions": .array(entries),
                "preferredVersion": entries.first ?? .null]
    }

    static func groupList(_ types: [ResourceType]) -> JSON {
        let all = groups(types)
        var order: [String] = []
        for type in types where !type.group.isEmpty && !order.contains(type.group) { order.append(type.group) }
        let items: [JSON] = order.map { name in
            var g = group(name, versions: all[name] ?? []).objectValue ?? [:]
            g["kind"] = nil
            g["apiVersion"] = nil
            return .object(g)
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(items)]
    }

    /// Kubernetes version ordering: v2 > v1 > v1beta2 > v1beta1 > v1alpha1.
    static func versionPriority(_ version: String) -> Int {
        let digits = version.dropFirst().prefix { $0.isNumber }
        let major = Int(digits) ?? 0
        let rest = version.dropFirst(1 + digits.count)
        let minor = Int(rest.drop { !$0.isNumber }) ?? 0
        if rest.hasPrefix("alpha") { return major * 1000 + minor }
        if rest.hasPrefix("beta") { return major * 1000 + 100 + minor }
        return major * 1000 + 900
    }

    static func resourceList(groupVersion: String, _ types: [ResourceType]) -> JSON {
        var resources: [JSON] = []
        for type in types {
            var entry: JSONObject = ["name": .string(type.plural), "singularName": .string(type.singular),
                                     "namespaced": .bool(type.namespaced), "kind": .string(type.kind),
                                     "verbs": .array(type.verbs.map(JSON.string))]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map(JSON.string)) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map(JSON.string)) }
            resources.append(.object(entry))
            if type.hasStatus {
                resources.append(["name": .string(type.plural + "/status"), "singularName": "", "namespaced": .bool(type.namespaced),
                                  "kind": .string(type.kind), "verbs": ["get", "patch", "update"]])
            }
            if type.scale != nil {
                resources.append(["name": .string(type.plural + "/scale"), "singularName": "", "namespaced": .bool(type.namespaced),
                                  "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]])
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }

    /// `/version`: the release the server answers as (kubectl and Helm read it).
    static func version(_ release: KubernetesVersion) -> JSON { [
        "major": .string(String(release.major)), "minor": .string(String(release.minor)),
        "gitVersion": .string("v\(release.major).\(release.minor).0-testapi"), "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
        "platform": "linux/amd64",
    ] }
}
