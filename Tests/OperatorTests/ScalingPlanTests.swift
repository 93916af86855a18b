import Autoscaling
@testable import ControllerRuntime
import Foundation
import JSONValue
import KubeAPI
import KubeClient
import Locking
import Logging
@testable import Operator
import ServingAPI
import TestSupport
import Testing

/// `ScalingPlan.make`: what one evaluation decides and what it would write,
/// from the object, its Deployment, the signals, the loop's record and the
/// time alone (no API server, no Prometheus, no clock).
@Suite struct ScalingPlanTests {
    static let now = 1_700_000_000.0
    static var stamp: String { Timestamps.format(Date(timeIntervalSince1970: now)) }

    /// replicas 2...10; the latency rule fires on the first slow interval
    /// (+2 above 200 ms), so one observation is enough to scale up.
    static func object(mode: String = "Active", gpu: Int = 0, status: InferenceServiceStatus? = nil) throws -> InferenceServiceResource {
        let spec: JSON = [
            "model": ["name": "m", "uri": "file:///models/m.onnx"],
            "replicas": ["min": 2, "max": 10],
            "resources": ["gpu": .int(Int64(gpu))],
            "autoscaling": ["mode": .string(mode), "intervalSeconds": 15, "rules": ["latency": ["consecutiveIntervals": 1]]],
        ]
        return InferenceServiceResource(metadata: ObjectMeta(name: "demo", namespace: "ml", generation: 3), spec: spec,
                                        status: try status.map { try JSON(encoding: $0) })
    }

    static func deployment(_ replicas: Int32) -> Deployment {
        Deployment(metadata: ObjectMeta(name: "demo-predictor", namespace: "ml"),
                   spec: .init(replicas: replicas), status: .init(replicas: replicas, readyReplicas: replicas))
    }

    static func signals(p95: SignalValue = .value(0.05), gpu: SignalValue = .missing, rate: SignalValue = .value(10)) -> ObjectSignals {
        ObjectSignals(p95Latency: p95, gpuUtilization: gpu, requestRate: rate)
    }

    static let slow = signals(p95: .value(0.5))

    static func plan(_ object: InferenceServiceResource, deployment: Deployment? = deployment(2), signals: ObjectSignals = signals(),
                     record: ScalingRecords.Entry? = nil, authProblem: AuthSecretProblem? = nil) throws -> ScalingPlan {
        let service = try InferenceService.decodeValidated(object.document)
        return ScalingPlan.make(object: object, service: service, policy: PolicyMapping.policy(for: service.spec, followFallback: false),
                                deployment: deployment, signals: signals, record: record, now: now, authProblem: authProblem)
    }

    // MARK: Modes

    struct ModeCase: Sendable, CustomTestStringConvertible {
        var mode: String
        var event: String
        var desiredReplicas: Int?
        var writesReplicas: Bool
        var scalingActive: String
        var recordedReason: String
        var desiredGauge: Int
        var testDescription: String { mode }
    }

    @Test(arguments: [
        ModeCase(mode: "Active", event: "ScaledUp", desiredReplicas: 4, writesReplicas: true, scalingActive: "ScaledUp",
                 recordedReason: "", desiredGauge: 4),
        ModeCase(mode: "DryRun", event: "ScaleRecommended", desiredReplicas: nil, writesReplicas: false, scalingActive: "DryRun",
                 recordedReason: "[DryRun] ", desiredGauge: 2),
    ])
    func onlyActivePlansAReplicaWriteWhileBothRecordTheDecisionAndAnEvent(_ row: ModeCase) throws {
        let plan = try Self.plan(try Self.object(mode: row.mode), signals: Self.slow)
        let decided = try #require(plan.decided)
        #expect(decided.decision.targetReplicas == 4)
        #expect(decided.desiredReplicas == row.desiredReplicas)
        #expect(decided.writesReplicas == row.writesReplicas)
        #expect(decided.lastScaleTime == (row.writesReplicas ? Self.stamp : nil))
        #expect(decided.scaleEvent?.reason == row.event)
        #expect(decided.scaleEvent?.type == .normal)
        #expect(decided.scalingActive.reason == row.scalingActive)
        #expect(decided.desiredReplicasGauge == row.desiredGauge)
        let recorded = try #require(decided.recentDecision)
        #expect(recorded.from == 2 && recorded.to == 4 && recorded.rule == "latency" && recorded.time == Self.stamp)
        #expect(recorded.reason == row.recordedReason + decided.decision.reason)

        var entry = ScalingRecords.Entry()
        plan.record(into: &entry)
        #expect(entry.desiredReplicas == row.desiredReplicas, "DryRun never records a replica count for the reconciler")
        #expect(entry.pending == [recorded])
        #expect(entry.lastEvaluatedAt == Self.now)
    }

