import JSONValue
import ServingAPI

/// The Gateway API HTTPRoute (gateway.networking.k8s.io/v1) that splits a
/// canary's traffic at a Gateway (`spec.canary.gatewayRef`): the Gateway
/// divides requests between the per-version Services by weight, so the share
/// is exact whatever the replica counts. Named like the InferenceService and
/// owned by it. Pure: the operator decides whether the cluster serves the
/// kind and which weight is in effect.
///
/// Rules, most specific first:
/// - with `headerRoute`, requests carrying `X-Canary: true` go to the
///   candidate's Service only, while the candidate has weight in effect (a
///   Gateway has no fallback: sent to a candidate without ready pods, they
///   would fail instead of being served by the stable version). The Gateway
///   compares the value exactly, so `True` does not match here (the server's
///   own header route accepts any case).
/// - every request: the stable Service at `100 − w` and the candidate's at
///   `w`; once a promotion has rolled out, the stable Service alone.
public enum HTTPRouteRenderer {
    public static let apiVersion = "gateway.networking.k8s.io/v1"
    public static let kind = "HTTPRoute"
    /// The route's `app.kubernetes.io/component`.
    public static let component = "route"
    /// The header the header rule matches, and its value (matched exactly).
    public static let canaryHeader = "X-Canary"
    public static let canaryHeaderValue = "true"

    public static func name(forObjectNamed name: String) -> String { name }

    /// Where the route sends the requests of its catch-all rule.
    public enum Backends: Sendable, Hashable {
        /// The stable Service at `100 − candidateWeight`, the candidate's at `candidateWeight` (percent, clamped to 0...100).
        case split(candidateWeight: Int)
        /// The stable Service alone: a promotion has rolled out onto the stable Deployment.
        case stableOnly
    }

    /// - Returns: nil when the object has no `spec.canary.gatewayRef`.
    public static func render(_ service: InferenceService, backends: Backends) throws(RenderingError) -> JSON? {
        guard let canary = service.spec.canary, let gateway = canary.gatewayRef else { return nil }
        guard let namespace = service.metadata.namespace, !namespace.isEmpty else {
            throw .missingField("metadata.namespace")
        }
        guard let uid = service.metadata.uid, !uid.isEmpty else { throw .missingField("metadata.uid") }
        var metadata = PredictorRenderer.objectMetadata(service, namespace: namespace, uid: uid)
        metadata["name"] = .string(name(forObjectNamed: service.name))
        metadata["labels"] = .object(PredictorLabels.all(instance: service.name, component: component))

        var parent: JSONObject = ["group": "gateway.networking.k8s.io", "kind": "Gateway", "name": .string(gateway.name)]
        if let gatewayNamespace = gateway.namespace { parent["namespace"] = .string(gatewayNamespace) }
        if let section = gateway.sectionName { parent["sectionName"] = .string(section) }

        let stable = CanaryRenderer.stableName(forObjectNamed: service.name)
        let candidate = CanaryRenderer.candidateName(forObjectNamed: service.name)
        let everyPath: JSON = ["type": "PathPrefix", "value": "/"]
        var rules: [JSON] = []
        let candidateWeight: Int?
        switch backends {
        case .split(let weight): candidateWeight = min(max(weight, 0), 100)
        case .stableOnly: candidateWeight = nil
        }
        if canary.headerRoute, let weight = candidateWeight, weight > 0 {
            rules.append([
                "matches": [[
                    "path": everyPath,
                    "headers": [["type": "Exact", "name": .string(canaryHeader), "value": .string(canaryHeaderValue)]],
                ]],
                // One backend gets every request whatever its weight; 1 is the API's default.
                "backendRefs": [backendRef(candidate, weight: 1)],
            ])
        }
        let weighted: [JSON] = candidateWeight.map { [backendRef(stable, weight: 100 - $0), backendRef(candidate, weight: $0)] }
            ?? [backendRef(stable, weight: 100)]
        rules.append(["matches": [["path": everyPath]], "backendRefs": .array(weighted)])

        return [
            "apiVersion": .string(apiVersion),
            "kind": .string(kind),
            "metadata": .object(metadata),
            "spec": [
                "parentRefs": [.object(parent)],
                "rules": .array(rules),
            ],
        ]
    }

    /// A Service backend, every field the API would otherwise default written
    /// out, so the live object and the rendered one compare equal.
    static func backendRef(_ serviceName: String, weight: Int) -> JSON {
        ["group": "", "kind": "Service", "name": .string(serviceName), "port": .int(Int64(PredictorRenderer.servicePort)),
         "weight": .int(Int64(weight))]
    }
}
