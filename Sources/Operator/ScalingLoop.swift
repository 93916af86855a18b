import Autoscaling
import ControllerRuntime
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Logging
import Metrics
import Rendering
import Rollout
import ServingAPI

/// Every interval: one batched Prometheus query per signal for all due
/// InferenceServices (per-object query overrides go alone), the decision
/// engine per object, an Event for each change, and a record that the
/// reconciler turns into status and the Deployment's replicas (Active mode).
public struct ScalingLoop: Sendable {
    public struct Configuration: Sendable {
        public var defaultPrometheusURL: String
        /// Follow KEDA-style fallback replicas where objects configure them.
        public var followFallback: Bool
        /// How often the loop wakes to look for due objects.
        public var tick: Duration
        public var prometheusTimeout: Duration
        /// Prometheus labels that carry the object (see `ObjectLabels`):
        /// endpoint discovery labels series with `namespace` and `service`
        /// (the Service is named `{name}-predictor`).
        public var objectLabels: ObjectLabels

        public init(defaultPrometheusURL: String, followFallback: Bool = false, tick: Duration = .seconds(1),
                    prometheusTimeout: Duration = .seconds(5), objectLabels: ObjectLabels = ObjectLabels(namespace: "namespace", name: "service")) {
            self.defaultPrometheusURL = defaultPrometheusURL
            self.followFallback = followFallback
            self.tick = tick
            self.prometheusTimeout = prometheusTimeout
            self.objectLabels = objectLabels
        }
    }

    let configuration: Configuration
    let transport: any HTTPTransport
    let services: Store<InferenceServiceResource>
    let deployments: Store<Deployment>
    let records: ScalingRecords
    let recorder: EventRecorder
    let time: TimeSource
    let wallClock: @Sendable () -> Date
    let logger: Logger
    /// Called with the keys whose record changed, so reconcile writes status.
    let changed: @Sendable ([String]) async -> Void
    /// Reads `authSecretRef` Secrets; nil: objects that name one get their
    /// metrics `unavailable` (this operator reads no Secrets).
    let secrets: AuthSecretCache?
    let transports: PrometheusTransports
    /// The cluster serves gateway.networking.k8s.io/v1 HTTPRoutes: a canary
    /// with `gatewayRef` is split by its route (`CanaryLayout.routed`).
    let httpRoutesServed: Bool
    /// The canary routes as the informer sees them: a step takes effect only once
    /// the Gateway accepted the route (`RouteAcceptance`). nil: not read.
    let httpRoutes: Store<HTTPRouteResource>?

    public init(configuration: Configuration, transport: any HTTPTransport,
                services: Store<InferenceServiceResource>, deployments: Store<Deployment>, records: ScalingRecords,
                recorder: EventRecorder, clock: TimeSource = .continuous, wallClock: @escaping @Sendable () -> Date = { Date() },
                logger: Logger, secrets: AuthSecretCache? = nil, httpRoutesServed: Bool = false,
                httpRoutes: Store<HTTPRouteResource>? = nil,
                makeTransport: @escaping PrometheusTransports.Make = { tls throws in try CurlTransport(tls: tls) },
                changed: @escaping @Sendable ([String]) async -> Void) {
        self.secrets = secrets
        self.httpRoutesServed = httpRoutesServed
        self.httpRoutes = httpRoutes
        self.transports = PrometheusTransports(shared: transport, make: makeTransport)
        self.configuration = configuration
        self.transport = transport
        self.services = services
        self.deployments = deployments
        self.records = records
        self.recorder = recorder
        self.time = clock
        self.wallClock = wallClock
        self.logger = logger
        self.changed = changed
    }

    /// Evaluates due objects every tick until cancelled.
    public func run() async {
        while !Task.isCancelled {
            _ = await evaluateDue()
            do { try await time.sleep(configuration.tick) } catch { return }
        }
    }