    @Test func dryRunPlansNoReplicaWriteButAScaleRecommendedEvent() throws {
        let decided = try #require(try Self.plan(try Self.object(mode: "DryRun"), signals: Self.slow).decided)
        #expect(decided.desiredReplicas == nil && !decided.writesReplicas && decided.lastScaleTime == nil)
        let event = try #require(decided.scaleEvent)
        #expect(event.reason == "ScaleRecommended" && event.action == "Scale")
        #expect(event.note.hasPrefix("[DryRun] would scale 2 -> 4 by rule latency: "), "\(event.note)")
        #expect(event.note.hasSuffix("(p95=500ms rps=10)"), "\(event.note)")
    }

    @Test func aScaleUpPlansTheWriteTheStatusDecisionAndScaledUp() throws {
        let plan = try Self.plan(try Self.object(), signals: Self.slow)
        let decided = try #require(plan.decided)
        #expect(decided.current == 2 && decided.decision.targetReplicas == 4 && decided.decision.rule == .latency)
        #expect(decided.direction == .up)
        #expect(decided.writesReplicas && decided.desiredReplicas == 4 && decided.lastScaleTime == Self.stamp)
        #expect(decided.scaleEvent == ScalingPlan.PlannedEvent(
            type: .normal, reason: "ScaledUp", action: "Scale",
            note: "scaled 2 -> 4 by rule latency: \(decided.decision.reason) (p95=500ms rps=10)"))
        #expect(decided.authEvent == nil)
        #expect(decided.scalingActive.reason == "ScaledUp" && decided.scalingActive.observedGeneration == 3)
        #expect(decided.metricsAvailable.reason == "MetricsAvailable" && decided.metricsAvailable.message == "p95=500ms rps=10")

        var entry = ScalingRecords.Entry()
        entry.pending = [ScalingDecisionRecord(time: "earlier", from: 4, to: 2, rule: "idle", reason: "idle")]
        plan.record(into: &entry)
        #expect(entry.desiredReplicas == 4 && entry.lastScaleTime == Self.stamp)
        #expect(entry.state == decided.decision.state)
        #expect(entry.pending.map(\.to) == [2, 4], "decisions not yet in status are kept, the new one appended")
        #expect(entry.scalingActive == decided.scalingActive && entry.metricsAvailable == decided.metricsAvailable)
        #expect(entry.observed == decided.observed)
    }

    @Test func anIdleServiceScalesDownToTheMinimum() throws {
        var record = ScalingRecords.Entry()
        record.desiredReplicas = 6
        record.state.idleSince = Self.now - 400
        let decided = try #require(try Self.plan(try Self.object(), deployment: Self.deployment(6),
                                                 signals: Self.signals(p95: .noData, rate: .value(0)), record: record).decided)
        #expect(decided.decision.rule == .idle && decided.decision.targetReplicas == 2)
        #expect(decided.direction == .down && decided.writesReplicas)
        #expect(decided.scaleEvent?.reason == "ScaledDown")
        #expect(decided.scalingActive.reason == "ScaledDown")
    }

    @Test func aSteadyServicePlansNoEventAndNoDecisionButKeepsTheIntent() throws {
        let plan = try Self.plan(try Self.object())
        let decided = try #require(plan.decided)
        #expect(decided.decision.targetReplicas == 2 && decided.direction == .none)
        #expect(!decided.writesReplicas && decided.lastScaleTime == nil)
        #expect(decided.desiredReplicas == 2, "Active records the intent even when it is unchanged")
        #expect(decided.scaleEvent == nil && decided.recentDecision == nil)
        #expect(decided.scalingActive.reason == "Stable")
        var entry = ScalingRecords.Entry()
        entry.lastScaleTime = "earlier"
        plan.record(into: &entry)
        #expect(entry.lastScaleTime == "earlier" && entry.pending.isEmpty)
    }

    // MARK: The in-flight hold

    struct HoldCase: Sendable, CustomTestStringConvertible {
        var name: String
        var mode = "Active"
        var recorded: Int?
        var inStatus: Int?
        var deployment: Int32?
        /// nil: the engine runs from `current`.
        var hold: ScalingPlan.Outcome?
        var current: Int?
        var testDescription: String { name }
    }

    @Test(arguments: [
        HoldCase(name: "the decided 6 is not on the Deployment (4)", recorded: 6, deployment: 4, hold: .hold(intent: 6, deployment: 4)),
        HoldCase(name: "after a restart the intent comes from status", inStatus: 6, deployment: 4, hold: .hold(intent: 6, deployment: 4)),
        HoldCase(name: "the record wins over status", recorded: 4, inStatus: 6, deployment: 4, current: 4),
        HoldCase(name: "the intent is clamped to replicas.max first", recorded: 12, deployment: 10, current: 10),
        HoldCase(name: "the clamped intent still differs", recorded: 12, deployment: 8, hold: .hold(intent: 10, deployment: 8)),
        HoldCase(name: "no Deployment yet: the intent decides", recorded: 6, deployment: nil, current: 6),
        HoldCase(name: "the Deployment carries the change", recorded: 6, deployment: 6, current: 6),
        HoldCase(name: "DryRun has no intent", mode: "DryRun", recorded: 6, deployment: 4, current: 4),
        HoldCase(name: "no intent: the Deployment's count", deployment: 5, current: 5),
        HoldCase(name: "nothing at all: replicas.min", deployment: nil, current: 2),
    ])
    func theLoopHoldsWhileThePreviousChangeIsNotOnTheDeployment(_ row: HoldCase) throws {
        var record: ScalingRecords.Entry?
        if let recorded = row.recorded {
            record = ScalingRecords.Entry()
            record?.desiredReplicas = recorded
        }
        let object = try Self.object(mode: row.mode, status: row.inStatus.map { InferenceServiceStatus(desiredReplicas: $0) })
        let plan = try Self.plan(object, deployment: row.deployment.map(Self.deployment), record: record)
        if let hold = row.hold {
            #expect(plan.outcome == hold)
        } else {
            #expect(plan.decided?.current == row.current)
        }
    }

    @Test func aHoldPlansNothingButTheEvaluationTime() throws {
        var record = ScalingRecords.Entry()
        record.desiredReplicas = 6
        record.metricsAvailable = ServingAPI.Condition(type: "MetricsAvailable", status: .true, lastTransitionTime: "earlier",
                                                        reason: "MetricsAvailable", message: "before")
        // Slow enough to scale up, and an unusable Secret: still nothing.
        let plan = try Self.plan(try Self.object(), deployment: Self.deployment(4), signals: Self.slow, record: record,
                                 authProblem: AuthSecretProblem(reason: "AuthSecretInvalid", message: "Secret ml/s not found"))
        #expect(plan.outcome == .hold(intent: 6, deployment: 4))
        #expect(plan.decided == nil)
        var entry = record
        plan.record(into: &entry)
        var expected = record
        expected.lastEvaluatedAt = Self.now
        #expect(entry == expected)
    }

    // MARK: Readings and conditions

    struct ReadingCase: Sendable, CustomTestStringConvertible {
        var gpuPerReplica: Int
        var p95: Double
        var gpu: Double
        var rate: Double
        var observed: ObservedSignals
        var summary: String
        var testDescription: String { summary }
    }

    @Test(arguments: [
        ReadingCase(gpuPerReplica: 0, p95: 0.058124999999999986, gpu: 40.04, rate: 12.34567,
                    observed: ObservedSignals(p95LatencyMs: 58.1, gpuUtilizationPercent: 40, requestsPerSecond: 12.346),
                    summary: "p95=58ms rps=12.346"),
        ReadingCase(gpuPerReplica: 1, p95: 0.1996, gpu: 61.56, rate: 0.0004,
                    observed: ObservedSignals(p95LatencyMs: 199.6, gpuUtilizationPercent: 61.6, requestsPerSecond: 0),
                    summary: "p95=200ms rps=0 gpu=62%"),
    ])
    func readingsAreRoundedForStatusAndSummarisedForPeople(_ row: ReadingCase) throws {
        let decided = try #require(try Self.plan(try Self.object(gpu: row.gpuPerReplica),
                                                 signals: Self.signals(p95: .value(row.p95), gpu: .value(row.gpu), rate: .value(row.rate))).decided)
        var expected = row.observed
        expected.time = Self.stamp
        #expect(decided.observed == expected)
        #expect(decided.signalsSummary == row.summary)
        #expect(decided.metricsAvailable.message == row.summary)
    }

    @Test func unreadableSignalsHoldReplicasAndAreNamedInMetricsAvailable() throws {
        let signals = Self.signals(p95: .unavailable("timeout"), rate: .missing)
        let decided = try #require(try Self.plan(try Self.object(), deployment: Self.deployment(4),
                                                 signals: signals).decided)
        #expect(decided.decision.targetReplicas == 4 && decided.scaleEvent == nil)
        #expect(decided.metricsAvailable.status == .false && decided.metricsAvailable.reason == "MetricsUnavailable")
        #expect(decided.metricsAvailable.message == "unusable: p95, requestRate; replicas held (p95=unavailable (timeout) rps=missing)")
        #expect(decided.scalingActive.reason == "MetricsUnavailable")
        #expect(decided.observed.p95LatencyMs == nil && decided.observed.requestsPerSecond == nil)
    }

    @Test func anUnusableSecretWarnsOnlyWhenTheProblemIsNews() throws {
        let problem = AuthSecretProblem(reason: "AuthSecretInvalid", message: "Secret ml/s not found")
        let why = SignalValue.unavailable(problem.message)
        let signals = ObjectSignals(p95Latency: why, gpuUtilization: why, requestRate: why)
        let first = try Self.plan(try Self.object(), signals: signals, authProblem: problem)
        let decided = try #require(first.decided)
        #expect(decided.metricsAvailable.reason == "AuthSecretInvalid")
        #expect(decided.metricsAvailable.message == "Secret ml/s not found; metrics unavailable, replicas held")
        #expect(decided.authEvent == ScalingPlan.PlannedEvent(type: .warning, reason: "AuthSecretInvalid", action: "ReadMetrics",
                                                               note: "Secret ml/s not found"))
        #expect(decided.scaleEvent == nil && decided.decision.targetReplicas == 2)

        var record = ScalingRecords.Entry()
        first.record(into: &record)
        #expect(try Self.plan(try Self.object(), signals: signals, record: record, authProblem: problem).decided?.authEvent == nil,
                "the same problem next interval: no second Event")
        let other = AuthSecretProblem(reason: "AuthSecretUnreadable", message: "reading Secret ml/s failed: 500")
        #expect(try Self.plan(try Self.object(), signals: signals, record: record, authProblem: other).decided?.authEvent?.reason
                == "AuthSecretUnreadable")
    }

    // MARK: Restart

    @Test(arguments: ["Active", "DryRun"])
    func onlyAppliedDecisionsAreRestoredAsScaleUpsAfterARestart(_ mode: String) throws {
        let recorded = try #require(try Self.plan(try Self.object(mode: mode), signals: Self.slow).decided?.recentDecision)
        let restored = StateRestoration.state(from: InferenceServiceStatus(recentDecisions: [recorded]), policy: .matrix)
        #expect(restored.lastScaleUpAt == (mode == "Active" ? Self.now : nil))
        #expect(restored.lastDirection == (mode == "Active" ? .up : nil))
    }

    @Test func learnedHeadroomAndWindowOutliveARestartWithinThePolicysBounds() throws {
        let policy = ScalingPolicy.recommended(capacityPerReplicaRPS: 10)
        let adaptive = try #require(policy.requestRate?.adaptive)
        let scaleDown = try #require(policy.scaleDown)
        let shortest = try #require(scaleDown.minStabilizationWindowSeconds)
        var state = ScalerState()
        state.rateTargetUtilization = (adaptive.minUtilization + adaptive.maxUtilization) / 2 + 0.000_4
        state.stabilizationSeconds = shortest + 0.4
        var status = InferenceServiceStatus()
        StatusRules.merge(ScalingRecords.Entry(state: state), into: &status)
        let learned = try #require(status.learned)
        #expect(learned.scaleDownWindowSeconds == shortest.rounded())
        let restored = StateRestoration.state(from: status, policy: policy)
        #expect(abs((restored.rateTargetUtilization ?? 0) - (state.rateTargetUtilization ?? 0)) <= 0.000_5)
        #expect(restored.stabilizationSeconds == max(shortest.rounded(), shortest))

        // A spec edited since (or a hand-edited status) cannot push them outside the policy.
        status.learned = LearnedScaling(targetUtilization: 5, scaleDownWindowSeconds: 1e9)
        let clamped = StateRestoration.state(from: status, policy: policy)
        #expect(clamped.rateTargetUtilization == adaptive.maxUtilization)
        #expect(clamped.stabilizationSeconds == scaleDown.stabilizationWindowSeconds)
        #expect(StateRestoration.state(from: status, policy: .matrix).rateTargetUtilization == nil, "no adaptive headroom")
        #expect(StateRestoration.learned(from: ScalerState()) == nil)
    }

    // MARK: Disabled (never planned)

    /// Disabled objects never reach the plan: the loop records the
    /// condition (news for status once), drops the intent, queries nothing.
    @Test func aDisabledObjectIsMarkedOnceAndNeitherQueriedNorPlanned() async throws {
        let services = Store<InferenceServiceResource>()
        _ = services.upsert(try Self.object(mode: "Disabled"))
        let prometheus = ScriptedTransport(status: 500, json: "{}")
        let kube = ScriptedTransport(status: 201, json: "{}")
        let logger = Logger(label: "test")
        let recorder = EventRecorder(client: KubeClient(configuration: KubeClientConfiguration(server: "http://kube.test"), transport: kube),
                                     configuration: .init(reportingController: "test", reportingInstance: "test"), logger: logger)
        let records = ScalingRecords()
        await records.update("ml/demo") { $0.desiredReplicas = 6 }
        let clock = Locked(Self.now)
        let changed = Locked<[[String]]>([])
        let loop = ScalingLoop(configuration: .init(defaultPrometheusURL: "http://prom.test:9090"), transport: prometheus,
                               services: services, deployments: Store<Deployment>(), records: records, recorder: recorder,
                               wallClock: { Date(timeIntervalSince1970: clock.withLock { $0 }) }, logger: logger) { keys in
            changed.withLock { $0.append(keys) }
        }

        #expect(await loop.evaluateDue() == [])
        let entry = try #require(await records.entry("ml/demo"))
        #expect(entry.scalingActive == ScalingConditions.disabled(generation: 3, now: Self.stamp))
        #expect(entry.scalingActive?.reason == "Disabled")
        #expect(entry.desiredReplicas == nil && entry.lastEvaluatedAt == Self.now)
        clock.withLock { $0 += 15 }
        #expect(await loop.evaluateDue() == [])
        #expect(changed.withLock { $0 } == [["ml/demo"]], "still Disabled is no news")
        #expect(await records.entry("ml/demo")?.lastEvaluatedAt == Self.now + 15)
        #expect(prometheus.requests.isEmpty && kube.requests.isEmpty)
    }
}
