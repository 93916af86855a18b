import ControllerRuntime
import JSONValue
import KubeAPI
import ServingAPI

/// The InferenceService as the informer stores it: typed metadata, and the
/// spec and status as documents. Reconcile decodes and validates the spec
/// itself, so an object with an invalid spec is still seen (and gets a
/// `Ready=False` condition naming the field) instead of failing to decode.
public struct InferenceServiceResource: KubeResource, Hashable {
    public static let resourceType = ResourceType(
        group: "serving.swiftinfer.io", version: "v1alpha1", plural: "inferenceservices", kind: "InferenceService")

    public var apiVersion: String?
    public var kind: String?
    public var metadata: KubeAPI.ObjectMeta
    public var spec: JSON?
    public var status: JSON?

    public init(metadata: KubeAPI.ObjectMeta, spec: JSON?, status: JSON? = nil) {
        self.apiVersion = Self.resourceType.apiVersion
        self.kind = Self.resourceType.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// The whole object as a document, as `InferenceService.decodeValidated` reads it.
    public var document: JSON {
        // Both sides use KubeAPI's ObjectMeta, so the metadata encodes as it decodes.
        let meta = (try? JSON(encoding: metadata)) ?? ["name": .string(metadata.name ?? "")]
        var object: JSONObject = [
            "apiVersion": .string(apiVersion ?? Self.resourceType.apiVersion),
            "kind": .string(kind ?? Self.resourceType.kind),
            "metadata": meta,
            "spec": spec ?? [:],
        ]
        if let status { object["status"] = status }
        return .object(object)
    }

    /// The status as the typed model; an unreadable status counts as empty
    /// (the operator rewrites it).
    public var typedStatus: InferenceServiceStatus {
        guard let status, let decoded = try? status.decode(InferenceServiceStatus.self) else { return InferenceServiceStatus() }
        return decoded
    }

    public var key: String { objectKey(namespace: metadata.namespace, name: metadata.name ?? "") }

    public var objectReference: ObjectReference {
        ObjectReference(apiVersion: Self.resourceType.apiVersion, kind: Self.resourceType.kind, name: metadata.name,
                        namespace: metadata.namespace, uid: metadata.uid)
    }
}