    struct Candidate {
        var key: String
        var object: InferenceServiceResource
        var service: InferenceService
        var policy: ScalingPolicy
        var overrides: SignalOverrides
        var prometheusURL: String
        /// False for a `Disabled` object that is due only for its canary run.
        var autoscale = true
    }

    /// One pass: evaluates every object whose interval boundary passed.
    /// Returns the keys evaluated (for tests and metrics).
    @discardableResult
    public func evaluateDue() async -> [String] {
        let now = wallClock().timeIntervalSince1970
        var due: [Candidate] = []
        var disabledChanged: [String] = []
        for object in services.list() where object.metadata.deletionTimestamp == nil {
            let key = object.key
            // Due-ness from the raw spec first: decoding and validating every
            // object every tick would cost more than the evaluation itself.
            let rawInterval = object.spec?[path: "autoscaling", "intervalSeconds"]?.intValue ?? Int64(Defaults.intervalSeconds)
            let interval = Double(max(1, rawInterval))
            let last = await records.entry(key)?.lastEvaluatedAt
            // Objects with the same interval evaluate together (at multiples
            // of the interval), so one batched query serves them all.
            if let last, (now / interval).rounded(.down) == (last / interval).rounded(.down) { continue }
            guard let service = try? InferenceService.decodeValidated(object.document) else { continue }
            let autoscale = service.spec.autoscaling.mode != .disabled
            if !autoscale {
                if await markDisabled(key, generation: object.metadata.generation, now: now) { disabledChanged.append(key) }
                // A canary still runs: its steps and analysis do not depend on autoscaling.
                guard service.spec.canary != nil else { continue }
            }
            let namespace = object.metadata.namespace ?? "default"
            due.append(Candidate(
                key: key, object: object, service: service,
                policy: PolicyMapping.policy(for: service.spec, followFallback: configuration.followFallback),
                overrides: PolicyMapping.overrides(for: service.spec, namespace: namespace, name: service.name),
                prometheusURL: service.spec.autoscaling.prometheus?.url ?? configuration.defaultPrometheusURL,
                autoscale: autoscale))
        }
        guard !due.isEmpty else {
            if !disabledChanged.isEmpty { await changed(disabledChanged) }
            return []
        }

        // Group by endpoint: URL plus the credentials and CA of the object's
        // authSecretRef. Same URL and same Secret content share one batched
        // query; a different auth is a separate group.
        var groups: [PrometheusEndpoint: [Candidate]] = [:]
        var rejected: [(Candidate, AuthSecretProblem)] = []
        for candidate in due {
            switch await endpoint(for: candidate) {
            case .success(let endpoint): groups[endpoint, default: []].append(candidate)
            case .failure(let problem): rejected.append((candidate, problem))
            }
        }
        var evaluated: [String] = []
        for (endpoint, group) in groups.sorted(by: { ($0.key.url, $0.key.description) < ($1.key.url, $1.key.description) }) {
            let signals = await readSignals(endpoint: endpoint, group: group)
            for candidate in group {
                let objectKey = ObjectKey(namespace: candidate.object.metadata.namespace ?? "default",
                                          name: PredictorRenderer.name(for: candidate.service))
                let read = signals[objectKey] ?? ObjectSignals(p95Latency: .missing, gpuUtilization: .missing, requestRate: .missing)
                if candidate.autoscale { await evaluate(candidate, signals: read, now: now) }
                if candidate.service.spec.canary != nil {
                    await evaluateCanary(candidate, prometheus: try? prometheusClient(endpoint).get(), now: now)
                }
                evaluated.append(candidate.key)
            }
        }
        for (candidate, problem) in rejected {
            // Nothing is queried without the credentials: every signal is
            // unavailable, so the engine holds replicas (never scales down).
            let why = SignalValue.unavailable(problem.message)
            Counter(label: "operator_prometheus_signal_failures_total").increment(by: 3)
            if candidate.autoscale {
                await evaluate(candidate, signals: ObjectSignals(p95Latency: why, gpuUtilization: why, requestRate: why),
                               now: now, authProblem: problem)
            }
            // A canary holds its step (no readable signals); it still takes commands and its deadline.
            if candidate.service.spec.canary != nil { await evaluateCanary(candidate, prometheus: nil, now: now) }
            evaluated.append(candidate.key)
        }
        await changed(evaluated + disabledChanged)
        return evaluated
    }

