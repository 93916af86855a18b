/// Identifies a REST resource: enough to build its URL paths and its
/// `apiVersion`/`kind`.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    /// API group; empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    /// Lower-case plural used in URLs, e.g. `deployments`.
    public var plural: String
    public var kind: String
    public var namespaced: Bool

    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { group.isEmpty ? "\(plural).\(version)" : "\(plural).\(version).\(group)" }

    /// `/api/v1` or `/apis/{group}/{version}`.
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The collection path: all namespaces when `namespace` is nil.
    public func collectionPath(namespace: String?) -> String {
        if namespaced, let namespace {
            return "\(groupVersionPath)/namespaces/\(PathEscaping.segment(namespace))/\(plural)"
        }
        return "\(groupVersionPath)/\(plural)"
    }

    /// The path of one object, optionally of its subresource (`status`, `scale`).
    public func objectPath(name: String, namespace: String?, subresource: String? = nil) -> String {
        var path = collectionPath(namespace: namespaced ? namespace : nil) + "/" + PathEscaping.segment(name)
        if let subresource { path += "/" + subresource }
        return path
    }
}

extension ResourceType {
    public static let pods = ResourceType(group: "", version: "v1", plural: "pods", kind: "Pod")
    public static let services = ResourceType(group: "", version: "v1", plural: "services", kind: "Service")
    public static let configMaps = ResourceType(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap")
    public static let secrets = ResourceType(group: "", version: "v1", plural: "secrets", kind: "Secret")
    public static let coreEvents = ResourceType(group: "", version: "v1", plural: "events", kind: "Event")
    public static let namespaces = ResourceType(group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false)
    public static let serviceAccounts = ResourceType(group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount")
    public static let deployments = ResourceType(group: "apps", version: "v1", plural: "deployments", kind: "Deployment")
    public static let leases = ResourceType(group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease")
    public static let events = ResourceType(group: "events.k8s.io", version: "v1", plural: "events", kind: "Event")
    public static let customResourceDefinitions = ResourceType(
        group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions",
        kind: "CustomResourceDefinition", namespaced: false)
}

/// Percent-encoding for URL path segments and query values.
public enum PathEscaping {
    private static let unreserved: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))

    public static func segment(_ text: String) -> String { escape(text) }

    public static func queryValue(_ text: String) -> String { escape(text) }

    private static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
