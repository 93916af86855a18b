import JSONValue
import ServingAPI

/// Whether the Gateway a canary names has accepted its HTTPRoute, read from
/// the route's status (pure). A Gateway's controller reports, per parent, the
/// conditions `Accepted` (the route attached to the Gateway or listener) and
/// `ResolvedRefs` (its backends resolved). Until both are True for our
/// parent, the Gateway does not send the route's weights, so a step does not
/// take effect: the run waits, and `progressDeadlineSeconds` rolls it back
/// naming the condition.
enum RouteAcceptance: Equatable {
    case accepted
    /// The controller refused the route or could not resolve its backends: the condition's reason and message.
    case refused(String)
    /// No status for our parent yet (no controller has reported, or not for this generation).
    case unreported

    static func of(_ route: HTTPRouteResource?, gateway: GatewayReference, routeNamespace: String) -> RouteAcceptance {
        guard let route else { return .unreported }
        let parents = route.status?["parents"]?.arrayValue ?? []
        let ours = parents.first { parent in
            let ref = parent["parentRef"] ?? [:]
            return ref["name"]?.stringValue == gateway.name
                && (ref["namespace"]?.stringValue ?? routeNamespace) == (gateway.namespace ?? routeNamespace)
                && ref["sectionName"]?.stringValue == gateway.sectionName
                && (ref["kind"]?.stringValue ?? "Gateway") == "Gateway"
        }
        guard let ours else { return .unreported }
        let generation = route.metadata.generation
        var accepted = false
        var resolved = false
        for condition in ours["conditions"]?.arrayValue ?? [] {
            let type = condition["type"]?.stringValue
            guard type == "Accepted" || type == "ResolvedRefs" else { continue }
            // A condition observed for an older generation says nothing about the route as it is.
            if let observed = condition["observedGeneration"]?.intValue, let generation, observed < generation { continue }
            switch condition["status"]?.stringValue {
            case "True":
                if type == "Accepted" { accepted = true } else { resolved = true }
            case "False":
                let reason = condition["reason"]?.stringValue ?? "?"
                let message = condition["message"]?.stringValue.map { ": \($0)" } ?? ""
                return .refused("\(type ?? "") False (\(reason)\(message))")
            default:
                continue
            }
        }
        return accepted && resolved ? .accepted : .unreported
    }
}
