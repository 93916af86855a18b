import JSONValue
import KubeAPI

/// Typed access through `KubeResource` models.
extension KubeClient {
    public func get<T: KubeResource>(_ type: T.Type, name: String, namespace: String? = nil) async throws(KubeAPIError) -> T {
        try Self.decode(T.self, from: try await get(T.resourceType, name: name, namespace: namespace))
    }

    /// Reads an object for a read-modify-write that keeps unknown fields.
    public func getEditable<T: KubeResource>(_ type: T.Type, name: String, namespace: String? = nil) async throws(KubeAPIError) -> Editable<T> {
        let raw = try await get(T.resourceType, name: name, namespace: namespace)
        return Editable(value: try Self.decode(T.self, from: raw), original: raw)
    }

    /// One page of a typed list. Items that do not decode are returned in
    /// `undecodable` with the reason, never dropped silently.
    public func list<T: KubeResource>(_ type: T.Type, namespace: String? = nil, options: ListOptions = ListOptions()) async throws(KubeAPIError) -> TypedList<T> {
        TypedList(page: try await list(T.resourceType, namespace: namespace, options: options))
    }

    public func create<T: KubeResource>(_ object: T) async throws(KubeAPIError) -> T {
        let body = try Self.encode(object.withTypeMeta())
        return try Self.decode(T.self, from: try await create(T.resourceType, body, namespace: object.metadata.namespace))
    }

    /// PUT of the whole object (its `resourceVersion` makes it conditional).
    public func update<T: KubeResource>(_ object: T) async throws(KubeAPIError) -> T {
        try Self.decode(T.self, from: try await replace(T.resourceType, try Self.encode(object.withTypeMeta())))
    }

    /// PUT of an edited object, keeping the fields the model does not know.
    public func update<T: KubeResource>(_ editable: Editable<T>) async throws(KubeAPIError) -> T {
        let body: JSON
        do { body = try editable.merged() } catch { throw .decoding(error.description) }
        return try Self.decode(T.self, from: try await replace(T.resourceType, body))
    }

    /// PUT to the status subresource: only `.status` changes on the server.
    public func updateStatus<T: KubeResource>(_ object: T) async throws(KubeAPIError) -> T {
        try Self.decode(T.self, from: try await replace(T.resourceType, try Self.encode(object.withTypeMeta()), subresource: "status"))
    }

    public func patch<T: KubeResource>(_ type: T.Type, name: String, namespace: String? = nil, _ patch: Patch,
                                       subresource: String? = nil, fieldManager: String? = nil) async throws(KubeAPIError) -> T
    {
        try Self.decode(T.self, from: try await self.patch(T.resourceType, name: name, namespace: namespace, patch,
                                                           subresource: subresource, fieldManager: fieldManager))
    }

    /// Server-side apply of a typed object. The body carries only what the
    /// model encodes (absent optionals are omitted).
    public func apply<T: KubeResource>(_ object: T, fieldManager: String, force: Bool = false,
                                       subresource: String? = nil) async throws(KubeAPIError) -> T
    {
        let body = try Self.encode(object.withTypeMeta())
        return try Self.decode(T.self, from: try await apply(T.resourceType, body, fieldManager: fieldManager, force: force, subresource: subresource))
    }

    @discardableResult
    public func delete<T: KubeResource>(_ type: T.Type, name: String, namespace: String? = nil,
                                        options: DeleteOptions = DeleteOptions()) async throws(KubeAPIError) -> JSON
    {
        try await delete(T.resourceType, name: name, namespace: namespace, options: options)
    }

    // MARK: Scale subresource (any resource that has one, custom resources included)

    public func getScale(_ type: ResourceType, name: String, namespace: String? = nil) async throws(KubeAPIError) -> Scale {
        try Self.decode(Scale.self, from: try await perform(.get, type.objectPath(name: name, namespace: resolve(namespace, type), subresource: "scale")))
    }

    /// Sets `spec.replicas` through the scale subresource (a merge patch, so
    /// it does not conflict with other writers of the object).
    public func scale(_ type: ResourceType, name: String, namespace: String? = nil, replicas: Int32,
                      fieldManager: String? = nil) async throws(KubeAPIError) -> Scale
    {
        let body: JSON = ["spec": ["replicas": .int(Int64(replicas))]]
        return try Self.decode(Scale.self, from: try await patch(type, name: name, namespace: namespace, .merge(body),
                                                                 subresource: "scale", fieldManager: fieldManager))
    }

    // MARK: Coding

    static func decode<T: Decodable>(_ type: T.Type, from value: JSON) throws(KubeAPIError) -> T {
        do { return try value.decode(T.self) } catch { throw .decoding(error.description) }
    }

    static func encode<T: Encodable>(_ value: T) throws(KubeAPIError) -> JSON {
        do { return try JSON(encoding: value) } catch { throw .decoding(error.description) }
    }
}

/// A decoded list page.
public struct TypedList<T: KubeResource>: Sendable {
    public var items: [T]
    /// Items that did not decode: their name (when readable), raw document and the reason.
    public var undecodable: [(name: String?, object: JSON, reason: String)]
    public var resourceVersion: String
    public var continueToken: String?

    init(page: JSON) {
        items = []
        undecodable = []
        for item in page["items"]?.arrayValue ?? [] {
            do {
                items.append(try item.decode(T.self))
            } catch {
                undecodable.append((item[path: "metadata", "name"]?.stringValue, item, error.description))
            }
        }
        resourceVersion = page[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        let token = page[path: "metadata", "continue"]?.stringValue
        continueToken = (token?.isEmpty ?? true) ? nil : token
    }
}
