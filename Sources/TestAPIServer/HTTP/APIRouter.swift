import Foundation
import JSONValue
import YAML

/// Bearer-token authentication and the RBAC switch.
public struct AccessControl: Sendable {
    /// Token -> user. Empty: no authentication, every caller is `UserInfo.admin`.
    public var tokens: [String: UserInfo]
    public var rbacEnabled: Bool
    /// Who a request without an `Authorization` header is while `tokens` is
    /// set; nil answers it 401. kubectl and Helm send no token over plain
    /// HTTP (client-go keeps credentials for TLS, kubernetes/kubectl#744), so
    /// tests that run them beside token users set this to `.admin`. A wrong
    /// token is still 401.
    public var anonymous: UserInfo?
    public init(tokens: [String: UserInfo] = [:], rbacEnabled: Bool = false, anonymous: UserInfo? = nil) {
        self.tokens = tokens
        self.rbacEnabled = rbacEnabled
        self.anonymous = anonymous
    }
}

/// Maps HTTP requests onto the cluster: path parsing, verbs, bodies,
/// authentication, authorization, injected faults and the request log.
public struct APIRouter: Sendable {
    public let cluster: Cluster
    public let access: AccessControl
    public let faults: Faults
    public let log: RequestLog
    var serverAddress: String

    /// A parsed resource path.
    struct ResourcePath {
        var type: ResourceType
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    public func handle(_ request: APIRequest) -> APIResponse {
        if request.path.hasPrefix("/testapi/") { return AdminEndpoints.handle(request, self) }
        var verb = request.method.lowercased()
        var user = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])
        var attributes: RequestAttributes?
        let response: APIResponse
        do throws(APIError) {
            user = try authenticate(request)
            let route = try route(request)
            verb = route.verb
            attributes = route.attributes
            if route.attributes.path == nil || request.path.hasPrefix("/api") {
                let a = route.attributes
                let resource = a.subresource.isEmpty ? a.resource : "\(a.resource)/\(a.subresource)"
                if let failure = faults.failure(for: verb, resource: resource) { throw failure }
            }
            if access.rbacEnabled {
                let decision = cluster.authorize(user, route.attributes)
                if !decision.allowed {
                    let a = route.attributes
                    if let path = a.path {
                        throw APIError(code: 403, reason: "Forbidden", message: "forbidden: User \"\(user.name)\" cannot \(a.verb) path \"\(path)\"")
                    }
                    throw APIError.forbidden(user: user.name, verb: a.verb, resource: a.subresource.isEmpty ? a.resource : "\(a.resource)/\(a.subresource)",
                                             group: a.group, namespace: a.namespace.isEmpty ? nil : a.namespace)
                }
                // A server-side apply that creates the object also needs `create`,
                // as in the real API server (its patch handler authorizes the creation).
                if verb == "patch", PatchType(rawValue: request.contentType) == .apply, let target = route.target,
                   target.subresource == nil, let name = target.name,
                   (try? cluster.get(target.type, namespace: target.namespace, name: name)) == nil {
                    var create = route.attributes
                    create.verb = "create"
                    if !cluster.authorize(user, create).allowed {
                        throw APIError.forbidden(user: user.name, verb: "create", resource: create.resource, group: create.group,
                                                 namespace: create.namespace.isEmpty ? nil : create.namespace)
                    }
                }
            }
            response = try route.run(user)
        } catch {
            response = .error(error)
        }
        if !(request.path == "/healthz" || request.path == "/readyz" || request.path == "/livez") {
            let query = request.query.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&")
            var record = RequestRecord(verb: verb, method: request.method, path: request.path, query: query,
                                       userAgent: request.userAgent, user: user.name, status: response.statusCode)
            if let a = attributes, a.path == nil {
                record.group = a.group
                record.resource = a.resource
                record.subresource = a.subresource
                record.namespace = a.namespace
                record.name = a.name
            }
            log.append(record)
        }
        return response
    }

    func authenticate(_ request: APIRequest) throws(APIError) -> UserInfo {
        var user = UserInfo.admin
        if !access.tokens.isEmpty, request.headers["authorization"] == nil, let anonymous = access.anonymous {
            user = anonymous
        } else if !access.tokens.isEmpty {
            guard let header = request.headers["authorization"], header.hasPrefix("Bearer "),
                  let known = access.tokens[String(header.dropFirst(7)).trimmingSpaces()] else { throw APIError.unauthorized }
            user = known
            if !user.groups.contains("system:authenticated") { user.groups.append("system:authenticated") }
        }
        if let impersonated = request.headers["impersonate-user"] {
            guard access.rbacEnabled == false || user.groups.contains("system:masters") else {
                throw APIError(code: 403, reason: "Forbidden", message: "users \"\(impersonated)\" is forbidden: User \"\(user.name)\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope")
            }
            let groups = request.headers["impersonate-group"].map { $0.split(separator: ",").map { String($0).trimmingSpaces() } } ?? []
            user = UserInfo(name: impersonated, groups: groups + ["system:authenticated"])
        }
        return user
    }

    struct Route {
        var verb: String
        var attributes: RequestAttributes
        var run: (UserInfo) throws(APIError) -> APIResponse
        /// The resource addressed (nil for non-resource paths).
        var target: ResourcePath? = nil
    }

    func route(_ request: APIRequest) throws(APIError) -> Route {
        let segments = request.path.split(separator: "/").map(String.init)
        let method = request.method
        func nonResource(_ body: @escaping () throws(APIError) -> APIResponse) -> Route {
            Route(verb: method.lowercased() == "get" ? "get" : method.lowercased(),
                  attributes: RequestAttributes(verb: method.lowercased(), path: request.path)) { _ throws(APIError) in try body() }
        }
        switch request.path {
        case "/healthz", "/readyz", "/livez":
            return nonResource { .body(status: 200, contentType: "text/plain", body: Array("ok".utf8), headers: []) }
        case "/version":
            return nonResource { .json(200, Discovery.version(cluster.kubernetesVersion)) }
        case "/api":
            let address = request.headers["host"] ?? serverAddress
            return nonResource { .json(200, Discovery.coreVersions(serverAddress: address)) }
        case "/openapi/v2":
            let protobuf = request.headers["accept"]?.contains("protobuf") ?? false
            return nonResource {
                protobuf ? .body(status: 200, contentType: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf", body: [], headers: [])
                    : .json(200, ["swagger": "2.0", "info": ["title": "Kubernetes", "version": .string("v\(cluster.kubernetesVersion).0")], "paths": .object([:]), "definitions": .object([:])])
            }
        case "/openapi/v3":
            return nonResource { .json(200, OpenAPI.v3Index(cluster.servedTypes)) }
        case "/apis":
            return nonResource { .json(200, Discovery.groupList(cluster.servedTypes)) }
        default: break
        }
        if request.path.hasPrefix("/openapi/v3/") {
            let parts = Array(segments.dropFirst(2))
            let (group, version) = parts.first == "api" && parts.count == 2 ? ("", parts[1])
                : parts.first == "apis" && parts.count == 3 ? (parts[1], parts[2]) : ("?", "?")
            let types = cluster.servedTypes
            return nonResource { () throws(APIError) in
                guard types.contains(where: { $0.group == group && $0.version == version }) else { throw APIError.notFoundPath(request.path) }
                return .json(200, OpenAPI.v3Document(group: group, version: version, types))
            }
        }
        guard segments.first == "api" || segments.first == "apis", segments.count >= 2 else {
            return nonResource { () throws(APIError) in throw APIError.notFoundPath(request.path) }
        }
        let types = cluster.servedTypes
        let group: String
        let version: String
        var rest: ArraySlice<String>
        if segments[0] == "api" {
            group = ""
            version = segments[1]
            rest = segments.dropFirst(2)
        } else {
            group = segments[1]
            if segments.count == 2 {
                let versions = Discovery.groups(types)[group]
                return nonResource { () throws(APIError) in
                    guard let versions else { throw APIError.notFoundPath(request.path) }
                    return .json(200, Discovery.group(group, versions: versions))
                }
            }
            version = segments[2]
            rest = segments.dropFirst(3)
        }
        let served = types.filter { $0.group == group && $0.version == version }
        if rest.isEmpty {
            return nonResource { () throws(APIError) in
                guard !served.isEmpty || (group.isEmpty && version == "v1") else { throw APIError.notFoundPath(request.path) }
                return .json(200, Discovery.resourceList(groupVersion: group.isEmpty ? version : "\(group)/\(version)", served))
            }
        }
        var namespace: String?
        if rest.first == "namespaces", rest.count >= 3, !(rest.count == 3 && ["status", "finalize"].contains(rest[rest.startIndex + 2])) {
            namespace = rest[rest.startIndex + 1]
            rest = rest.dropFirst(2)
        }
        let parts = Array(rest)
        guard parts.count <= 3, let type = served.first(where: { $0.plural == parts[0] }) else {
            throw APIError.notFoundPath(request.path)
        }
        if !type.namespaced && namespace != nil { throw APIError.notFoundPath(request.path) }
        let target = ResourcePath(type: type, namespace: namespace, name: parts.count > 1 ? parts[1] : nil,
                                  subresource: parts.count > 2 ? parts[2] : nil)
        if let sub = target.subresource {
            let known = (sub == "status" && type.hasStatus) || (sub == "scale" && type.scale != nil)
            guard known else { throw APIError.notFoundPath(request.path) }
        }
        if type.namespaced && target.name != nil && namespace == nil { throw APIError.notFoundPath(request.path) }
        return try resourceRoute(request, target)
    }

    func resourceRoute(_ request: APIRequest, _ target: ResourcePath) throws(APIError) -> Route {
        let type = target.type
        let verb: String
        switch (request.method, target.name) {
        case ("GET", nil): verb = request.flag("watch") ? "watch" : "list"
        case ("GET", _): verb = "get"
        case ("POST", nil): verb = "create"
        case ("PUT", _?): verb = "update"
        case ("PATCH", _?): verb = "patch"
        case ("DELETE", nil): verb = "deletecollection"
        case ("DELETE", _?): verb = "delete"
        default: throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        if type.createOnly && verb != "create" {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let attributes = RequestAttributes(verb: verb, group: type.group, resource: type.plural, subresource: target.subresource ?? "",
                                           namespace: target.namespace ?? "", name: target.name ?? "")
        let handlers = ResourceHandlers(router: self, request: request, target: target)
        return Route(verb: verb, attributes: attributes, run: { user throws(APIError) in try handlers.run(verb, user: user) }, target: target)
    }
}

