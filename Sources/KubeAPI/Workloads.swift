import JSONValue

/// `apps/v1 Deployment`: the fields the operator reads and renders.
/// The pod spec stays a JSON document: the operator renders it whole.
public struct Deployment: KubeResource, Hashable {
    public static let resourceType = ResourceType.deployments
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var replicas: Int32?
        public var selector: LabelSelector?
        public var template: PodTemplateSpec?
        public var strategy: JSON?
        public var revisionHistoryLimit: Int32?
        public var minReadySeconds: Int32?
        public var progressDeadlineSeconds: Int32?
        public var paused: Bool?

        public init(replicas: Int32? = nil, selector: LabelSelector? = nil, template: PodTemplateSpec? = nil) {
            self.replicas = replicas
            self.selector = selector
            self.template = template
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        public var observedGeneration: Int64?
        public var replicas: Int32?
        public var updatedReplicas: Int32?
        public var readyReplicas: Int32?
        public var availableReplicas: Int32?
        public var unavailableReplicas: Int32?

        public init(observedGeneration: Int64? = nil, replicas: Int32? = nil, updatedReplicas: Int32? = nil,
                    readyReplicas: Int32? = nil, availableReplicas: Int32? = nil) {
            self.observedGeneration = observedGeneration
            self.replicas = replicas
            self.updatedReplicas = updatedReplicas
            self.readyReplicas = readyReplicas
            self.availableReplicas = availableReplicas
        }
    }
}

public struct PodTemplateSpec: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta?
    public var spec: JSON?

    public init(metadata: ObjectMeta? = nil, spec: JSON? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `core/v1 Pod`: what the operator needs to judge readiness and warmup.
public struct Pod: KubeResource, Hashable {
    public static let resourceType = ResourceType.pods
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: JSON?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: JSON? = nil, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public struct Status: Codable, Sendable, Hashable {
        public var phase: String?
        public var conditions: [PodCondition]?
        public var containerStatuses: [ContainerStatus]?
        public var initContainerStatuses: [ContainerStatus]?
        public var podIP: String?

        public init(phase: String? = nil, conditions: [PodCondition]? = nil, initContainerStatuses: [ContainerStatus]? = nil) {
            self.phase = phase
            self.conditions = conditions
            self.initContainerStatuses = initContainerStatuses
        }
    }

    public struct PodCondition: Codable, Sendable, Hashable {
        public var type: String
        public var status: String
        public init(type: String, status: String) {
            self.type = type
            self.status = status
        }
    }

    public struct ContainerStatus: Codable, Sendable, Hashable {
        public var name: String
        public var ready: Bool?
        public var image: String?
        public var imageID: String?
        public var restartCount: Int32?
        public var state: ContainerState?
        public var lastState: ContainerState?

        public init(name: String, ready: Bool? = nil, restartCount: Int32? = nil, state: ContainerState? = nil, lastState: ContainerState? = nil) {
            self.name = name
            self.ready = ready
            self.restartCount = restartCount
            self.state = state
            self.lastState = lastState
        }
    }

    /// One of waiting, running or terminated (the others absent).
    public struct ContainerState: Codable, Sendable, Hashable {
        public var waiting: Waiting?
        public var running: JSON?
        public var terminated: Terminated?

        public init(waiting: Waiting? = nil, running: JSON? = nil, terminated: Terminated? = nil) {
            self.waiting = waiting
            self.running = running
            self.terminated = terminated
        }

        public struct Waiting: Codable, Sendable, Hashable {
            public var reason: String?
            public var message: String?
            public init(reason: String? = nil, message: String? = nil) {
                self.reason = reason
                self.message = message
            }
        }

        public struct Terminated: Codable, Sendable, Hashable {
            public var exitCode: Int32
            public var reason: String?
            /// The container's termination message (its log's tail with `FallbackToLogsOnError`).
            public var message: String?
            public init(exitCode: Int32, reason: String? = nil, message: String? = nil) {
                self.exitCode = exitCode
                self.reason = reason
                self.message = message
            }
        }
    }

    /// True when the pod's `Ready` condition is `True`.
    public var isReady: Bool {
        status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false
    }
}

/// `core/v1 Service`.
public struct Service: KubeResource, Hashable {
    public static let resourceType = ResourceType.services
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: JSON?

    public init(metadata: ObjectMeta, spec: JSON? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `core/v1 ConfigMap`.
public struct ConfigMap: KubeResource, Hashable {
    public static let resourceType = ResourceType.configMaps
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?

    public init(metadata: ObjectMeta, data: [String: String]? = nil) {
        self.metadata = metadata
        self.data = data
    }
}

/// `core/v1 Secret`. `data` values are base64, as on the wire.
public struct Secret: KubeResource, Hashable {
    public static let resourceType = ResourceType.secrets
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var type: String?
    public var data: [String: String]?
    public var stringData: [String: String]?

    public init(metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil) {
        self.metadata = metadata
        self.type = type
        self.data = data
    }
}

/// `autoscaling/v1 Scale`, the scale subresource's body.
public struct Scale: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public struct Spec: Codable, Sendable, Hashable {
        public var replicas: Int32?
        public init(replicas: Int32?) { self.replicas = replicas }
    }

    public struct Status: Codable, Sendable, Hashable {
        public var replicas: Int32
        public var selector: String?
        public init(replicas: Int32, selector: String? = nil) {
            self.replicas = replicas
            self.selector = selector
        }
    }

    public init(metadata: ObjectMeta, replicas: Int32) {
        self.apiVersion = "autoscaling/v1"
        self.kind = "Scale"
        self.metadata = metadata
        self.spec = Spec(replicas: replicas)
    }
}
