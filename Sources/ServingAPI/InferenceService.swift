import KubeAPI

/// An `InferenceService` object (`serving.swiftinfer.io/v1alpha1`).
public struct InferenceService: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: InferenceServiceSpec
    public var status: InferenceServiceStatus?

    public init(metadata: ObjectMeta, spec: InferenceServiceSpec, status: InferenceServiceStatus? = nil) {
        self.apiVersion = Defaults.apiVersion
        self.kind = Defaults.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

extension InferenceService {
    /// `metadata.name` (the API server requires one; empty only for a value built without it).
    public var name: String { metadata.name ?? "" }
}
