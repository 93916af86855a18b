import ControllerRuntime
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JSONValue
import KubeAPI
import KubeClient
import Logging
import Metrics
import Rendering
import Rollout
import ServingAPI

/// What one reconcile did, for logs, metrics and tests.
public struct ReconcileOutcome: Sendable, Equatable {
    public var appliedDeployment = false
    public var appliedService = false
    public var appliedServiceMonitor = false
    /// The canary's Deployment or per-version Services were applied.
    public var appliedCanary = false
    /// The canary's HTTPRoute was applied (`spec.canary.gatewayRef`, on a cluster that serves the kind).
    public var appliedRoute = false
    /// Objects of an ended canary (or a route whose gatewayRef was removed) deleted.
    public var removedCanaryObjects = 0
    public var wroteStatus = false
    public var invalidSpec: String?
    /// The object was deleted between the cache read and the status write
    /// (the API answered 404): nothing else was written for it.
    public var objectGone = false
}

/// Raised by the status write when the object no longer exists.
private struct ObjectGone: Error {}

/// Brings one InferenceService's Deployment and Service in line with its
/// spec (server-side apply, only when the live objects differ) and keeps
/// its status current. Scaling decisions are the scaling loop's; reconcile
/// applies the replica count recorded in `status.desiredReplicas`.
public struct Reconciler: Sendable {
    public static let fieldManager = "inference-operator"

    let client: KubeClient
    let services: Store<InferenceServiceResource>
    let deployments: Store<Deployment>
    let serviceObjects: Store<KubeAPI.Service>
    let serviceMonitors: ServiceMonitors?
    /// The canary HTTPRoutes the operator owns; nil where the cluster does not
    /// serve gateway.networking.k8s.io/v1 HTTPRoutes (a `gatewayRef` then
    /// falls back to the split by replica shares).
    let httpRoutes: Store<HTTPRouteResource>?
    /// The pods of the operator's Deployments, for `ModelFetchFailed`; nil: not read.
    let pods: Store<Pod>?
    /// Pins `hf://` models to a commit; nil: pods load the revision as written.
    let hubRevisions: HubRevisionResolver?
    let records: ScalingRecords
    let recorder: EventRecorder
    let wallClock: @Sendable () -> Date
    let logger: Logger

    public init(client: KubeClient, services: Store<InferenceServiceResource>, deployments: Store<Deployment>,
                serviceObjects: Store<KubeAPI.Service>, serviceMonitors: ServiceMonitors? = nil, httpRoutes: Store<HTTPRouteResource>? = nil,
                pods: Store<Pod>? = nil, hubRevisions: HubRevisionResolver? = nil, records: ScalingRecords, recorder: EventRecorder,
                wallClock: @escaping @Sendable () -> Date = { Date() }, logger: Logger) {
        self.client = client
        self.services = services
        self.deployments = deployments
        self.serviceObjects = serviceObjects
        self.serviceMonitors = serviceMonitors
        self.httpRoutes = httpRoutes
        self.pods = pods
        self.hubRevisions = hubRevisions
        self.records = records
        self.recorder = recorder
        self.wallClock = wallClock
        self.logger = logger
    }

    public func reconcile(_ key: String) async throws -> ReconcileAction {
        let outcome = try await reconcileReturningOutcome(key)
        if let invalid = outcome.invalidSpec {
            logger.info("invalid InferenceService left unchanged", metadata: ["key": "\(key)", "reason": "\(invalid)"])
        }
        return .done
    }

    public func reconcileReturningOutcome(_ key: String) async throws -> ReconcileOutcome {
        do {
            return try await reconcileLiveObject(key)
        } catch is ObjectGone {
            logger.debug("InferenceService deleted during reconcile", metadata: ["key": "\(key)"])
            var outcome = ReconcileOutcome()
            outcome.objectGone = true
            return outcome
        }
    }

