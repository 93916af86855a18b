import JSONValue
import Rendering
import ServingAPI
import Testing

/// The canary's HTTPRoute: attached to the named Gateway, the header rule
/// for `X-Canary: true`, and the weighted split between the per-version Services.
@Suite struct HTTPRouteRendererTests {
    static func object(gateway: GatewayReference? = GatewayReference(name: "edge", namespace: "infra", sectionName: "http"),
                       headerRoute: Bool = true) -> InferenceService {
        var spec = cpuSpec()
        spec.canary = CanarySpec(model: ModelSpec(name: "resnet50", uri: "pvc://models/resnet50/v2.onnx"), headerRoute: headerRoute,
                                 gatewayRef: gateway)
        return service(name: "demo", namespace: "ml", spec)
    }

    /// (name, weight) of each backendRef of a rule, checking the fields every one carries.
    static func backends(_ rule: JSON?) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for ref in rule?["backendRefs"]?.arrayValue ?? [] {
            #expect(ref["group"] == "" && ref["kind"] == "Service" && ref["port"] == .int(Int64(PredictorRenderer.servicePort)), "\(ref)")
            result[ref["name"]?.stringValue ?? ""] = ref["weight"]?.intValue
        }
        return result
    }

    @Test func noGatewayRefRendersNoRoute() throws {
        #expect(try HTTPRouteRenderer.render(service(name: "demo", namespace: "ml", cpuSpec()), backends: .split(candidateWeight: 5)) == nil)
        #expect(try HTTPRouteRenderer.render(Self.object(gateway: nil), backends: .split(candidateWeight: 5)) == nil)
    }

    @Test func theRouteIsOwnedLikeTheOtherObjectsAndAttachesToTheNamedListener() throws {
        let object = Self.object()
        let route = try #require(try HTTPRouteRenderer.render(object, backends: .split(candidateWeight: 5)))
        let stable = try PredictorRenderer.render(object, replicas: 2, lastWarmedFingerprint: nil)
        #expect(route["apiVersion"] == "gateway.networking.k8s.io/v1" && route["kind"] == "HTTPRoute")
        #expect(route[path: "metadata", "name"] == "demo" && route[path: "metadata", "namespace"] == "ml")
        #expect(route[path: "metadata", "ownerReferences"] == stable.deployment[path: "metadata", "ownerReferences"])
        #expect(route[path: "metadata", "labels", PredictorLabels.managedBy] == .string(PredictorLabels.manager), "the informer lists by this label")
        #expect(route[path: "metadata", "labels", PredictorLabels.component] == "route")
        #expect(route[path: "spec", "parentRefs"] == [[
            "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge", "namespace": "infra", "sectionName": "http",
        ]])
        #expect(route[path: "spec", "hostnames"] == nil, "the route takes every host the listener accepts")
    }

    @Test func anAbsentGatewayNamespaceOrListenerIsLeftOut() throws {
        let route = try #require(try HTTPRouteRenderer.render(Self.object(gateway: GatewayReference(name: "edge")),
                                                              backends: .split(candidateWeight: 5)))
        #expect(route[path: "spec", "parentRefs"] == [["group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge"]])
    }

    @Test(arguments: [
        // (backends, headerRoute, header rule rendered, catch-all backends)
        (HTTPRouteRenderer.Backends.split(candidateWeight: 0), true, false, ["demo-stable": 100, "demo-canary": 0] as [String: Int64]),
        (.split(candidateWeight: 5), true, true, ["demo-stable": 95, "demo-canary": 5]),
        (.split(candidateWeight: 30), false, false, ["demo-stable": 70, "demo-canary": 30]),
        (.split(candidateWeight: 100), true, true, ["demo-stable": 0, "demo-canary": 100]),
        (.split(candidateWeight: 140), true, true, ["demo-stable": 0, "demo-canary": 100]),
        (.split(candidateWeight: -3), true, false, ["demo-stable": 100, "demo-canary": 0]),
        (.stableOnly, true, false, ["demo-stable": 100]),
    ])
    func theRulesFollowTheWeightInEffect(backends: HTTPRouteRenderer.Backends, headerRoute: Bool, headerRule: Bool,
                                         expected: [String: Int64]) throws {
        let route = try #require(try HTTPRouteRenderer.render(Self.object(headerRoute: headerRoute), backends: backends))
        let rules = route[path: "spec", "rules"]?.arrayValue ?? []
        #expect(rules.count == (headerRule ? 2 : 1))
        let catchAll = rules.last
        #expect(catchAll?["matches"] == [["path": ["type": "PathPrefix", "value": "/"]]])
        #expect(Self.backends(catchAll) == expected)
        if headerRule {
            // First in the list; a Gateway ranks it first anyway (more header matches, same path).
            #expect(rules.first?["matches"] == [[
                "path": ["type": "PathPrefix", "value": "/"],
                "headers": [["type": "Exact", "name": "X-Canary", "value": "true"]],
            ]])
            #expect(Self.backends(rules.first) == ["demo-canary": 1])
        }
    }

    @Test func renderingIsDeterministic() throws {
        let a = try HTTPRouteRenderer.render(Self.object(), backends: .split(candidateWeight: 30))
        let b = try HTTPRouteRenderer.render(Self.object(), backends: .split(candidateWeight: 30))
        #expect(a?.serialized() == b?.serialized())
    }

    @Test func missingMetadataIsAnErrorNotARoute() {
        var object = Self.object()
        object.metadata.uid = nil
        #expect(throws: RenderingError.missingField("metadata.uid")) { try HTTPRouteRenderer.render(object, backends: .stableOnly) }
    }

    /// The route's candidate backend must exist whatever `headerRoute` says.
    @Test func theCandidateServiceExistsWhenTheRouteNeedsIt() throws {
        let object = Self.object(headerRoute: false)
        #expect(try CanaryRenderer.render(object, replicas: 1)?.candidateService == nil, "no header route, no Gateway: no Service")
        let service = try #require(try CanaryRenderer.render(object, replicas: 1, gatewayRoute: true)?.candidateService)
        #expect(service[path: "metadata", "name"] == "demo-canary")
        #expect(service[path: "spec", "ports"]?[0]?["port"] == .int(Int64(PredictorRenderer.servicePort)))
    }
}
