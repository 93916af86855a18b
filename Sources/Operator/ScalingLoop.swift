import Autoscaling
import ControllerRuntime
import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Logging
import Metrics
import Rendering
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

    public init(configuration: Configuration, transport: any HTTPTransport,
                services: Store<InferenceServiceResource>, deployments: Store<Deployment>, records: ScalingRecords,
                recorder: EventRecorder, clock: TimeSource = .continuous, wallClock: @escaping @Sendable () -> Date = { Date() },
                logger: Logger, secrets: AuthSecretCache? = nil,
                makeTransport: @escaping PrometheusTransports.Make = { tls throws in try CurlTransport(tls: tls) },
                changed: @escaping @Sendable ([String]) async -> Void) {
        self.secrets = secrets
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
            if service.spec.autoscaling.mode == .disabled {
                if await markDisabled(key, generation: object.metadata.generation, now: now) { disabledChanged.append(key) }
                continue
            }
            let namespace = object.metadata.namespace ?? "default"
            due.append(Candidate(
                key: key, object: object, service: service,
                policy: PolicyMapping.policy(for: service.spec, followFallback: configuration.followFallback),
                overrides: PolicyMapping.overrides(for: service.spec, namespace: namespace, name: service.name),
                prometheusURL: service.spec.autoscaling.prometheus?.url ?? configuration.defaultPrometheusURL))
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
                await evaluate(candidate, signals: read, now: now)
                evaluated.append(candidate.key)
            }
        }
        for (candidate, problem) in rejected {
            // Nothing is queried without the credentials: every signal is
            // unavailable, so the engine holds replicas (never scales down).
            let why = SignalValue.unavailable(problem.message)
            Counter(label: "operator_prometheus_signal_failures_total").increment(by: 3)
            await evaluate(candidate, signals: ObjectSignals(p95Latency: why, gpuUtilization: why, requestRate: why),
                           now: now, authProblem: problem)
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

    private func readSignals(endpoint: PrometheusEndpoint, group: [Candidate]) async -> [ObjectKey: ObjectSignals] {
        var objects: [ObjectKey: SignalOverrides] = [:]
        for candidate in group {
            objects[ObjectKey(namespace: candidate.object.metadata.namespace ?? "default",
                              name: PredictorRenderer.name(for: candidate.service))] = candidate.overrides
        }
        let groupTransport: any HTTPTransport
        do {
            groupTransport = try transports.transport(caPEM: endpoint.caPEM)
        } catch {
            let why = SignalValue.unavailable("custom CA of \(endpoint) unusable: \(error)")
            return objects.mapValues { _ in ObjectSignals(p95Latency: why, gpuUtilization: why, requestRate: why) }
        }
        let prometheus = PrometheusClient(configuration: PrometheusConfiguration(baseURL: endpoint.url, authentication: endpoint.authentication,
                                                                                 timeout: configuration.prometheusTimeout),
                                          transport: groupTransport)
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

    private func evaluate(_ candidate: Candidate, signals: ObjectSignals, now: Double, authProblem: AuthSecretProblem? = nil) async {
        let key = candidate.key
        let namespace = candidate.object.metadata.namespace ?? "default"
        let predictor = PredictorRenderer.name(for: candidate.service)
        let deployment = deployments.get(namespace: namespace, name: predictor)
        let mode = candidate.service.spec.autoscaling.mode
        let entry = await records.entry(key)
        let onDeployment = Int(deployment?.spec?.replicas ?? Int32(candidate.service.spec.replicas.min))
        // Active: the change last decided (the record, or status after a
        // restart), clamped to the spec's bounds, is where we stand. While it
        // differs from the Deployment's count the loop holds (below), so the
        // intent decides only where the Deployment or its spec.replicas is
        // missing (not created yet, or just deleted).
        let intent = mode == .active ? (entry?.desiredReplicas ?? candidate.object.typedStatus.desiredReplicas) : nil
        let bounds = candidate.service.spec.replicas
        let current = intent.map { Swift.min(Swift.max($0, bounds.min), bounds.max) } ?? onDeployment
        // The previous change is decided but not yet on the Deployment (its
        // apply failed or waits for the reconciler): hold until it lands, so
        // that every decision is applied as made and the Deployment's history
        // matches the recorded decisions one to one. The reconciler keeps
        // applying the intent; the signals describe the old replica count anyway.
        if intent != nil, let deployment, deployment.spec?.replicas != nil, current != onDeployment {
            logger.debug("previous scaling change not yet on the Deployment; holding",
                         metadata: ["key": "\(key)", "intent": "\(current)", "deployment": "\(onDeployment)"])
            await records.update(key) { $0.lastEvaluatedAt = now }
            return
        }
        let ready = Int(deployment?.status?.readyReplicas ?? 0)
        let observation = signals.observation(currentReplicas: current, readyReplicas: ready)
        let previous = entry?.state ?? StateRestoration.state(from: candidate.object.typedStatus)
        let decision = decide(policy: candidate.policy, state: previous, observation: observation, now: now)
        let stamp = Timestamps.format(Date(timeIntervalSince1970: now))
        let generation = candidate.object.metadata.generation

        // The change is not written here: it goes into the record, and the
        // reconciler writes status first (desiredReplicas + the decision),
        // then applies the Deployment's replicas. A crash between the two
        // leaves the intent in status, so a restarted operator finishes the
        // change instead of losing or repeating it.
        let scaled = decision.targetReplicas != current && mode == .active
        let direction = decision.targetReplicas > current ? "up" : (decision.targetReplicas < current ? "down" : "none")
        Counter(label: "operator_scaling_decisions_total", dimensions: [("rule", decision.rule.rawValue), ("direction", direction)]).increment()
        Gauge(label: "operator_desired_replicas", dimensions: [("namespace", namespace), ("name", candidate.service.name)])
            .record(mode == .active ? decision.targetReplicas : current)
        Gauge(label: "operator_current_replicas", dimensions: [("namespace", namespace), ("name", candidate.service.name)])
            .record(current)

        var numbers = "p95=\(signals.p95Latency.summaryMilliseconds) rps=\(signals.requestRate.summary)"
        if candidate.policy.gpuUtilization != nil { numbers += " gpu=\(signals.gpuUtilization.summaryPercent)" }
        if decision.targetReplicas != current {
            let dryRun = mode == .dryRun
            let note = "\(dryRun ? "[DryRun] would scale" : "scaled") \(current) -> \(decision.targetReplicas) by rule \(decision.rule.rawValue): \(decision.reason) (\(numbers))"
            await recorder.record(regarding: candidate.object.objectReference, type: .normal,
                                  reason: dryRun ? "ScaleRecommended" : (direction == "up" ? "ScaledUp" : "ScaledDown"),
                                  action: "Scale", note: note)
            logger.info("scaling decision", metadata: [
                "key": "\(key)", "from": "\(current)", "to": "\(decision.targetReplicas)", "rule": "\(decision.rule.rawValue)",
                "mode": "\(mode.rawValue)", "reason": "\(decision.reason)", "signals": "\(numbers)"])
        }

        var metricsCondition: ServingAPI.Condition = decision.unusableSignals.isEmpty
            ? ServingAPI.Condition(type: ConditionType.metricsAvailable.rawValue, status: .true, observedGeneration: generation,
                        lastTransitionTime: stamp, reason: "MetricsAvailable", message: numbers)
            : ServingAPI.Condition(type: ConditionType.metricsAvailable.rawValue, status: .false, observedGeneration: generation,
                        lastTransitionTime: stamp, reason: "MetricsUnavailable",
                        message: "unusable: \(decision.unusableSignals.map(\.rawValue).joined(separator: ", ")); replicas held (\(numbers))")
        if let authProblem {
            metricsCondition = ServingAPI.Condition(type: ConditionType.metricsAvailable.rawValue, status: .false, observedGeneration: generation,
                                                    lastTransitionTime: stamp, reason: authProblem.reason,
                                                    message: "\(authProblem.message); metrics unavailable, "
                                                        + (decision.targetReplicas == current ? "replicas held" : "fallback: \(decision.reason)"))
            let previous = await records.entry(key)?.metricsAvailable
            if previous?.reason != authProblem.reason || previous?.message != metricsCondition.message {
                await recorder.record(regarding: candidate.object.objectReference, type: .warning, reason: authProblem.reason,
                                      action: "ReadMetrics", note: authProblem.message)
                logger.warning("Prometheus credentials unusable", metadata: ["key": "\(key)", "reason": "\(authProblem.message)"])
            }
        }
        let metricsConditionNow = metricsCondition
        let scalingCondition = ScalingConditions.condition(decision: decision, current: current, mode: mode,
                                                           maxReplicas: candidate.policy.maxReplicas, generation: generation, now: stamp)
        let observed = ObservedSignals.reading(p95LatencyMs: signals.p95Latency.number.map { $0 * 1000 },
                                               gpuUtilizationPercent: signals.gpuUtilization.number,
                                               requestsPerSecond: signals.requestRate.number, time: stamp)
        let record: ScalingDecisionRecord? = decision.targetReplicas != current
            ? ScalingDecisionRecord(time: stamp, from: current, to: decision.targetReplicas, rule: decision.rule.rawValue,
                                    reason: (mode == .dryRun ? "[DryRun] " : "") + decision.reason)
            : nil
        let didScale = scaled
        await records.update(key) { entry in
            entry.state = decision.state
            entry.lastEvaluatedAt = now
            entry.observed = observed
            entry.metricsAvailable = metricsConditionNow
            entry.scalingActive = scalingCondition
            if mode == .active {
                entry.desiredReplicas = decision.targetReplicas
                if didScale { entry.lastScaleTime = stamp }
            }
            if let record { entry.pending.append(record) }
        }
    }

    /// Records that autoscaling is off; returns whether that is news for status.
    private func markDisabled(_ key: String, generation: Int64?, now: Double) async -> Bool {
        let stamp = Timestamps.format(Date(timeIntervalSince1970: now))
        let wasDisabled = await records.entry(key)?.scalingActive?.reason == "Disabled"
        await records.update(key) { entry in
            entry.lastEvaluatedAt = now
            entry.desiredReplicas = nil
            entry.scalingActive = ServingAPI.Condition(type: ConditionType.scalingActive.rawValue, status: .false, observedGeneration: generation,
                                            lastTransitionTime: stamp, reason: "Disabled",
                                            message: "autoscaling is Disabled; replicas follow spec.replicas.manual")
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
    static func state(from status: InferenceServiceStatus) -> ScalerState {
        var state = ScalerState()
        state.latencyBreaches = status.breaches?.latency ?? 0
        state.idleSince = status.idleSince.flatMap(Timestamps.parse)?.timeIntervalSince1970
        if let last = status.recentDecisions?.last, let time = Timestamps.parse(last.time)?.timeIntervalSince1970,
           !last.reason.hasPrefix("[DryRun]") {
            if last.to > last.from { state.lastScaleUpAt = time; state.lastDirection = .up }
            if last.to < last.from { state.lastScaleDownAt = time; state.lastDirection = .down }
        }
        return state
    }
}
