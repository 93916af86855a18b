import Foundation
import JSONValue
import YAML

/// The per-verb handlers for a resource path.
struct ResourceHandlers {
    let router: APIRouter
    let request: APIRequest
    let target: APIRouter.ResourcePath

    var cluster: Cluster { router.cluster }
    var type: ResourceType { target.type }
    var name: String { target.name ?? "" }

    var writeOptions: WriteOptions {
        WriteOptions(fieldManager: request.query["fieldManager"], userAgent: request.userAgent, force: request.flag("force"),
                     dryRun: request.query["dryRun"] == "All", fieldValidation: request.query["fieldValidation"])
    }

    func run(_ verb: String, user: UserInfo) throws(APIError) -> APIResponse {
        switch verb {
        case "get":
            if target.subresource == "scale" { return .json(200, try cluster.getScale(type, namespace: target.namespace, name: name)) }
            let object = try cluster.get(type, namespace: target.namespace, name: name)
            if let table = tableView, target.subresource == nil {
                return .json(200, table.table([object], listMetadata: ["resourceVersion": object[path: "metadata", "resourceVersion"] ?? ""]))
            }
            return .json(200, object)
        case "list":
            let list = try cluster.list(type, namespace: target.namespace, options: try listOptions())
            if let table = tableView {
                return .json(200, table.table(list["items"]?.arrayValue ?? [], listMetadata: list["metadata"] ?? .object([:])))
            }
            return .json(200, list)
        case "watch":
            let options = try listOptions()
            try cluster.checkWatchStart(request.query["resourceVersion"])
            return .watch(WatchRequest(type: type, namespace: target.namespace, labelSelector: options.labelSelector,
                                       fieldSelector: options.fieldSelector, resourceVersion: request.query["resourceVersion"],
                                       timeoutSeconds: request.query["timeoutSeconds"].flatMap { Int($0) },
                                       allowBookmarks: request.flag("allowWatchBookmarks"), tableView: tableView))
        case "create":
            let body = try parseBody()
            if type.createOnly { return .json(201, accessReview(body, user: user)) }
            return written(try cluster.create(type, namespace: target.namespace, body: body, options: writeOptions))
        case "update":
            let body = try parseBody()
            if target.subresource == "scale" {
                return written(try cluster.updateScale(type, namespace: target.namespace, name: name, patchType: nil, body: body, options: writeOptions))
            }
            return written(try cluster.update(type, namespace: target.namespace, name: name, body: body,
                                              subresource: target.subresource, options: writeOptions))
        case "patch":
            guard let patchType = PatchType(rawValue: request.contentType) else {
                throw APIError.unsupportedMediaType(request.contentType)
            }
            let body = try parseBody(yamlAllowed: patchType == .apply)
            if target.subresource == "scale" {
                return written(try cluster.updateScale(type, namespace: target.namespace, name: name, patchType: patchType,
                                                       body: body, options: writeOptions))
            }
            return written(try cluster.patch(type, namespace: target.namespace, name: name, patchType: patchType, body: body,
                                             subresource: target.subresource, options: writeOptions))
        case "delete":
            return .json(200, try cluster.delete(type, namespace: target.namespace, name: name, options: try deleteOptions()))
        case "deletecollection":
            return .json(200, try cluster.deleteCollection(type, namespace: target.namespace, options: try listOptions(),
                                                           deleteOptions: try deleteOptions()))
        default:
            throw APIError.methodNotAllowed("unsupported verb \(verb)")
        }
    }

    /// Set when the client asks for `meta.k8s.io/v1 Table` (kubectl's human output).
    var tableView: TableView? {
        guard let accept = request.headers["accept"], accept.contains("as=Table"), accept.contains("g=meta.k8s.io") else { return nil }
        return TableView(type: type, now: cluster.configuration.now())
    }

    func written(_ result: WriteResult) -> APIResponse {
        .json(result.code, result.object, headers: result.warnings.map { ("Warning", "299 - \"\($0.replacingQuotes)\"") })
    }