    /// The Prometheus endpoint of one object: the URL alone, or with the
    /// credentials of its `authSecretRef` (read through the cache).
    private func endpoint(for candidate: Candidate) async -> Result<PrometheusEndpoint, AuthSecretProblem> {
        guard let reference = candidate.service.spec.autoscaling.prometheus?.authSecretRef else {
            return .success(PrometheusEndpoint(url: candidate.prometheusURL))
        }
        let namespace = candidate.object.metadata.namespace ?? "default"
        guard let secrets else {
            return .failure(AuthSecretProblem(reason: "AuthSecretUnreadable",
                                              message: "Secret \(namespace)/\(reference.name): this operator reads no Secrets"))
        }
        return await secrets.endpoint(url: candidate.prometheusURL, namespace: namespace, name: reference.name)
    }

    /// A client for one endpoint; fails when its custom CA is unusable (the signals read as unavailable then).
    private func prometheusClient(_ endpoint: PrometheusEndpoint) -> Result<PrometheusClient, any Error> {
        Result {
            PrometheusClient(configuration: PrometheusConfiguration(baseURL: endpoint.url, authentication: endpoint.authentication,
                                                                    timeout: configuration.prometheusTimeout),
                             transport: try transports.transport(caPEM: endpoint.caPEM))
        }
    }

    private func readSignals(endpoint: PrometheusEndpoint, group: [Candidate]) async -> [ObjectKey: ObjectSignals] {
        var objects: [ObjectKey: SignalOverrides] = [:]
        for candidate in group {
            objects[ObjectKey(namespace: candidate.object.metadata.namespace ?? "default",
                              name: PredictorRenderer.name(for: candidate.service))] = candidate.overrides
        }
        let prometheus: PrometheusClient
        switch prometheusClient(endpoint) {
        case .success(let client): prometheus = client
        case .failure(let error):
            let why = SignalValue.unavailable("custom CA of \(endpoint) unusable: \(error)")
            return objects.mapValues { _ in ObjectSignals(p95Latency: why, gpuUtilization: why, requestRate: why) }
        }
        let started = ContinuousClock.now
        // The GPU query only when some policy has the GPU rule (objects with GPUs): CPU-only fleets send two queries, not three.
        let skipping: Set<SignalName> = group.contains { $0.policy.gpuUtilization != nil } ? [] : [.gpuUtilization]
        let result = await prometheus.readSignals(for: objects, queries: SignalQueries(labels: configuration.objectLabels), skipping: skipping)
        let elapsed = ContinuousClock.now - started
        Metrics.Timer(label: "operator_prometheus_read_duration_seconds", preferredDisplayUnit: .seconds)
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        let failures = result.values.flatMap { [$0.p95Latency, $0.gpuUtilization, $0.requestRate] }.filter {
            if case .unavailable = $0 { return true } else { return false }
        }.count
        if failures > 0 { Counter(label: "operator_prometheus_signal_failures_total").increment(by: failures) }
        // 401/403 with credentials from a Secret: it may have been rotated;
        // read it again at the next interval instead of after the TTL.
        if result.values.contains(where: \.credentialsRefused), endpoint.secret != nil, let secrets {
            for candidate in group {
                if let name = candidate.service.spec.autoscaling.prometheus?.authSecretRef?.name {
                    secrets.invalidate(namespace: candidate.object.metadata.namespace ?? "default", name: name)
                }
            }
            logger.warning("Prometheus refused the credentials; the Secret is read again next interval",
                           metadata: ["endpoint": "\(endpoint)"])
        }
        return result
    }

