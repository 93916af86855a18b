import Autoscaling
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import KubeAPI
import KubeClient
import Rendering
import Rollout
import ServingAPI

/// Pure translations between the API (`spec.canary`, `status.canary`) and the
/// canary state machine (`Rollout`), and the queries that read a version's signals.
enum CanaryMapping {
    /// The run's plan: the spec with its defaults; the p95 bound falls back to
    /// the latency rule's threshold (or its default when that rule is off).
    static func plan(for spec: InferenceServiceSpec) -> CanaryPlan? {
        guard let canary = spec.canary else { return nil }
        let latency = spec.autoscaling.rules.latency
        let bound = canary.analysis.maxP95Ms ?? (latency.enabled ? latency.thresholdMs : Defaults.canaryMaxP95Ms)
        return CanaryPlan(
            steps: canary.steps, stepSeconds: Double(canary.stepSeconds),
            progressDeadlineSeconds: Double(canary.progressDeadlineSeconds),
            analysis: CanaryAnalysis(maxP95Milliseconds: bound, maxErrorRatio: canary.analysis.maxErrorRatio,
                                     minRequests: canary.analysis.minRequests),
            paused: canary.paused)
    }

    /// The command in the object's annotation, if it names one.
    static func command(in metadata: KubeAPI.ObjectMeta) -> CanaryCommand? {
        metadata.annotations?[Defaults.canaryActionAnnotation].flatMap { CanaryCommand(rawValue: $0.lowercased()) }
    }

    // MARK: status.canary <-> CanaryState

    static func status(_ state: CanaryState, stable: VersionReading?) -> CanaryStatus {
        CanaryStatus(
            candidate: state.candidate, phase: state.phase.rawValue, step: state.step + 1, weight: state.liveWeight,
            stepStartedAt: time(state.stepStartedAt), trafficSince: state.trafficSince.map(time),
            waitingSince: state.waitingSince.map(time), healthySeconds: state.healthySeconds,
            lastEvaluatedAt: time(state.lastEvaluatedAt), accruing: state.accruing,
            candidateSignals: state.reading.map(signals), stableSignals: stable.map(signals),
            history: state.history.isEmpty ? nil : state.history.map { record in
                CanaryStepStatus(weight: record.weight, startedAt: time(record.startedAt), endedAt: time(record.endedAt),
                                 outcome: record.outcome.rawValue, signals: record.reading.map(signals))
            },
            verdict: state.verdict, ignoredAction: state.staleCommand?.rawValue, costRatio: state.costRatio)
    }

    /// The state a restarted operator continues from; nil when status holds
    /// none or something it cannot read (a new run starts then).
    static func state(from status: CanaryStatus?) -> CanaryState? {
        guard let status, let phase = CanaryPhase(rawValue: status.phase), status.step >= 1,
              let stepStartedAt = status.stepStartedAt.flatMap(seconds), let lastEvaluatedAt = status.lastEvaluatedAt.flatMap(seconds)
        else { return nil }
        let history = (status.history ?? []).compactMap { step -> CanaryStepRecord? in
            guard let started = seconds(step.startedAt), let ended = seconds(step.endedAt),
                  let outcome = CanaryStepRecord.Outcome(rawValue: step.outcome) else { return nil }
            return CanaryStepRecord(weight: step.weight, startedAt: started, endedAt: ended, outcome: outcome, reading: step.signals.map(reading))
        }
        return CanaryState(
            candidate: status.candidate, phase: phase, step: status.step - 1, stepStartedAt: stepStartedAt,
            liveWeight: min(max(status.weight, 0), 100), trafficSince: status.trafficSince.flatMap(seconds),
            waitingSince: status.waitingSince.flatMap(seconds), healthySeconds: max(0, status.healthySeconds),
            lastEvaluatedAt: lastEvaluatedAt, accruing: status.accruing ?? false,
            reading: status.candidateSignals.map(reading), history: history, verdict: status.verdict,
            staleCommand: status.ignoredAction.flatMap(CanaryCommand.init(rawValue:)),
            costRatio: status.costRatio.flatMap { $0.isFinite && $0 > 0 ? $0 : nil })
    }

