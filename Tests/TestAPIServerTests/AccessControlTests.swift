import JSONValue
import Testing
import TestAPIServer

@Suite struct AccessControlTests {
    static func configure(_ c: inout TestAPIServer.Configuration) {
        c.access = AccessControl(tokens: ["admin-token": UserInfo(name: "admin", groups: ["system:masters"]),
                                          "op-token": UserInfo(name: "system:serviceaccount:default:operator")],
                                 rbacEnabled: true)
    }

    static let admin = [("Authorization", "Bearer admin-token")]
    static let op = [("Authorization", "Bearer op-token")]

    /// Grants the operator service account get/list/watch on configmaps in `default`.
    func grantConfigMapReads(_ client: LoopbackClient) async throws {
        let role: JSON = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": "reader"],
                          "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]]]]
        let binding: JSON = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "reader"],
                             "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"],
                             "subjects": [["kind": "ServiceAccount", "name": "operator", "namespace": "default"]]]
        #expect(try await client.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", json: role, headers: Self.admin).status == 201)
        #expect(try await client.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", json: binding, headers: Self.admin).status == 201)
    }

    @Test(arguments: [([], 401), ([("Authorization", "Bearer wrong")], 401), ([("Authorization", "Bearer admin-token")], 200)] as [([(String, String)], Int)])
    func bearerTokenIsRequired(headers: [(String, String)], code: Int) async throws {
        try await withServer(Self.configure) { _, client in
            let response = try await client.request("GET", Fixtures.configMaps, headers: headers)
            #expect(response.status == code)
            if code == 401 { #expect(response.object["reason"] == "Unauthorized") }
        }
    }

    /// kubectl and Helm send no token over plain HTTP: with `anonymous`, such
    /// requests act as that user while token users stay under RBAC.
    @Test func anonymousUserServesRequestsWithoutToken() async throws {
        try await withServer({ Self.configure(&$0); $0.access.anonymous = .admin }) { server, client in
            let withoutToken = try await client.request("GET", Fixtures.configMaps)
            let wrongToken = try await client.request("GET", Fixtures.configMaps, headers: [("Authorization", "Bearer wrong")])
            let operatorToken = try await client.request("GET", Fixtures.configMaps, headers: Self.op)
            #expect(withoutToken.status == 200)
            #expect(wrongToken.status == 401)
            #expect(operatorToken.status == 403)
            #expect(server.requestLog.records.first?.user == "system:admin")
        }
    }

    @Test func rbacAllowsOnlyWhatBindingsGrant() async throws {
        try await withServer(Self.configure) { _, client in
            let denied = try await client.request("GET", Fixtures.configMaps, headers: Self.op)
            #expect(denied.status == 403)
            #expect(denied.object["reason"] == "Forbidden")
            #expect(denied.object["message"] == "configmaps is forbidden: User \"system:serviceaccount:default:operator\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"")
            try await grantConfigMapReads(client)
            #expect(try await client.request("GET", Fixtures.configMaps, headers: Self.op).status == 200)
            #expect(try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("x"), headers: Self.op).status == 403)
            #expect(try await client.request("GET", "/api/v1/namespaces/kube-system/configmaps", headers: Self.op).status == 403)
            #expect(try await client.request("GET", "/apis", headers: Self.op).status == 200, "discovery is open to authenticated users")
        }
    }

    @Test(arguments: [("list", "configmaps", "default", true), ("delete", "configmaps", "default", false),
                      ("list", "configmaps", "kube-system", false), ("get", "deployments", "default", false)])
    func selfSubjectAccessReviewAnswersFromRBAC(verb: String, resource: String, namespace: String, allowed: Bool) async throws {
        try await withServer(Self.configure) { _, client in
            try await grantConfigMapReads(client)
            let review: JSON = ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                                "spec": ["resourceAttributes": ["verb": .string(verb), "resource": .string(resource), "namespace": .string(namespace),
                                                                "group": resource == "deployments" ? "apps" : ""]]]
            let response = try await client.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json: review, headers: Self.op)
            #expect(response.status == 201)
            #expect(response.object[path: "status", "allowed"] == .bool(allowed))
        }
    }

    /// As in the real API server, a server-side apply that creates the object
    /// needs `create` besides `patch`; applying to an existing object needs only `patch`.
    @Test func applyThatCreatesNeedsCreateToo() async throws {
        try await withServer(Self.configure) { _, client in
            let role: JSON = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": "patcher"],
                              "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["patch"]]]]
            let binding: JSON = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "patcher"],
                                 "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "patcher"],
                                 "subjects": [["kind": "ServiceAccount", "name": "operator", "namespace": "default"]]]
            #expect(try await client.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", json: role, headers: Self.admin).status == 201)
            #expect(try await client.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", json: binding, headers: Self.admin).status == 201)
            let path = "\(Fixtures.configMaps)/applied?fieldManager=op"
            let config: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "applied"], "data": ["a": "1"]]
            let denied = try await client.request("PATCH", path, json: config, contentType: "application/apply-patch+yaml", headers: Self.op)
            #expect(denied.status == 403)
            #expect((denied.object["message"]?.stringValue ?? "").contains("cannot create resource \"configmaps\""), "\(denied.object)")
            #expect(try await client.request("PATCH", path, json: config, contentType: "application/apply-patch+yaml", headers: Self.admin).status == 201)
            let updated: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "applied"], "data": ["a": "2"]]
            let allowed = try await client.request("PATCH", path, json: updated, contentType: "application/apply-patch+yaml", headers: Self.op)
            #expect(allowed.status == 200, "\(allowed.object)")
        }
    }
}