    private func reconcileLiveObject(_ key: String) async throws -> ReconcileOutcome {
        var outcome = ReconcileOutcome()
        guard let object = services.get(key), object.metadata.deletionTimestamp == nil else {
            return outcome  // deleted: owned objects go by garbage collection (ownerReferences)
        }
        let namespace = object.metadata.namespace ?? "default"
        let generation = object.metadata.generation
        let now = Timestamps.format(wallClock())
        let before = object.typedStatus
        var status = before
        status.observedGeneration = generation

        var service: InferenceService
        do {
            service = try InferenceService.decodeValidated(object.document)
        } catch {
            status.setCondition(error.readyCondition(observedGeneration: generation, now: now))
            outcome.invalidSpec = error.description
            if status != before {
                await recorder.record(regarding: object.objectReference, type: .warning, reason: error.conditionReason,
                                      action: "Validate", note: error.description)
            }
            outcome.wroteStatus = try await writeStatus(object, before: before, after: status)
            return outcome
        }

        await pinModelRevision(&service, object: object, status: &status, now: now)
        let predictorName = PredictorRenderer.name(for: service)
        let liveDeployment = deployments.get(namespace: namespace, name: predictorName)
        ObjectGauges.record(ObjectGauges.afterReconcile(deployment: liveDeployment),
                            labels: ObjectGauges.labels(namespace: namespace, name: service.name, predictor: predictorName),
                            uid: object.metadata.uid)
        let scaling = await records.entry(key)
        if let desired = scaling?.desiredReplicas, service.spec.autoscaling.mode == .active { status.desiredReplicas = desired }
        // A canary: the run as the loop left it (or status holds it), and both versions counted as the object's replicas.
        let candidateName = CanaryRenderer.candidateName(forObjectNamed: service.name)
        let liveCandidate = service.spec.canary == nil ? nil : deployments.get(namespace: namespace, name: candidateName)
        let run = scaling?.canary ?? CanaryMapping.state(from: status.canary)
        let sharing = service.spec.canary != nil && !(run?.phase.isFinal ?? false)
        let liveTotal = sharing ? CanaryMapping.combined(stable: liveDeployment, candidate: liveCandidate) : liveDeployment
        let replicas = Self.replicasToApply(service: service, status: status, live: liveTotal)
        let routed = CanaryLayout.routed(service.spec, httpRoutesServed: httpRoutes != nil)
        var layout = CanaryLayout.make(spec: service.spec, run: run, total: replicas, promotionRolledOut: false, gateway: routed)
        if layout?.run?.phase == .promoted, let promoted = layout {
            // Promotion moves the stable Deployment to the candidate's template; traffic
            // stays on the candidate until every stable replica runs it and is ready.
            var stableService = service
            stableService.spec = promoted.stableSpec
            let target = try? PredictorRenderer.render(stableService, replicas: replicas, lastWarmedFingerprint: status.warmedFingerprint,
                                                    measuredBatching: status.measuredBatching)
            let liveTemplate = try liveDeployment.map { try JSON(encoding: $0) }?[path: "spec", "template"]
            let rolledOut = target.map { target in
                liveTemplate.map { liveObjectSatisfies($0, desired: target.deployment[path: "spec", "template"] ?? [:]) } ?? false
            } ?? false
            layout = CanaryLayout.make(spec: service.spec, run: run, total: replicas,
                                       promotionRolledOut: rolledOut && CanaryMapping.rolledOut(liveDeployment), gateway: routed)
        }
        var stableService = service
        if let layout { stableService.spec = layout.stableSpec }
        let rendered: RenderedPredictor
        var renderedCanary: RenderedCanary?
        var route: JSON?
        do throws(RenderingError) {
            rendered = try PredictorRenderer.render(stableService, replicas: layout?.split.stableReplicas ?? replicas,
                                                    lastWarmedFingerprint: status.warmedFingerprint,
                                                    measuredBatching: status.measuredBatching)
            if let layout {
                renderedCanary = try CanaryRenderer.render(service, replicas: layout.split.candidateReplicas, gatewayRoute: routed)
                if routed { route = try HTTPRouteRenderer.render(service, backends: layout.route) }
            }
        } catch {
            status.setCondition(ServingAPI.Condition(type: ConditionType.ready.rawValue, status: .false, observedGeneration: generation,
                                          lastTransitionTime: now, reason: "InvalidSpec", message: error.description))
            outcome.invalidSpec = error.description
            outcome.wroteStatus = try await writeStatus(object, before: before, after: status)
            return outcome
        }

        // Status first: it records the scaling intent (desiredReplicas and the
        // decision) before the Deployment changes, so a crash in between is
        // finished by the next reconcile, never lost or repeated.
        let myPods = pods?.list(namespace: namespace).filter { $0.metadata.labels?[PredictorLabels.instance] == service.name }
        StatusRules.update(&status, service: service, deployment: liveTotal, plan: rendered.warmup,
                           generation: generation, now: now, replicasApplied: replicas, pods: myPods)
        if let measured = status.measuredBatching, measured != before.measuredBatching {
            await recorder.record(regarding: object.objectReference, type: measured.maxBatchSize == nil ? .warning : .normal,
                                  reason: measured.maxBatchSize == nil ? "BatchingNotMeasured" : "BatchingMeasured", action: "Warmup",
                                  note: measured.maxBatchSize == nil
                                      ? "\(measured.note ?? "no measurement"); the pods that follow run the server's fallback batcher"
                                      : "the pods that follow run \(StatusRules.describe(measured))")
        }
        if let scaling { StatusRules.merge(scaling, into: &status) }
        if let current = scaling?.canary, layout?.run == current {
            status.canary = CanaryMapping.status(current, stable: scaling?.canaryStable)
        }
        if let mine = myPods {
            if let condition = ModelFetchCondition.condition(pods: mine, generation: generation, now: now) { status.setCondition(condition) }
        }
        // The condition speaks for the current run only: none before its first evaluation, none without spec.canary.
        if let canary = status.canary, let run = layout?.run, canary.candidate == run.candidate {
            status.setCondition(CanaryMapping.rolledBackCondition(canary, generation: generation, now: now))
        } else {
            status.removeCondition(.canaryRolledBack)
        }
        outcome.wroteStatus = try await writeStatus(object, before: before, after: status)
        if let scaling { await records.acknowledge(key, decisions: scaling.pending.count) }

        if try await applyIfChanged(.deployments, desired: rendered.deployment, live: try liveDeployment.map { try JSON(encoding: $0) }) {
            outcome.appliedDeployment = true
        }
        // The candidate's pods exist before the predictor Service selects them,
        // and the per-version Services before the route sends to them.
        if let renderedCanary {
            try await applyCanary(renderedCanary, namespace: namespace, name: service.name, outcome: &outcome)
            try await applyRoute(route, namespace: namespace, name: service.name, outcome: &outcome)
        } else if service.spec.canary == nil {
            try await removeCanaryObjects(namespace: namespace, name: service.name, outcome: &outcome)
        }
        var predictorService = rendered.service
        if let layout {
            predictorService["spec"]?["selector"] = .object(CanaryRenderer.predictorSelector(instance: service.name, selection: layout.split.selection))
        }
        let liveService = serviceObjects.get(namespace: namespace, name: predictorName)
        // The selector must match exactly: a canary's selection drops or changes a
        // key, which "live carries everything desired" would not notice.
        if try await applyIfChanged(.services, desired: predictorService, live: try liveService.map { try JSON(encoding: $0) },
                                    exactly: [["spec", "selector"]]) {
            outcome.appliedService = true
        }
        if let serviceMonitors {
            let desired = try ServiceMonitorRenderer.render(service, labels: serviceMonitors.labels)
            let live = serviceMonitors.store.get(namespace: namespace, name: predictorName)
            if try await applyIfChanged(ServiceMonitorResource.resourceType, desired: desired, live: try live.map { try JSON(encoding: $0) }) {
                outcome.appliedServiceMonitor = true
            }
        }
        return outcome
    }

