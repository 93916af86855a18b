import JSONValue
import ServingAPI

/// The objects rendered for one InferenceService.
public struct RenderedPredictor: Sendable, Hashable {
    public let deployment: JSON
    public let service: JSON
    public let warmup: WarmupPlan
}

public enum RenderingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A field the renderer needs is absent (`metadata.uid`, `metadata.namespace`).
    case missingField(String)
    /// `spec.model.uri` does not parse (validation should have caught it first).
    case invalidModelURI(String)

    public var description: String {
        switch self {
        case .missingField(let field): return "cannot render: \(field) is missing"
        case .invalidModelURI(let message): return "cannot render: spec.model.uri: \(message)"
        }
    }
}

/// Builds the predictor Deployment and Service, `{name}-predictor`. Pure:
/// the same inputs give byte-identical JSON (fixed key order, sorted node
/// selector), so server-side apply sees no change when nothing changed.
public enum PredictorRenderer {
    public static let modelVolume = "model"
    public static let modelSourceVolume = "model-source"
    public static let tmpVolume = "tmp"
    /// The Service's HTTP port (the container listens on `ServerCommandLine.port`).
    public static let servicePort = 80
    /// The Service's gRPC port: the container's, so clients address `{name}-predictor:8081` as the pods.
    public static let grpcServicePort = ServerCommandLine.grpcPort

    public static func name(for service: InferenceService) -> String { name(forObjectNamed: service.name) }
    public static func name(forObjectNamed name: String) -> String { name + "-predictor" }

    /// - Parameters:
    ///   - replicas: the replica count to apply (the autoscaler's or `replicas.min` at creation).
    ///   - lastWarmedFingerprint: `status.warmedFingerprint`.
    ///   - measuredBatching: `status.measuredBatching`.
    public static func render(_ service: InferenceService, replicas: Int, lastWarmedFingerprint: String?,
                              measuredBatching: MeasuredBatching? = nil) throws(RenderingError)
        -> RenderedPredictor
    {
        guard let namespace = service.metadata.namespace, !namespace.isEmpty else {
            throw .missingField("metadata.namespace")
        }
        guard let uid = service.metadata.uid, !uid.isEmpty else { throw .missingField("metadata.uid") }
        let uri: ModelURI
        switch ModelURI.parse(service.spec.model.uri) {
        case .success(let parsed): uri = parsed
        case .failure(let error): throw .invalidModelURI(error.description)
        }
        let plan = WarmupPlan(spec: service.spec, lastWarmedFingerprint: lastWarmedFingerprint, measured: measuredBatching)
        let metadata = objectMetadata(service, namespace: namespace, uid: uid)
        return RenderedPredictor(
            deployment: deployment(instance: service.name, spec: service.spec, component: PredictorLabels.componentName,
                                   metadata: metadata, uri: uri, plan: plan, replicas: replicas,
                                   canaryURL: CanaryRenderer.headerRouteURL(forObjectNamed: service.name)),
            service: serviceObject(service, metadata: metadata),
            warmup: plan)
    }

    static func objectMetadata(_ service: InferenceService, namespace: String, uid: String) -> JSONObject {
        [
            "name": .string(name(for: service)),
            "namespace": .string(namespace),
            "labels": .object(PredictorLabels.all(instance: service.name)),
            "ownerReferences": [
                [
                    "apiVersion": .string(Defaults.apiVersion), "kind": .string(Defaults.kind),
                    "name": .string(service.name), "uid": .string(uid),
                    "controller": true, "blockOwnerDeletion": true,
                ]
            ],
        ]
    }