    /// Plans one object's evaluation (pure, `ScalingPlan.make`) and carries
    /// the plan out.
    private func evaluate(_ candidate: Candidate, signals: ObjectSignals, now: Double, authProblem: AuthSecretProblem? = nil) async {
        let namespace = candidate.object.metadata.namespace ?? "default"
        let record = await records.entry(candidate.key)
        let stable = deployments.get(namespace: namespace, name: PredictorRenderer.name(for: candidate.service))
        // While a canary shares the traffic, the object's replicas are both versions'.
        let deployment: Deployment?
        if candidate.service.spec.canary != nil, record?.canary.map({ !$0.phase.isFinal }) ?? true {
            let candidateDeployment = deployments.get(namespace: namespace, name: CanaryRenderer.candidateName(forObjectNamed: candidate.service.name))
            var both = CanaryMapping.combined(stable: stable, candidate: candidateDeployment)
            // A split can hold more replicas than the total it divides (shares rounded up with a
            // Gateway, the stable replica kept warm at 100%). Where both Deployments carry the split
            // of the total reconcile applies, that total is what is on them: the plan must not hold
            // as if its last decision had not landed.
            var status = candidate.object.typedStatus
            if let desired = record?.desiredReplicas { status.desiredReplicas = desired }
            let total = Reconciler.replicasToApply(service: candidate.service, status: status, live: both)
            if let layout = CanaryLayout.make(spec: candidate.service.spec, run: record?.canary ?? CanaryMapping.state(from: status.canary),
                                              total: total, promotionRolledOut: false,
                                              gateway: CanaryLayout.routed(candidate.service.spec, httpRoutesServed: httpRoutesServed)),
               stable?.spec?.replicas == Int32(layout.split.stableReplicas),
               (candidateDeployment?.spec?.replicas ?? 0) == Int32(layout.split.candidateReplicas) {
                both?.spec?.replicas = Int32(total)
            }
            deployment = both
        } else {
            deployment = stable
        }
        let plan = ScalingPlan.make(
            object: candidate.object, service: candidate.service, policy: candidate.policy,
            deployment: deployment, signals: signals, record: record, now: now, authProblem: authProblem)
        await apply(plan, to: candidate)
    }