    /// An `hf://` model with a branch or tag: the pods get the commit recorded in
    /// `status.model` (asking the Hub when there is none for this URI yet). When the
    /// Hub cannot say, the pods load the revision as written and a Warning Event says why.
    func pinModelRevision(_ service: inout InferenceService, object: InferenceServiceResource, status: inout InferenceServiceStatus,
                          now: String) async {
        let model = service.spec.model
        let refresh = object.metadata.annotations?[ModelRevisionPin.refreshAnnotation]
        switch ModelRevisionPin.plan(uri: model.uri, endpoint: model.storage?.endpoint, refresh: refresh, recorded: status.model) {
        case .none:
            status.model = nil
        case .keep(let pin):
            if let pinned = ModelRevisionPin.pinnedURI(model.uri, commit: pin.revision) { service.spec.model.uri = pinned }
        case .resolve:
            guard let hubRevisions else { return }
            switch await hubRevisions.resolve(uri: model.uri, storage: model.storage, namespace: service.metadata.namespace ?? "default") {
            case .success(let commit):
                status.model = ModelStatus(uri: model.uri, endpoint: model.storage?.endpoint, revision: commit, resolvedAt: now, refresh: refresh)
                if let pinned = ModelRevisionPin.pinnedURI(model.uri, commit: commit) { service.spec.model.uri = pinned }
                await recorder.record(regarding: object.objectReference, type: .normal, reason: "ModelRevisionPinned", action: "Resolve",
                                      note: "\(model.uri) is commit \(commit); the pods load that commit")
            case .failure(let problem):
                // Keep an earlier pin only if it was for this very source: the URI changed otherwise.
                status.model = nil
                if !problem.repeated {
                    await recorder.record(regarding: object.objectReference, type: .warning, reason: "ModelRevisionUnresolved", action: "Resolve",
                                          note: "could not pin \(model.uri) to a commit (\(problem.message)); the pods load the revision as written")
                }
            }
        }
    }