    func listOptions() throws(APIError) -> Cluster.ListOptions {
        var options = Cluster.ListOptions()
        if let text = request.query["labelSelector"] { options.labelSelector = try LabelSelector(parsing: text) }
        if let text = request.query["fieldSelector"], !text.isEmpty { options.fieldSelector = try FieldSelector(parsing: text, extraFields: type.extraFieldSelectors) }
        if let text = request.query["limit"] {
            guard let limit = Int(text), limit >= 0 else { throw APIError.badRequest("invalid limit \"\(text)\"") }
            options.limit = limit
        }
        options.continueToken = request.query["continue"]
        return options
    }

    func deleteOptions() throws(APIError) -> DeleteOptions {
        var options = DeleteOptions(dryRun: request.query["dryRun"] == "All")
        var policy = request.query["propagationPolicy"]
        if !request.body.isEmpty {
            let body = try parseBody()
            policy = body["propagationPolicy"]?.stringValue ?? policy
            if body["orphanDependents"]?.boolValue == true { policy = "Orphan" }
            options.preconditionUID = body[path: "preconditions", "uid"]?.stringValue
            options.preconditionResourceVersion = body[path: "preconditions", "resourceVersion"]?.stringValue
            if body["dryRun"]?.arrayValue?.contains("All") == true { options.dryRun = true }
        }
        if let policy {
            guard let parsed = DeleteOptions.Propagation(rawValue: policy) else {
                throw APIError.badRequest("propagationPolicy: Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\"")
            }
            options.propagation = parsed
        }
        return options
    }

    func parseBody(yamlAllowed: Bool = false) throws(APIError) -> JSON {
        guard !request.body.isEmpty else { throw APIError.badRequest("the request body is empty") }
        if request.contentType == "application/vnd.kubernetes.protobuf" {
            return try ProtobufBodies.decode(request.body, kind: type.kind)
        }
        let first = request.body.first { ![9, 10, 13, 32].contains($0) }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") || !(yamlAllowed || request.contentType.contains("yaml")) {
            do { return try JSON.parse(request.body) } catch {
                throw APIError.badRequest("couldn't decode the request body as JSON: \(error.description)")
            }
        }
        do { return try YAML.parse(String(decoding: request.body, as: UTF8.self)) } catch {
            throw APIError.badRequest("couldn't decode the request body as YAML: \(error.description)")
        }
    }

    /// SelfSubjectAccessReview / SubjectAccessReview / SelfSubjectRulesReview answered from RBAC.
    func accessReview(_ body: JSON, user: UserInfo) -> JSON {
        if type.plural == "selfsubjectrulesreviews" {
            let rbacUser = router.access.rbacEnabled ? user : UserInfo.admin
            let rules = cluster.rules(for: rbacUser, namespace: body[path: "spec", "namespace"]?.stringValue ?? "")
            var review = body
            review["apiVersion"] = "authorization.k8s.io/v1"
            review["kind"] = "SelfSubjectRulesReview"
            review["status"] = ["resourceRules": .array(rules.resource), "nonResourceRules": .array(rules.nonResource), "incomplete": false]
            return review
        }
        var subject = user
        if type.plural == "subjectaccessreviews" {
            subject = UserInfo(name: body[path: "spec", "user"]?.stringValue ?? "",
                               groups: body[path: "spec", "groups"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        let attributes: RequestAttributes
        if let r = body[path: "spec", "resourceAttributes"] {
            attributes = RequestAttributes(verb: r["verb"]?.stringValue ?? "", group: r["group"]?.stringValue ?? "",
                                           resource: r["resource"]?.stringValue ?? "", subresource: r["subresource"]?.stringValue ?? "",
                                           namespace: r["namespace"]?.stringValue ?? "", name: r["name"]?.stringValue ?? "")
        } else {
            let n = body[path: "spec", "nonResourceAttributes"]
            attributes = RequestAttributes(verb: n?["verb"]?.stringValue ?? "", path: n?["path"]?.stringValue ?? "")
        }
        let decision = router.access.rbacEnabled ? cluster.authorize(subject, attributes) : (true, "RBAC is off")
        var review = body
        review["apiVersion"] = "authorization.k8s.io/v1"
        review["kind"] = .string(type.kind)
        var status: JSONObject = ["allowed": .bool(decision.0)]
        if !decision.1.isEmpty { status["reason"] = .string(decision.1) }
        review["status"] = .object(status)
        return review
    }
}

extension String {
    var replacingQuotes: String { replacingOccurrences(of: "\"", with: "\\\"") }
}
