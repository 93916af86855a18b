import JSONValue
import Rollout
import ServingAPI

/// The objects a canary run adds beside the stable predictor: the candidate's
/// Deployment and a Service per version (`{name}-canary`, `{name}-stable`),
/// which the header route and a Gateway's weighted backends address. Neither
/// per-version Service carries scrape annotations or the predictor's
/// component label, so Prometheus (annotations or the ServiceMonitor) still
/// scrapes every pod once, through the predictor Service.
///
/// The predictor Service `{name}-predictor` keeps its name; its selector
/// follows the traffic split (`predictorSelector`).
public struct RenderedCanary: Sendable, Hashable {
    public let deployment: JSON
    /// The candidate's Service, the header route's and an HTTPRoute's target;
    /// nil with `headerRoute: false` and no HTTPRoute in effect.
    public let candidateService: JSON?
    public let stableService: JSON
    /// The candidate's fingerprint: a canary run is for exactly one of these.
    public let candidate: String
}

public enum CanaryRenderer {
    /// The candidate pods' `app.kubernetes.io/component`.
    public static let candidateComponent = "canary"
    /// The per-version stable Service's `app.kubernetes.io/component` (it selects the predictor's pods).
    public static let stableComponent = "stable"
    /// The candidate's pod annotation with its fingerprint.
    public static let candidateAnnotation = "serving.swiftinfer.io/canary-candidate"

    public static func candidateName(forObjectNamed name: String) -> String { name + "-canary" }

    /// The header route's target, which every stable pod is started with
    /// (`inference-server --canary-url`): the candidate's Service by its short
    /// name. Rendered whether or not a canary runs, so starting or ending one
    /// never restarts the stable pods; without the Service (no canary, or
    /// `headerRoute: false`) or without a ready candidate, the stable pods serve
    /// `X-Canary` requests themselves.
    public static func headerRouteURL(forObjectNamed name: String) -> String {
        "http://\(candidateName(forObjectNamed: name)):\(PredictorRenderer.servicePort)"
    }
    public static func stableName(forObjectNamed name: String) -> String { name + "-stable" }

    /// A fingerprint of what makes the candidate's pods (its model, image,
    /// batching and resources): a change starts a new canary run; pausing,
    /// steps or analysis bounds do not. It is also the `version` label of the
    /// candidate's series (`inference-server --model-version`), so a new
    /// candidate's analysis never reads an earlier candidate's samples still
    /// inside Prometheus' rate window. The stable pods' series carry no
    /// `version` label; queries select them with `version=""`.
    public static func candidateFingerprint(_ spec: InferenceServiceSpec) -> String? {
        guard let candidate = spec.candidateSpec else { return nil }
        let model = candidate.model
        let text = [
            "model=\(model.name)", "uri=\(model.uri)", "format=\(model.format.rawValue)",
            "storage=\(model.storage.map { "\($0.endpoint ?? "")|\($0.region ?? "")|\($0.pathStyle.map { "\($0)" } ?? "")|\($0.credentialsSecretRef?.name ?? "")" } ?? "")",
            "image=\(candidate.image)",
            "batching=\(candidate.batching.maxBatchSize.map(String.init) ?? "measured")/\(candidate.batching.maxQueueDelayMs)/\(candidate.batching.maxQueueSize)",
            "resources=\(candidate.resources.cpu ?? "")/\(candidate.resources.memory ?? "")/\(candidate.resources.gpu)",
        ].joined(separator: "\n")
        return "cv1-" + WarmupFingerprint.hex(WarmupFingerprint.fnv1a64(text))
    }

    /// - Parameters:
    ///   - replicas: the candidate's replicas (`TrafficSplit`); 0 once a run has ended without promotion.
    ///   - gatewayRoute: an HTTPRoute (`HTTPRouteRenderer`) carries the split, so its
    ///     backend, the candidate's Service, exists whatever `headerRoute` says.
    /// - Returns: nil when the object has no `spec.canary`.
    public static func render(_ service: InferenceService, replicas: Int, gatewayRoute: Bool = false) throws(RenderingError)
        -> RenderedCanary?
    {
        guard let spec = service.spec.candidateSpec, let fingerprint = candidateFingerprint(service.spec) else { return nil }
        guard let namespace = service.metadata.namespace, !namespace.isEmpty else {
            throw .missingField("metadata.namespace")
        }
        guard let uid = service.metadata.uid, !uid.isEmpty else { throw .missingField("metadata.uid") }
        let uri: ModelURI
        switch ModelURI.parse(spec.model.uri) {
        case .success(let parsed): uri = parsed
        case .failure(let error): throw .invalidModelURI("spec.canary.model.uri: \(error.description)")
        }
        // Candidate pods are always new: they warm up whenever warmup is enabled.
        let plan = WarmupPlan(spec: spec, lastWarmedFingerprint: nil)
        var deploymentMetadata = PredictorRenderer.objectMetadata(service, namespace: namespace, uid: uid)
        deploymentMetadata["name"] = .string(candidateName(forObjectNamed: service.name))
        deploymentMetadata["labels"] = .object(PredictorLabels.all(instance: service.name, component: candidateComponent))
        let deployment = PredictorRenderer.deployment(
            instance: service.name, spec: spec, component: candidateComponent, metadata: deploymentMetadata, uri: uri, plan: plan,
            replicas: replicas, annotations: [candidateAnnotation: .string(fingerprint)], modelVersion: fingerprint)
        // `.none`, not `nil`: `JSON` takes the nil literal too (as JSON null).
        var candidateService: JSON? = .none
        if service.spec.canary?.headerRoute == true || gatewayRoute {
            candidateService = versionService(service, namespace: namespace, uid: uid, name: candidateName(forObjectNamed: service.name),
                                              component: candidateComponent, selects: candidateComponent)
        }
        return RenderedCanary(
            deployment: deployment,
            candidateService: candidateService,
            stableService: versionService(service, namespace: namespace, uid: uid, name: stableName(forObjectNamed: service.name),
                                          component: stableComponent, selects: PredictorLabels.componentName),
            candidate: fingerprint)
    }

    /// The predictor Service's selector for a split: the stable pods, the
    /// candidate's, or both (then each version's share of ready replicas is its share of traffic).
    public static func predictorSelector(instance: String, selection: TrafficSplit.Selection) -> JSONObject {
        switch selection {
        case .stableOnly: PredictorLabels.selector(instance: instance)
        case .candidateOnly: PredictorLabels.selector(instance: instance, component: candidateComponent)
        case .both: PredictorLabels.anyVersion(instance: instance)
        }
    }

    static func versionService(_ service: InferenceService, namespace: String, uid: String, name: String, component: String,
                               selects podComponent: String) -> JSON {
        var metadata = PredictorRenderer.objectMetadata(service, namespace: namespace, uid: uid)
        metadata["name"] = .string(name)
        metadata["labels"] = .object(PredictorLabels.all(instance: service.name, component: component))
        return [
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": .object(metadata),
            "spec": [
                "type": "ClusterIP",
                "selector": .object(PredictorLabels.selector(instance: service.name, component: podComponent)),
                "ports": PredictorRenderer.servicePorts,
            ],
        ]
    }
}