    /// Per-object ServiceMonitors (`--service-monitors`, on a cluster that serves them).
    public struct ServiceMonitors: Sendable {
        public var store: Store<ServiceMonitorResource>
        /// Extra labels on each, e.g. the `release` label Prometheus selects on.
        public var labels: [String: String]
        public init(store: Store<ServiceMonitorResource>, labels: [String: String]) {
            self.store = store
            self.labels = labels
        }
    }

    /// The replica count the Deployment should carry.
    /// - Disabled: `spec.replicas.manual` (what `kubectl scale` sets on the
    ///   InferenceService's scale subresource), clamped into [min, max].
    /// - Active / DryRun: the scaling loop's `status.desiredReplicas`, else
    ///   the live Deployment's count, else `replicas.min` at creation. DryRun
    ///   never records a new desired count, so it keeps what is there.
    static func replicasToApply(service: InferenceService, status: InferenceServiceStatus, live: Deployment?) -> Int {
        let bounds = service.spec.replicas
        let raw: Int
        switch service.spec.autoscaling.mode {
        case .disabled:
            raw = service.spec.replicas.manual
        case .active, .dryRun:
            raw = status.desiredReplicas ?? live?.spec?.replicas.map(Int.init) ?? bounds.min
        }
        return Swift.min(Swift.max(raw, bounds.min), bounds.max)
    }

    /// Server-side applies `desired` unless the live object already has it;
    /// the fields at `exactly` must also have no key the desired ones lack.
    /// Returns whether a write was made.
    func applyIfChanged(_ type: ResourceType, desired: JSON, live: JSON?, exactly: [[String]] = []) async throws -> Bool {
        if let live, liveObjectSatisfies(live, desired: desired), exactly.allSatisfy({ path in
            func at(_ document: JSON) -> JSON? { path.reduce(document as JSON?) { $0?[$1] } }
            return at(live).map { live in at(desired).map { live.isEquivalent(to: $0) } ?? false } ?? (at(desired) == nil)
        }) {
            return false
        }
        _ = try await client.apply(type, desired, fieldManager: Self.fieldManager, force: true)
        Counter(label: "operator_api_writes_total", dimensions: [("resource", type.plural), ("verb", "apply")]).increment()
        return true
    }

    /// Writes the status subresource when it changed; returns whether it wrote.
    func writeStatus(_ object: InferenceServiceResource, before: InferenceServiceStatus, after: InferenceServiceStatus) async throws -> Bool {
        guard after != before else { return false }
        var statusDocument = try JSON(encoding: after)
        // A merge patch keeps fields it does not name: a new canary run must
        // clear what the previous one left (its history, verdict, signals).
        if case .object(var canary)? = statusDocument["canary"] {
            for key in CanaryStatus.optionalFields where canary[key] == nil { canary[key] = .null }
            // The signals objects merge too: a reading without a p95 must not keep the last one.
            for key in ["candidateSignals", "stableSignals"] {
                guard case .object(var signals)? = canary[key] else { continue }
                for field in VersionSignals.optionalFields where signals[field] == nil { signals[field] = .null }
                canary[key] = .object(signals)
            }
            statusDocument["canary"] = .object(canary)
        }
        // A pin that no longer applies goes; a new pin replaces every field of the old one.
        if after.model == nil, before.model != nil { statusDocument["model"] = .null }
        if case .object(var model)? = statusDocument["model"] {
            for key in ["endpoint", "resolvedAt", "refresh"] where model[key] == nil { model[key] = .null }
            statusDocument["model"] = .object(model)
        }
        let body: JSON = ["status": statusDocument]
        do {
            _ = try await client.patch(InferenceServiceResource.resourceType, name: object.metadata.name ?? "",
                                       namespace: object.metadata.namespace, .merge(body), subresource: "status",
                                       fieldManager: Self.fieldManager)
        } catch {
            // 404: deleted after the cache was read; its delete event follows
            // and garbage collection removes the owned objects. Not an error.
            if error.isNotFound { throw ObjectGone() }
            throw error
        }
        Counter(label: "operator_api_writes_total", dimensions: [("resource", "inferenceservices/status"), ("verb", "patch")]).increment()
        return true
    }
}
