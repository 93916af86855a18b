import JSONValue

/// core/v1 and events.k8s.io/v1 Events are one stored object seen in two
/// shapes (as in the real server). Field renames, from the events.k8s.io/v1
/// API: regarding <-> involvedObject, note <-> message, reportingController
/// <-> reportingComponent, deprecatedSource <-> source,
/// deprecatedFirstTimestamp/LastTimestamp/Count <-> firstTimestamp/
/// lastTimestamp/count. Other fields (reason, type, action, eventTime,
/// series, related, reportingInstance) keep their names.
enum EventConversion {
    static let renames: [(events: String, core: String)] = [
        ("regarding", "involvedObject"), ("note", "message"), ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"), ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"), ("deprecatedCount", "count"),
    ]

    /// `object` (stored in either shape) as the shape of `groupVersion`.
    static func convert(_ object: JSON, to groupVersion: String) -> JSON {
        guard case .object(var o) = object else { return object }
        let toEvents = groupVersion == "events.k8s.io/v1"
        for (eventsName, coreName) in renames {
            let (from, to) = toEvents ? (coreName, eventsName) : (eventsName, coreName)
            if let value = o[from] {
                o[from] = nil
                if o[to] == nil { o[to] = value }
            }
        }
        o["apiVersion"] = .string(groupVersion)
        return .object(o)
    }
}