    /// One step of the object's canary run: reads both versions' signals for
    /// the step, advances the state machine (`CanaryProgress`), and records the
    /// new state and its Event; the reconciler turns the state into replicas,
    /// the predictor Service's selection and `status.canary`.
    private func evaluateCanary(_ candidate: Candidate, prometheus: PrometheusClient?, now: Double) async {
        let spec = candidate.service.spec
        guard let plan = CanaryMapping.plan(for: spec), let fingerprint = CanaryRenderer.candidateFingerprint(spec) else { return }
        let namespace = candidate.object.metadata.namespace ?? "default"
        let record = await records.entry(candidate.key)
        var previous = record?.canary ?? CanaryMapping.state(from: candidate.object.typedStatus.canary)
        if previous?.candidate != fingerprint { previous = nil }
        let stable = deployments.get(namespace: namespace, name: PredictorRenderer.name(for: candidate.service))
        let candidateDeployment = deployments.get(namespace: namespace, name: CanaryRenderer.candidateName(forObjectNamed: candidate.service.name))
        // The object's replicas as reconcile splits them (the autoscaler's count), so
        // "ready" means ready for this step's share of what reconcile applies.
        var status = candidate.object.typedStatus
        if let desired = record?.desiredReplicas, spec.autoscaling.mode == .active { status.desiredReplicas = desired }
        let total = Reconciler.replicasToApply(service: candidate.service, status: status,
                                               live: CanaryMapping.combined(stable: stable, candidate: candidateDeployment))
        let routed = CanaryLayout.routed(spec, httpRoutesServed: httpRoutesServed)
        let wanted = CanaryLayout.make(spec: spec, run: previous, total: total, promotionRolledOut: false, gateway: routed)?
            .split.candidateReplicas ?? 0
        var ready = CanaryMapping.candidateReady(candidateDeployment, candidate: fingerprint, wanted: wanted)
        var waitingFor: String? = ready ? nil : "replicas not ready"
        if ready, routed, let routes = httpRoutes, let gateway = spec.canary?.gatewayRef {
            let routeName = HTTPRouteRenderer.name(forObjectNamed: candidate.service.name)
            let route = routes.get(namespace: namespace, name: routeName)
            let parent = "Gateway \(gateway.namespace ?? namespace)/\(gateway.name)"
            switch RouteAcceptance.of(route, gateway: gateway, routeNamespace: namespace) {
            case .accepted:
                break
            case .refused(let why):
                ready = false
                waitingFor = "\(parent) has not accepted HTTPRoute \(namespace)/\(routeName): \(why)"
                logger.warning("canary: \(waitingFor ?? "")", metadata: ["key": "\(candidate.key)"])
            case .unreported:
                ready = false
                waitingFor = "no acceptance of HTTPRoute \(namespace)/\(routeName) reported by \(parent) yet"
            }
        }

        var candidateReading: VersionReading?
        var stableReading: VersionReading?
        if let prometheus {
            let window = now - (previous?.trafficSince ?? now)
            let service = PredictorRenderer.name(for: candidate.service)
            candidateReading = await read(prometheus, CanaryQueries(namespace: namespace, service: service, labels: configuration.objectLabels,
                                                                    version: fingerprint, windowSeconds: window))
            stableReading = await read(prometheus, CanaryQueries(namespace: namespace, service: service, labels: configuration.objectLabels,
                                                                 version: "", windowSeconds: window))
        }
        let command = CanaryMapping.command(in: candidate.object.metadata)
        let decision = CanaryProgress.advance(plan: plan, candidate: fingerprint, state: previous,
                                              observation: CanaryObservation(candidateReady: ready, candidate: candidateReading, command: command,
                                                                                 stable: stableReading, waitingFor: waitingFor),
                                              now: now)
        if let event = decision.event {
            await recorder.record(regarding: candidate.object.objectReference, type: event.warning ? .warning : .normal,
                                  reason: event.reason, action: "Canary", note: event.message)
            let metadata: Logger.Metadata = ["key": "\(candidate.key)", "reason": "\(event.reason)", "weight": "\(decision.candidateWeight)"]
            if event.warning { logger.warning("canary: \(event.message)", metadata: metadata) } else { logger.info("canary: \(event.message)", metadata: metadata) }
        }
        if previous == nil, let gateway = spec.canary?.gatewayRef, !routed {
            // The run goes ahead on the predictor Service's split; say why the Gateway is not used.
            let note = "spec.canary.gatewayRef names Gateway \(gateway.namespace ?? namespace)/\(gateway.name), but the cluster does not "
                + "serve gateway.networking.k8s.io/v1 HTTPRoutes (or did not when the operator started): traffic is split by replica "
                + "shares through the predictor Service instead"
            await recorder.record(regarding: candidate.object.objectReference, type: .warning, reason: "GatewayAPIUnavailable",
                                  action: "Canary", note: note)
            logger.warning("canary: \(note)", metadata: ["key": "\(candidate.key)"])
        }
        let stableSignals = stableReading
        var state = decision.state
        // Each version's compute per request, measured while both serve: behind a Gateway it sizes the versions.
        if let ratio = TrafficSplit.costRatio(candidateMs: candidateReading?.computeMsPerRequest, stableMs: stableReading?.computeMsPerRequest),
           state.phase == .progressing || state.phase == .paused {
            state.costRatio = ratio
        }
        let measured = state
        await records.update(candidate.key) { entry in
            entry.canary = measured
            entry.canaryStable = stableSignals
        }
    }

