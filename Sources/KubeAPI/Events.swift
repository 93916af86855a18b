/// `events.k8s.io/v1 Event`.
public struct Event: KubeResource, Hashable {
    public static let resourceType = ResourceType.events
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// MicroTime (RFC 3339 with microseconds); required on create.
    public var eventTime: String?
    public var series: Series?
    public var reportingController: String?
    public var reportingInstance: String?
    public var action: String?
    public var reason: String?
    public var regarding: ObjectReference?
    public var related: ObjectReference?
    public var note: String?
    /// "Normal" or "Warning".
    public var type: String?

    public struct Series: Codable, Sendable, Hashable {
        public var count: Int32
        public var lastObservedTime: String
        public init(count: Int32, lastObservedTime: String) {
            self.count = count
            self.lastObservedTime = lastObservedTime
        }
    }

    public init(metadata: ObjectMeta, eventTime: String? = nil, reportingController: String? = nil,
                reportingInstance: String? = nil, action: String? = nil, reason: String? = nil,
                regarding: ObjectReference? = nil, note: String? = nil, type: String? = nil) {
        self.metadata = metadata
        self.eventTime = eventTime
        self.reportingController = reportingController
        self.reportingInstance = reportingInstance
        self.action = action
        self.reason = reason
        self.regarding = regarding
        self.note = note
        self.type = type
    }
}

/// `core/v1 Event` (the older API that `kubectl describe` still shows).
public struct CoreEvent: KubeResource, Hashable {
    public static let resourceType = ResourceType.coreEvents
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    public var type: String?
    public var count: Int32?
    public var firstTimestamp: String?
    public var lastTimestamp: String?

    public init(metadata: ObjectMeta, involvedObject: ObjectReference, reason: String? = nil, message: String? = nil, type: String? = nil) {
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
    }
}