    /// The `CanaryRolledBack` condition for a run's status.
    static func rolledBackCondition(_ canary: CanaryStatus, generation: Int64?, now: String) -> ServingAPI.Condition {
        let type = ConditionType.canaryRolledBack.rawValue
        switch canary.phase {
        case CanaryPhase.rolledBack.rawValue:
            let deadline = canary.verdict?.contains("did not carry") == true
            return ServingAPI.Condition(type: type, status: .true, observedGeneration: generation, lastTransitionTime: now,
                                        reason: deadline ? "ProgressDeadlineExceeded" : "AnalysisFailed",
                                        message: canary.verdict ?? "rolled back")
        case CanaryPhase.aborted.rawValue:
            return ServingAPI.Condition(type: type, status: .true, observedGeneration: generation, lastTransitionTime: now,
                                        reason: "Aborted", message: canary.verdict ?? "aborted by command")
        default:
            return ServingAPI.Condition(type: type, status: .false, observedGeneration: generation, lastTransitionTime: now,
                                        reason: canary.phase, message: "candidate \(canary.candidate) at step \(canary.step), \(canary.weight)% of traffic")
        }
    }

    static func signals(_ reading: VersionReading) -> VersionSignals {
        VersionSignals(p95LatencyMs: reading.p95Milliseconds, requests: reading.requests, errors: reading.errors,
                       computeMsPerRequest: reading.computeMsPerRequest, clientErrors: reading.clientErrors)
    }

    static func reading(_ signals: VersionSignals) -> VersionReading {
        VersionReading(p95Milliseconds: signals.p95LatencyMs, requests: signals.requests, errors: signals.errors,
                       computeMsPerRequest: signals.computeMsPerRequest, clientErrors: signals.clientErrors ?? 0)
    }

    /// Whether the candidate's Deployment carries `wanted` ready replicas of
    /// this candidate (its template observed, so no replica of an older one counts).
    static func candidateReady(_ deployment: Deployment?, candidate: String, wanted: Int) -> Bool {
        guard let deployment, wanted >= 1,
              deployment.spec?.template?.metadata?.annotations?[CanaryRenderer.candidateAnnotation] == candidate,
              (deployment.status?.observedGeneration ?? -1) >= (deployment.metadata.generation ?? 0)
        else { return false }
        let ready = Int(deployment.status?.readyReplicas ?? 0)
        let updated = Int(deployment.status?.updatedReplicas ?? 0)
        return min(ready, updated) >= wanted
    }

    /// Whether a Deployment has rolled out its current template on all its replicas.
    static func rolledOut(_ deployment: Deployment?) -> Bool {
        guard let deployment, let wanted = deployment.spec?.replicas else { return false }
        let status = deployment.status
        return (status?.observedGeneration ?? -1) >= (deployment.metadata.generation ?? 0)
            && (status?.updatedReplicas ?? 0) >= wanted && (status?.readyReplicas ?? 0) >= wanted && (status?.replicas ?? 0) == wanted
    }

    static func time(_ seconds: Double) -> String { Timestamps.format(Date(timeIntervalSince1970: seconds)) }
    static func seconds(_ text: String) -> Double? { Timestamps.parse(text)?.timeIntervalSince1970 }

    // MARK: What the Deployments and the predictor Service carry

    /// How a run's phase becomes replicas and the predictor Service's selection.
    /// `total` is what the autoscaler wants for the object.
    /// `promotionRolledOut`: the stable Deployment already runs the promoted
    /// candidate's template on all its replicas.
    /// `gateway`: an HTTPRoute splits the requests by weight (`TrafficSplit.gatewayReplicas`);
    /// `liveWeight` is the weight in effect until the step's replicas are ready.
    /// `maxReplicas`: `replicas.max`, which both versions share.
    /// `costRatio`: the run's measured compute per request, candidate over stable (Gateway sizing only).
    static func split(phase: CanaryPhase?, step: Int, plan: CanaryPlan, total: Int, promotionRolledOut: Bool,
                      gateway: Bool = false, liveWeight: Int = 0, maxReplicas: Int = .max, costRatio: Double? = nil) -> TrafficSplit {
        switch phase {
        case nil, .progressing?, .paused?:
            // The replicas for the step are readied ahead of its weight: the
            // step takes effect when they are ready (`CanaryObservation.candidateReady`).
            let weight = plan.steps[min(step, plan.steps.count - 1)]
            func shares(_ weight: Int) -> TrafficSplit {
                gateway ? TrafficSplit.gatewayReplicas(total: total, weight: weight, costRatio: costRatio)
                    : TrafficSplit.replicas(total: total, weight: weight)
            }
            // Until then the stable version still carries 100 − liveWeight of the
            // traffic (exactly with a Gateway, by replica shares without one), so
            // it keeps the replicas for that share while the candidate's start, as
            // far as replicas.max leaves room: no capacity dip at a step change.
            var split = shares(weight)
            let room = max(split.stableReplicas, maxReplicas - split.candidateReplicas)
            split.stableReplicas = max(split.stableReplicas, min(shares(liveWeight).stableReplicas, room))
            return split
        case .promoted?:
            return promotionRolledOut
                ? TrafficSplit(selection: .stableOnly, stableReplicas: total, candidateReplicas: 0)
                : TrafficSplit(selection: .candidateOnly, stableReplicas: total, candidateReplicas: total)
        case .rolledBack?, .aborted?:
            return TrafficSplit(selection: .stableOnly, stableReplicas: total, candidateReplicas: 0)
        }
    }

