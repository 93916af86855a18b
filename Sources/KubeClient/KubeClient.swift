#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP
import JSONValue
import KubeAPI

/// A Kubernetes API client over an `HTTPTransport` (libcurl in production).
///
/// Every operation exists twice: on `JSON` documents for any resource
/// (custom resources included) and typed for `KubeResource` models.
public struct KubeClient: Sendable {
    public let configuration: KubeClientConfiguration
    let transport: any HTTPTransport
    let authenticator: Authenticator
    private let base: String

    public init(configuration: KubeClientConfiguration, transport: any HTTPTransport) {
        self.configuration = configuration
        self.transport = transport
        self.authenticator = Authenticator(credentials: configuration.credentials)
        var server = configuration.server
        while server.hasSuffix("/") { server.removeLast() }
        self.base = server
    }

    /// The default namespace of the configuration.
    public var namespace: String { configuration.namespace }

    // MARK: Requests

    func url(_ path: String, query: [(String, String)]) -> String {
        guard !query.isEmpty else { return base + path }
        return base + path + "?" + query.map { "\($0.0)=\(PathEscaping.queryValue($0.1))" }.joined(separator: "&")
    }

    func makeRequest(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
                     contentType: String = "application/json", timeout: Duration?) async throws(KubeAPIError) -> HTTPRequest
    {
        var headers: HTTPHeaders = ["Accept": "application/json", "User-Agent": configuration.userAgent]
        if body != nil { headers["Content-Type"] = contentType }
        if let authorization = try await authenticator.authorizationHeader() {
            headers["Authorization"] = authorization
        }
        return HTTPRequest(method: method, url: url(path, query: query), headers: headers,
                           body: body?.serializedBytes(), timeout: timeout)
    }

    /// Sends a request and returns the body of a 2xx answer as JSON; other
    /// statuses become `KubeAPIError`s. A 401 drops cached credentials and
    /// retries once (exec tokens and rotated token files).
    func perform(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
                 contentType: String = "application/json") async throws(KubeAPIError) -> JSON
    {
        var response = try await send(method, path, query: query, body: body, contentType: contentType)
        if response.status == 401, configuration.credentials.isRefreshable {
            await authenticator.invalidate()
            response = try await send(method, path, query: query, body: body, contentType: contentType)
        }
        guard (200..<300).contains(response.status) else { throw KubeAPIError.from(response: response) }
        do {
            return try JSON.parse(response.body)
        } catch {
            throw .decoding("\(method.rawValue) \(path): \(error)")
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: JSON?,
                      contentType: String) async throws(KubeAPIError) -> HTTPResponse
    {
        let request = try await makeRequest(method, path, query: query, body: body, contentType: contentType,
                                            timeout: configuration.requestTimeout)
        do {
            return try await transport.send(request)
        } catch {
            throw .transport(error)
        }
    }

    // MARK: Untyped operations (any resource, custom resources included)

    /// Whether the API server serves `type` (discovery of its group/version;
    /// a group/version it does not serve answers 404: false).
    public func serves(_ type: ResourceType) async throws(KubeAPIError) -> Bool {
        let path = type.group.isEmpty ? "/api/\(type.version)" : "/apis/\(type.group)/\(type.version)"
        let list: JSON
        do {
            list = try await perform(.get, path)
        } catch {
            if error.isNotFound { return false }
            throw error
        }
        return list["resources"]?.arrayValue?.contains { $0["name"]?.stringValue == type.plural } ?? false
    }

    public func get(_ type: ResourceType, name: String, namespace: String? = nil) async throws(KubeAPIError) -> JSON {
        try await perform(.get, type.objectPath(name: name, namespace: resolve(namespace, type)))
    }

    /// One page of a list. `namespace` nil lists across all namespaces.
    public func list(_ type: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions()) async throws(KubeAPIError) -> JSON {
        try await perform(.get, type.collectionPath(namespace: namespace), query: options.query)
    }

    public func create(_ type: ResourceType, _ object: JSON, namespace: String? = nil) async throws(KubeAPIError) -> JSON {
        let ns = resolve(namespace ?? object[path: "metadata", "namespace"]?.stringValue, type)
        return try await perform(.post, type.collectionPath(namespace: ns), body: object)
    }

    /// PUT: fails with `.conflict` when `metadata.resourceVersion` is stale.
    public func replace(_ type: ResourceType, _ object: JSON, subresource: String? = nil) async throws(KubeAPIError) -> JSON {
        let name = try requireName(object)
        let ns = resolve(object[path: "metadata", "namespace"]?.stringValue, type)
        return try await perform(.put, type.objectPath(name: name, namespace: ns, subresource: subresource), body: object)
    }

    public func patch(_ type: ResourceType, name: String, namespace: String? = nil, _ patch: Patch,
                      subresource: String? = nil, fieldManager: String? = nil) async throws(KubeAPIError) -> JSON
    {
        var query: [(String, String)] = []
        if let fieldManager { query.append(("fieldManager", fieldManager)) }
        return try await perform(.patch, type.objectPath(name: name, namespace: resolve(namespace, type), subresource: subresource),
                                 query: query, body: patch.body, contentType: patch.contentType)
    }

    /// Server-side apply: sends only the fields this manager owns.
    public func apply(_ type: ResourceType, _ object: JSON, fieldManager: String, force: Bool = false,
                      subresource: String? = nil) async throws(KubeAPIError) -> JSON
    {
        let name = try requireName(object)
        let ns = resolve(object[path: "metadata", "namespace"]?.stringValue, type)
        var query = [("fieldManager", fieldManager)]
        if force { query.append(("force", "true")) }
        return try await perform(.patch, type.objectPath(name: name, namespace: ns, subresource: subresource),
                                 query: query, body: object, contentType: "application/apply-patch+yaml")
    }

    /// Deletes an object; returns the server's answer (the object while
    /// finalizers or foreground deletion hold it, or a `Status`).
    @discardableResult
    public func delete(_ type: ResourceType, name: String, namespace: String? = nil,
                       options: DeleteOptions = DeleteOptions()) async throws(KubeAPIError) -> JSON
    {
        try await perform(.delete, type.objectPath(name: name, namespace: resolve(namespace, type)), body: options.body)
    }

    /// Lists every page, following `continue` tokens.
    public func listAll(_ type: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions(),
                        pageSize: Int = 500) async throws(KubeAPIError) -> (items: [JSON], resourceVersion: String)
    {
        var options = options
        options.limit = pageSize
        var items: [JSON] = []
        while true {
            let page = try await list(type, namespace: namespace, options: options)
            items.append(contentsOf: page["items"]?.arrayValue ?? [])
            let token = page[path: "metadata", "continue"]?.stringValue ?? ""
            if token.isEmpty {
                return (items, page[path: "metadata", "resourceVersion"]?.stringValue ?? "")
            }
            options.continue = token
        }
    }

    // MARK: Helpers

    func resolve(_ namespace: String?, _ type: ResourceType) -> String? {
        type.namespaced ? (namespace ?? configuration.namespace) : nil
    }

    func requireName(_ object: JSON) throws(KubeAPIError) -> String {
        guard let name = object[path: "metadata", "name"]?.stringValue, !name.isEmpty else {
            throw .decoding("object has no metadata.name")
        }
        return name
    }
}

extension Credentials {
    var isRefreshable: Bool {
        switch self {
        case .exec, .tokenFile: return true
        default: return false
        }
    }
}
