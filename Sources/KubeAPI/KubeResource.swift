import JSONValue

/// A typed Kubernetes object the client can read and write.
public protocol KubeResource: Codable, Sendable {
    static var resourceType: ResourceType { get }
    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
}

extension KubeResource {
    /// Fills `apiVersion`/`kind` from the resource type when absent (they
    /// are required on writes and on apply patches).
    public func withTypeMeta() -> Self {
        var copy = self
        if copy.apiVersion == nil { copy.apiVersion = Self.resourceType.apiVersion }
        if copy.kind == nil { copy.kind = Self.resourceType.kind }
        return copy
    }

    public var name: String { metadata.name ?? "" }
    public var namespace: String? { metadata.namespace }
}

/// A list response (`metadata` + `items`).
public struct ObjectList<Item: Decodable & Sendable>: Decodable, Sendable {
    public var metadata: ListMeta
    public var items: [Item]

    public init(metadata: ListMeta, items: [Item]) {
        self.metadata = metadata
        self.items = items
    }

    private enum CodingKeys: String, CodingKey { case metadata, items }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        // `items: null` is how Go encodes an empty list.
        items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
    }
}

/// A value read from the server together with the document it came from,
/// so a read-modify-write keeps fields this project's models do not know.
public struct Editable<Resource: KubeResource>: Sendable {
    public var value: Resource
    public let original: JSON

    public init(value: Resource, original: JSON) {
        self.value = value
        self.original = original
    }

    /// The document to send back: `original` with the model's changes laid
    /// over it (see `JSON.overlay`).
    public func merged() throws(JSONCodingError) -> JSON {
        let before = try JSON(encoding: original.decode(Resource.self))
        let after = try JSON(encoding: value)
        return original.overlay(modelBefore: before, modelAfter: after)
    }
}

extension JSON {
    /// Lays a model's edits over the server's document.
    ///
    /// `modelBefore` is the model's own encoding of `self` (what the model
    /// can see), `modelAfter` the encoding after the edit. Object keys the
    /// model changed or added take the new value; keys the model knew and
    /// dropped are removed; keys the model never saw are kept. Arrays are
    /// replaced whole by the model's version when it changed them, since
    /// their elements cannot be matched reliably.
    public func overlay(modelBefore: JSON, modelAfter: JSON) -> JSON {
        guard case .object(let server) = self, case .object(let after) = modelAfter else {
            return modelBefore == modelAfter ? self : modelAfter
        }
        let before = modelBefore.objectValue ?? JSONObject()
        var result = JSONObject()
        for (key, serverValue) in server {
            if let newValue = after[key] {
                if let oldValue = before[key] {
                    result[key] = serverValue.overlay(modelBefore: oldValue, modelAfter: newValue)
                } else {
                    result[key] = newValue
                }
            } else if before[key] == nil {
                result[key] = serverValue
            }
        }
        for (key, newValue) in after where server[key] == nil {
            result[key] = newValue
        }
        return .object(result)
    }
}