    private func read(_ prometheus: PrometheusClient, _ queries: CanaryQueries) async -> VersionReading? {
        async let p95 = prometheus.signal(queries.p95)
        async let requests = prometheus.signal(queries.requests)
        async let errors = prometheus.signal(queries.errors)
        async let compute = prometheus.signal(queries.computePerRequest)
        async let clientErrors = prometheus.signal(queries.clientErrors)
        return CanaryQueries.reading(p95: await p95, requests: await requests, errors: await errors, computePerRequest: await compute,
                                     clientErrors: await clientErrors)
    }

    /// The IO of a plan: metrics, Events and their log lines, then the
    /// record (which the reconciler turns into status and replicas).
    private func apply(_ plan: ScalingPlan, to candidate: Candidate) async {
        let key = candidate.key
        switch plan.outcome {
        case .hold(let intent, let onDeployment):
            logger.debug("previous scaling change not yet on the Deployment; holding",
                         metadata: ["key": "\(key)", "intent": "\(intent)", "deployment": "\(onDeployment)"])
        case .decided(let decided):
            let namespace = candidate.object.metadata.namespace ?? "default"
            let labels = [("namespace", namespace), ("name", candidate.service.name)]
            let uid = candidate.object.metadata.uid
            ObjectGauges.countDecision(rule: decided.decision.rule, direction: decided.direction,
                                       namespace: namespace, name: candidate.service.name, uid: uid)
            ObjectGauges.record([.init(metric: ObjectGauges.desiredReplicas, value: Double(decided.desiredReplicasGauge)),
                                 .init(metric: ObjectGauges.currentReplicas, value: Double(decided.current))],
                                labels: labels, uid: uid)
            ObjectGauges.record(ObjectGauges.afterEvaluation(policy: candidate.policy, metricsAvailable: decided.metricsAvailable),
                                labels: ObjectGauges.labels(namespace: namespace,
                                                            name: candidate.service.name,
                                                            predictor: PredictorRenderer.name(for: candidate.service)),
                                uid: uid)
            if let event = decided.scaleEvent {
                await record(event, about: candidate)
                logger.info("scaling decision", metadata: [
                    "key": "\(key)", "from": "\(decided.current)", "to": "\(decided.decision.targetReplicas)",
                    "rule": "\(decided.decision.rule.rawValue)", "mode": "\(decided.mode.rawValue)",
                    "reason": "\(decided.decision.reason)", "signals": "\(decided.signalsSummary)"])
            }
            if let event = decided.authEvent {
                await record(event, about: candidate)
                logger.warning("Prometheus credentials unusable", metadata: ["key": "\(key)", "reason": "\(event.note)"])
            }
        }
        await records.update(key) { plan.record(into: &$0) }
    }

    private func record(_ event: ScalingPlan.PlannedEvent, about candidate: Candidate) async {
        await recorder.record(regarding: candidate.object.objectReference, type: event.type, reason: event.reason,
                              action: event.action, note: event.note)
    }

    /// Records that autoscaling is off; returns whether that is news for status.
    private func markDisabled(_ key: String, generation: Int64?, now: Double) async -> Bool {
        let condition = ScalingConditions.disabled(generation: generation, now: Timestamps.format(Date(timeIntervalSince1970: now)))
        let wasDisabled = await records.entry(key)?.scalingActive?.reason == condition.reason
        await records.update(key) { entry in
            entry.lastEvaluatedAt = now
            entry.desiredReplicas = nil
            entry.scalingActive = condition
        }
        return !wasDisabled
    }
}

extension SignalValue {
    var summaryPercent: String {
        if case .value(let percent) = self { return "\(Int(percent.rounded()))%" }
        return summary
    }

    /// Seconds shown as milliseconds, for p95 in reasons.
    var summaryMilliseconds: String {
        if case .value(let seconds) = self { return "\(Int((seconds * 1000).rounded()))ms" }
        return summary
    }
}

