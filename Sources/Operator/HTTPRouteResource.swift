import JSONValue
import KubeAPI
import Rendering

/// A Gateway API HTTPRoute as the informer stores it (metadata typed, spec
/// as a document): the operator only compares, applies and deletes the
/// canary routes it renders (`HTTPRouteRenderer`).
public struct HTTPRouteResource: KubeResource, Hashable {
    public static let resourceType = ResourceType(
        group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: HTTPRouteRenderer.kind)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: KubeAPI.ObjectMeta
    public var spec: JSON?
    /// What the Gateway's controller reports (`RouteAcceptance`).
    public var status: JSON?

    public init(metadata: KubeAPI.ObjectMeta, spec: JSON?, status: JSON? = nil) {
        self.apiVersion = Self.resourceType.apiVersion
        self.kind = Self.resourceType.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}
