import JSONValue
import KubeAPI

/// A prometheus-operator ServiceMonitor as the informer stores it (metadata
/// typed, spec as a document): the operator only compares and applies it.
public struct ServiceMonitorResource: KubeResource, Hashable {
    public static let resourceType = ResourceType(
        group: "monitoring.coreos.com", version: "v1", plural: "servicemonitors", kind: "ServiceMonitor")

    public var apiVersion: String?
    public var kind: String?
    public var metadata: KubeAPI.ObjectMeta
    public var spec: JSON?

    public init(metadata: KubeAPI.ObjectMeta, spec: JSON?) {
        self.apiVersion = Self.resourceType.apiVersion
        self.kind = Self.resourceType.kind
        self.metadata = metadata
        self.spec = spec
    }
}