    /// A Deployment of `spec`'s server, its pods labelled with `component`
    /// (the stable predictor's, or the canary's: `CanaryRenderer`).
    static func deployment(instance: String, spec: InferenceServiceSpec, component: String, metadata: JSONObject, uri: ModelURI,
                           plan: WarmupPlan, replicas: Int, annotations: JSONObject = [:], modelVersion: String? = nil,
                           canaryURL: String? = nil) -> JSON
    {
        var podLabels = PredictorLabels.all(instance: instance, component: component)
        if plan.warm { podLabels[WarmupPlan.labelKey] = "true" }
        var podAnnotations: JSONObject = [WarmupPlan.fingerprintAnnotation: .string(plan.fingerprint.value)]
        if plan.measures { podAnnotations[WarmupPlan.measurementAnnotation] = .string(plan.measurementKey) }
        for (key, value) in annotations { podAnnotations[key] = value }
        return [
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": .object(metadata),
            "spec": [
                "replicas": .int(Int64(replicas)),
                "revisionHistoryLimit": 3,
                "selector": ["matchLabels": .object(PredictorLabels.selector(instance: instance, component: component))],
                // Keep serving capacity during rollouts: a new pod must be ready before an old one goes.
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]],
                "template": [
                    "metadata": [
                        "labels": .object(podLabels),
                        "annotations": .object(podAnnotations),
                    ],
                    "spec": podSpec(spec, uri: uri, plan: plan, modelVersion: modelVersion, canaryURL: canaryURL),
                ],
            ],
        ]
    }

    static func podSpec(_ spec: InferenceServiceSpec, uri: ModelURI, plan: WarmupPlan, modelVersion: String? = nil,
                        canaryURL: String? = nil) -> JSON {
        var pod = JSONObject()
        // The server needs no Kubernetes API access and no service-link variables.
        pod["automountServiceAccountToken"] = false
        pod["enableServiceLinks"] = false
        pod["securityContext"] = PodPieces.podSecurityContext
        pod["initContainers"] = [initContainer(spec, uri: uri, plan: plan)]
        pod["containers"] = [serverContainer(spec, plan: plan, modelVersion: modelVersion, canaryURL: canaryURL)]
        if !spec.nodeSelector.isEmpty {
            pod["nodeSelector"] = .object(JSONObject(spec.nodeSelector.keys.sorted().map { ($0, .string(spec.nodeSelector[$0] ?? "")) }))
        }
        if !spec.tolerations.isEmpty { pod["tolerations"] = .array(spec.tolerations.map(tolerationJSON)) }
        // Its token stays unmounted (automountServiceAccountToken): an identity webhook
        // (EKS IRSA) projects its own audience-bound token for the cloud role instead.
        if let account = spec.serviceAccountName { pod["serviceAccountName"] = .string(account) }
        var volumes: [JSON] = [
            ["name": .string(modelVolume), "emptyDir": [:]],
            ["name": .string(tmpVolume), "emptyDir": [:]],
        ]
        if case .pvc(let claim, _) = uri {
            volumes.append(["name": .string(modelSourceVolume), "persistentVolumeClaim": ["claimName": .string(claim), "readOnly": true]])
        }
        pod["volumes"] = .array(volumes)
        return .object(pod)
    }

    static func serverContainer(_ spec: InferenceServiceSpec, plan: WarmupPlan, modelVersion: String? = nil, canaryURL: String? = nil) -> JSON {
        var container = JSONObject()
        container["name"] = "server"
        container["image"] = .string(spec.image)
        container["imagePullPolicy"] = "IfNotPresent"
        container["command"] = [.string(ServerCommandLine.executable)]
        container["args"] = .array(ServerCommandLine.serveArguments(spec, plan: plan, modelVersion: modelVersion, canaryURL: canaryURL).map(JSON.string))
        container["ports"] = [
            ["name": .string(ServerCommandLine.portName), "containerPort": .int(Int64(ServerCommandLine.port)), "protocol": "TCP"],
            ["name": .string(ServerCommandLine.grpcPortName), "containerPort": .int(Int64(ServerCommandLine.grpcPort)), "protocol": "TCP"],
        ]
        if !spec.env.isEmpty {
            container["env"] = .array(spec.env.map { ["name": .string($0.name), "value": .string($0.value)] })
        }
        if let resources = PodPieces.serverResources(spec) { container["resources"] = resources }
        container["startupProbe"] = PodPieces.startupProbe(spec)
        container["readinessProbe"] = PodPieces.readinessProbe
        container["livenessProbe"] = PodPieces.livenessProbe
        container["securityContext"] = PodPieces.containerSecurityContext
        container["volumeMounts"] = [
            ["name": .string(modelVolume), "mountPath": .string(ServerCommandLine.modelDirectory), "readOnly": true],
            ["name": .string(tmpVolume), "mountPath": "/tmp"],
        ]
        return .object(container)
    }

    /// The init container that fetches (and warms) the model; its failure is `ModelFetchFailed`.
    public static let initContainerName = "warmup"

    static func initContainer(_ spec: InferenceServiceSpec, uri: ModelURI, plan: WarmupPlan) -> JSON {
        var container = JSONObject()
        container["name"] = .string(initContainerName)
        container["image"] = .string(spec.image)
        container["imagePullPolicy"] = "IfNotPresent"
        container["command"] = [.string(ServerCommandLine.executable)]
        container["args"] = .array(ServerCommandLine.warmupArguments(uri: uri, plan: plan).map(JSON.string))
        let storage = StorageVariables.variables(spec.model.storage, for: uri)
        // The pod's own variables when warming (the model runs here) or when a
        // store is read (AWS_* / HF_* set there apply); the storage ones win.
        let literal = (plan.warm || uri.usesStorageSettings) ? spec.env.filter { variable in !storage.contains { $0.name == variable.name } } : []
        let env = literal.map { ["name": .string($0.name), "value": .string($0.value)] as JSON } + storage.map(\.json)
        if !env.isEmpty { container["env"] = .array(env) }
        if let resources = PodPieces.initResources(spec, warm: plan.warm) { container["resources"] = resources }
        container["securityContext"] = PodPieces.containerSecurityContext
        // A failed fetch's last log lines (the error naming the URI, never a
        // credential) become the container's termination message in pod status;
        // a measuring warmup that succeeds writes its batcher there instead.
        container["terminationMessagePath"] = .string(ServerCommandLine.terminationMessagePath)
        container["terminationMessagePolicy"] = "FallbackToLogsOnError"
        var mounts: [JSON] = [
            ["name": .string(modelVolume), "mountPath": .string(ServerCommandLine.modelDirectory)],
            ["name": .string(tmpVolume), "mountPath": "/tmp"],
        ]
        if case .pvc = uri {
            mounts.append(["name": .string(modelSourceVolume), "mountPath": .string(ServerCommandLine.modelSourceDirectory), "readOnly": true])
        }
        container["volumeMounts"] = .array(mounts)
        return .object(container)
    }

    static func tolerationJSON(_ t: Toleration) -> JSON {
        var node = JSONObject()
        if let key = t.key { node["key"] = .string(key) }
        if let op = t.operator { node["operator"] = .string(op.rawValue) }
        if let value = t.value { node["value"] = .string(value) }
        if let effect = t.effect { node["effect"] = .string(effect.rawValue) }
        if let seconds = t.tolerationSeconds { node["tolerationSeconds"] = .int(Int64(seconds)) }
        return .object(node)
    }

    /// The ClusterIP Service in front of the predictor pods. The Prometheus
    /// scrape annotations sit here, not on the pods: Prometheus' endpoint
    /// discovery (the annotation-driven `kubernetes-service-endpoints` job, or
    /// a ServiceMonitor) then scrapes every pod once and labels the series
    /// `service="{name}-predictor"`, which the default PromQL selects on;
    /// annotating pods as well would scrape them twice.
    static func serviceObject(_ service: InferenceService, metadata: JSONObject) -> JSON {
        var meta = metadata
        meta["annotations"] = [
            "prometheus.io/scrape": "true",
            "prometheus.io/port": .string(String(ServerCommandLine.port)),
            "prometheus.io/path": "/metrics",
        ]
        return [
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": .object(meta),
            "spec": [
                "type": "ClusterIP",
                "selector": .object(PredictorLabels.selector(instance: service.name)),
                "ports": servicePorts,
            ],
        ]
    }

    /// The ports every Service of an object exposes: HTTP (`servicePort`) and gRPC (`grpcServicePort`,
    /// `appProtocol: kubernetes.io/h2c` so meshes and Gateways treat it as cleartext HTTP/2), each to
    /// the server's named port.
    static let servicePorts: JSON = [
        [
            "name": .string(ServerCommandLine.portName), "port": .int(Int64(servicePort)),
            "targetPort": .string(ServerCommandLine.portName), "protocol": "TCP",
        ],
        [
            "name": .string(ServerCommandLine.grpcPortName), "port": .int(Int64(grpcServicePort)),
            "targetPort": .string(ServerCommandLine.grpcPortName), "protocol": "TCP", "appProtocol": "kubernetes.io/h2c",
        ],
    ]
}
