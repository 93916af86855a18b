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

/// The `metav1.ObjectMeta` fields this module reads or writes; kept local
/// until the shared KubeAPI models land (the lead reconciles the two).
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?

    public init(
        name: String, namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil,
        generation: Int64? = nil, creationTimestamp: String? = nil, labels: [String: String]? = nil,
        annotations: [String: String]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.labels = labels
        self.annotations = annotations
    }
}
