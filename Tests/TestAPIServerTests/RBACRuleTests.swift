import JSONValue
import Testing
@testable import TestAPIServer

/// The RBAC evaluation on its own, table-driven.
@Suite struct RBACRuleTests {
    static let objects = RBAC.Objects(
        roles: [ObjectKey(namespace: "default", name: "scaler"): [
            "rules": [["apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get", "update", "patch"]],
                      ["apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["settings"], "verbs": ["get"]]]]],
        roleBindings: [ObjectKey(namespace: "default", name: "scaler"): [
            "roleRef": ["kind": "Role", "name": "scaler"], "subjects": [["kind": "User", "name": "alice"]]],
                       ObjectKey(namespace: "team", name: "view"): [
            "roleRef": ["kind": "ClusterRole", "name": "viewer"], "subjects": [["kind": "Group", "name": "devs"]]]],
        clusterRoles: [ObjectKey(namespace: "", name: "viewer"): [
            "rules": [["apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]]]],
                       ObjectKey(namespace: "", name: "operator"): [
            "rules": [["apiGroups": ["serving.swiftinfer.io"], "resources": ["inferenceservices", "inferenceservices/status"], "verbs": ["*"]],
                      ["nonResourceURLs": ["/metrics", "/debug/*"], "verbs": ["get"]]]]],
        clusterRoleBindings: [ObjectKey(namespace: "", name: "operator"): [
            "roleRef": ["kind": "ClusterRole", "name": "operator"],
            "subjects": [["kind": "ServiceAccount", "name": "op", "namespace": "system"]]]])

    static let alice = UserInfo(name: "alice")
    static let dev = UserInfo(name: "bob", groups: ["devs"])
    static let op = UserInfo(name: "system:serviceaccount:system:op")

    @Test(arguments: [
        (alice, RequestAttributes(verb: "patch", group: "apps", resource: "deployments", subresource: "scale", namespace: "default"), true),
        (alice, RequestAttributes(verb: "patch", group: "apps", resource: "deployments", namespace: "default"), false),
        (alice, RequestAttributes(verb: "patch", group: "apps", resource: "deployments", subresource: "scale", namespace: "team"), false),
        (alice, RequestAttributes(verb: "get", resource: "configmaps", namespace: "default", name: "settings"), true),
        (alice, RequestAttributes(verb: "get", resource: "configmaps", namespace: "default", name: "other"), false),
        (alice, RequestAttributes(verb: "list", resource: "configmaps", namespace: "default"), false),
        (dev, RequestAttributes(verb: "list", group: "apps", resource: "deployments", namespace: "team"), true),
        (dev, RequestAttributes(verb: "delete", group: "apps", resource: "deployments", namespace: "team"), false),
        (dev, RequestAttributes(verb: "list", group: "apps", resource: "deployments", namespace: "default"), false),
        (op, RequestAttributes(verb: "update", group: "serving.swiftinfer.io", resource: "inferenceservices", subresource: "status", namespace: "any"), true),
        (op, RequestAttributes(verb: "watch", group: "serving.swiftinfer.io", resource: "inferenceservices"), true),
        (op, RequestAttributes(verb: "get", group: "serving.swiftinfer.io", resource: "inferenceservices", subresource: "scale", namespace: "a"), false),
        (op, RequestAttributes(verb: "get", path: "/metrics"), true),
        (op, RequestAttributes(verb: "get", path: "/debug/pprof"), true),
        (op, RequestAttributes(verb: "post", path: "/metrics"), false),
        (op, RequestAttributes(verb: "get", path: "/apis/apps/v1"), true),
        (op, RequestAttributes(verb: "create", group: "authorization.k8s.io", resource: "selfsubjectaccessreviews"), true),
        (UserInfo(name: "root", groups: ["system:masters"]), RequestAttributes(verb: "delete", resource: "namespaces", name: "default"), true),
    ] as [(UserInfo, RequestAttributes, Bool)])
    func rulesBindingsAndSubjectsDecide(user: UserInfo, attributes: RequestAttributes, allowed: Bool) {
        #expect(RBAC.authorize(user, attributes, Self.objects).allowed == allowed)
    }
}

@Suite struct LeaseTests {
    /// Leader election as controller-runtime does it: create, renew with the
    /// resourceVersion, and a second candidate losing on a stale one.
    @Test func leaseRenewalsUseOptimisticConcurrency() async throws {
        try await withServer { _, client in
            let leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
            let lease: JSON = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "operator-leader"],
                               "spec": ["holderIdentity": "a", "leaseDurationSeconds": 15, "leaseTransitions": 0,
                                        "acquireTime": "2026-01-01T00:00:00.000000Z", "renewTime": "2026-01-01T00:00:00.000000Z"]]
            let created = try await client.request("POST", leases, json: lease)
            #expect(created.status == 201)
            var renewed = created.object
            renewed["spec"]?["renewTime"] = "2026-01-01T00:00:02.000000Z"
            let afterRenew = try await client.request("PUT", leases + "/operator-leader", json: renewed)
            #expect(afterRenew.status == 200)
            var takeover = created.object
            takeover["spec"]?["holderIdentity"] = "b"
            takeover["spec"]?["leaseTransitions"] = 1
            let stale = try await client.request("PUT", leases + "/operator-leader", json: takeover)
            #expect(stale.status == 409, "a candidate holding an old resourceVersion loses")
            #expect(try await client.request("GET", leases + "/operator-leader").object[path: "spec", "holderIdentity"] == "a")
        }
    }
}