/// The `ScalingActive` condition for a decision (pure).
enum ScalingConditions {
    /// Autoscaling is off (mode `Disabled`); the loop compares reasons to
    /// see whether that is news.
    static func disabled(generation: Int64?, now: String) -> ServingAPI.Condition {
        ServingAPI.Condition(type: ConditionType.scalingActive.rawValue, status: .false, observedGeneration: generation,
                             lastTransitionTime: now, reason: "Disabled",
                             message: "autoscaling is Disabled; replicas follow spec.replicas.manual")
    }

    static func condition(decision: Decision, current: Int, mode: AutoscalingMode, maxReplicas: Int,
                          generation: Int64?, now: String) -> ServingAPI.Condition {
        let type = ConditionType.scalingActive.rawValue
        if mode == .dryRun {
            return ServingAPI.Condition(type: type, status: .true, observedGeneration: generation, lastTransitionTime: now,
                             reason: "DryRun", message: "decisions are recorded, replicas are not changed")
        }
        if !decision.unusableSignals.isEmpty && decision.targetReplicas == current {
            return ServingAPI.Condition(type: type, status: .false, observedGeneration: generation, lastTransitionTime: now,
                             reason: "MetricsUnavailable", message: decision.reason)
        }
        if decision.targetReplicas > current {
            return ServingAPI.Condition(type: type, status: .true, observedGeneration: generation, lastTransitionTime: now,
                             reason: decision.targetReplicas >= maxReplicas ? "AtMaxReplicas" : "ScaledUp", message: decision.reason)
        }
        if decision.targetReplicas < current {
            return ServingAPI.Condition(type: type, status: .true, observedGeneration: generation, lastTransitionTime: now,
                             reason: "ScaledDown", message: decision.reason)
        }
        return ServingAPI.Condition(type: type, status: .true, observedGeneration: generation, lastTransitionTime: now,
                         reason: current >= maxReplicas ? "AtMaxReplicas" : "Stable", message: decision.reason)
    }
}

/// Rebuilds the engine's memory from status after an operator restart.
enum StateRestoration {
    static func state(from status: InferenceServiceStatus, policy: ScalingPolicy) -> ScalerState {
        var state = ScalerState()
        state.latencyBreaches = status.breaches?.latency ?? 0
        state.idleSince = status.idleSince.flatMap(Timestamps.parse)?.timeIntervalSince1970
        if let last = status.recentDecisions?.last, let time = Timestamps.parse(last.time)?.timeIntervalSince1970,
           !last.isDryRun {
            if last.to > last.from { state.lastScaleUpAt = time; state.lastDirection = .up }
            if last.to < last.from { state.lastScaleDownAt = time; state.lastDirection = .down }
        }
        // Learned settings, within what the policy allows now (the spec may have changed).
        if let adaptive = policy.requestRate?.adaptive, let utilization = status.learned?.targetUtilization,
           utilization.isFinite {
            state.rateTargetUtilization = min(max(utilization, adaptive.minUtilization), adaptive.maxUtilization)
        }
        if let rule = policy.scaleDown, let shortest = rule.minStabilizationWindowSeconds,
           let window = status.learned?.scaleDownWindowSeconds, window.isFinite {
            let longest = rule.stabilizationWindowSeconds
            state.stabilizationSeconds = min(max(window, min(shortest, longest)), longest)
        }
        return state
    }

    /// What status keeps of the engine's calibration: the utilisation to
    /// 0.001 and the window to whole seconds, so small drifts write nothing.
    static func learned(from state: ScalerState) -> LearnedScaling? {
        let utilization = state.rateTargetUtilization.map { ($0 * 1000).rounded() / 1000 }
        let window = state.stabilizationSeconds.map { $0.rounded() }
        if utilization == nil && window == nil { return nil }
        return LearnedScaling(targetUtilization: utilization, scaleDownWindowSeconds: window)
    }
}