    /// The two Deployments counted as one for the autoscaler and status.
    static func combined(stable: Deployment?, candidate: Deployment?) -> Deployment? {
        guard let stable else { return candidate }
        guard let candidate else { return stable }
        var both = stable
        both.spec?.replicas = (stable.spec?.replicas ?? 0) + (candidate.spec?.replicas ?? 0)
        var status = stable.status ?? Deployment.Status()
        status.replicas = (stable.status?.replicas ?? 0) + (candidate.status?.replicas ?? 0)
        status.readyReplicas = (stable.status?.readyReplicas ?? 0) + (candidate.status?.readyReplicas ?? 0)
        status.updatedReplicas = (stable.status?.updatedReplicas ?? 0) + (candidate.status?.updatedReplicas ?? 0)
        both.status = status
        return both
    }
}

/// The PromQL that reads one version's signals for a step. The candidate's
/// series carry `version="<candidate fingerprint>"` (`inference-server
/// --model-version`); the stable pods' carry no version label, which `version=""` selects.
struct CanaryQueries: Equatable {
    var p95: String
    var requests: String
    var errors: String
    /// Seconds of model compute per answered request over the last minute
    /// (batches' run time divided among their requests).
    var computePerRequest: String
    /// Requests refused as the client's fault (HTTP 4xx other than 429).
    var clientErrors: String

    /// Failed requests: the server's own failures (`error`, `not_ready`), not
    /// clients' bad requests or 429s from a full queue (capacity is the autoscaler's job).
    static let errorOutcomes = "error|not_ready"

    init(namespace: String, service: String, labels: ObjectLabels, version: String, windowSeconds: Double) {
        let selector = "\(labels.namespace)=\"\(Self.escape(namespace))\",\(labels.name)=\"\(Self.escape(service))\",version=\"\(version)\""
        let window = "\(Int(max(30, windowSeconds.rounded(.up))))s"
        p95 = "histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{\(selector)}[1m])))"
        requests = "sum(increase(inference_request_duration_seconds_count{\(selector)}[\(window)]))"
        errors = "sum(increase(inference_request_duration_seconds_count{\(selector),outcome=~\"\(Self.errorOutcomes)\"}[\(window)]))"
        clientErrors = "sum(increase(inference_request_duration_seconds_count{\(selector),outcome=\"client_error\"}[\(window)]))"
        computePerRequest = "sum(rate(inference_compute_duration_seconds_sum{\(selector)}[1m])) / "
            + "sum(rate(inference_request_duration_seconds_count{\(selector),outcome=\"success\"}[1m]))"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// The reading from the answers; nil when p95, requests or errors could
    /// not be read (compute per request is optional: nil when unknown).
    static func reading(p95: SignalValue, requests: SignalValue, errors: SignalValue, computePerRequest: SignalValue = .noData,
                        clientErrors: SignalValue = .noData) -> VersionReading? {
        func count(_ value: SignalValue) -> Double? {
            switch value {
            case .value(let number): number.isFinite ? max(0, number) : nil
            case .noData, .missing: 0  // no series yet, or no requests in the window
            case .unavailable: nil
            }
        }
        guard let requests = count(requests), let errors = count(errors), let clientErrors = count(clientErrors) else { return nil }
        let latency: Double?
        switch p95 {
        case .value(let seconds): latency = seconds * 1000
        case .noData, .missing: latency = nil
        case .unavailable: return nil
        }
        var compute: Double?
        if case .value(let seconds) = computePerRequest, seconds.isFinite, seconds > 0 { compute = seconds * 1000 }
        return VersionReading(p95Milliseconds: latency, requests: requests, errors: min(errors, requests), computeMsPerRequest: compute,
                              clientErrors: min(clientErrors, requests))
    }
}
