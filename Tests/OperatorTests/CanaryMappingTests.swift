import Autoscaling
import JSONValue
import KubeAPI
@testable import Operator
import Rendering
import Rollout
import ServingAPI
import Testing

/// The operator's pure canary pieces: plan from spec, status round trip,
/// replica layout per phase, and the per-version queries and readings.
@Suite struct CanaryMappingTests {
    static func spec(_ canary: JSON, latency: JSON? = nil) throws -> InferenceServiceSpec {
        var spec: JSONObject = ["model": ["name": "m", "uri": "file:///models/m.onnx"], "canary": canary]
        if let latency { spec["autoscaling"] = ["rules": ["latency": latency]] }
        return try JSON.object(spec).decode(InferenceServiceSpec.self)
    }

    @Test(arguments: [
        (nil as JSON?, nil as Double?, 200.0),  // the latency rule's default threshold
        (["thresholdMs": 350] as JSON?, nil, 350),
        (["enabled": false] as JSON?, nil, Defaults.canaryMaxP95Ms),
        (["thresholdMs": 350] as JSON?, 120, 120),  // an explicit bound wins
    ])
    func theP95BoundFallsBackToTheLatencyRule(latency: JSON?, maxP95: Double?, expected: Double) throws {
        var canary: JSONObject = ["model": ["name": "m", "uri": "file:///models/m2.onnx"]]
        if let maxP95 { canary["analysis"] = ["maxP95Ms": .double(maxP95)] }
        let plan = try #require(CanaryMapping.plan(for: try Self.spec(.object(canary), latency: latency)))
        #expect(plan.analysis.maxP95Milliseconds == expected)
        #expect(plan.steps == [5, 30, 100] && plan.stepSeconds == 600 && plan.analysis.minRequests == 100)
    }

    @Test func statusRoundTripsTheState() {
        let state = CanaryState(
            candidate: "cv1-abc", phase: .progressing, step: 1, stepStartedAt: 1_800_000_000, liveWeight: 30,
            trafficSince: 1_800_000_010, waitingSince: nil, healthySeconds: 42.5, lastEvaluatedAt: 1_800_000_050, accruing: true,
            reading: VersionReading(p95Milliseconds: 80, requests: 300, errors: 1, computeMsPerRequest: 4.5, clientErrors: 7),
            history: [CanaryStepRecord(weight: 5, startedAt: 1_799_999_000, endedAt: 1_800_000_000, outcome: .passed,
                                       reading: VersionReading(p95Milliseconds: 70, requests: 120, errors: 0))],
            staleCommand: .promote, costRatio: 1.5)
        let status = CanaryMapping.status(state, stable: VersionReading(p95Milliseconds: 60, requests: 900, errors: 0))
        #expect(status.step == 2 && status.weight == 30 && status.phase == "Progressing" && status.ignoredAction == "promote")
        #expect(status.stableSignals?.requests == 900)
        #expect(status.costRatio == 1.5 && status.candidateSignals?.computeMsPerRequest == 4.5 && status.candidateSignals?.clientErrors == 7)
        #expect(CanaryMapping.state(from: status) == state)
    }

    @Test(arguments: [
        CanaryStatus(candidate: "c", phase: "Sideways", step: 1, weight: 5, stepStartedAt: "2026-01-01T00:00:00Z",
                     lastEvaluatedAt: "2026-01-01T00:00:00Z"),
        CanaryStatus(candidate: "c", phase: "Progressing", step: 0, weight: 5, stepStartedAt: "2026-01-01T00:00:00Z",
                     lastEvaluatedAt: "2026-01-01T00:00:00Z"),
        CanaryStatus(candidate: "c", phase: "Progressing", step: 1, weight: 5, stepStartedAt: "yesterday",
                     lastEvaluatedAt: "2026-01-01T00:00:00Z"),
    ])
    func unreadableStatusStartsANewRunInsteadOfGuessing(status: CanaryStatus) {
        #expect(CanaryMapping.state(from: status) == nil)
    }

    @Test func theLayoutFollowsThePhase() throws {
        let spec = try Self.spec(["model": ["name": "m", "uri": "file:///models/m2.onnx"], "steps": [25, 50, 100]])
        let fingerprint = try #require(CanaryRenderer.candidateFingerprint(spec))
        func run(_ phase: CanaryPhase, step: Int, live: Int? = nil) -> CanaryState {
            var state = CanaryState.start(candidate: fingerprint, now: 0)
            state.phase = phase
            state.step = step
            state.liveWeight = live ?? [25, 50, 100][step]
            return state
        }
        // Before the first step takes effect, the stable version keeps all its replicas while the candidate's start.
        let before = try #require(CanaryLayout.make(spec: spec, run: nil, total: 4, promotionRolledOut: false))
        #expect(before.split == TrafficSplit(selection: .both, stableReplicas: 4, candidateReplicas: 1))
        #expect(before.stableSpec == spec)
        let first = try #require(CanaryLayout.make(spec: spec, run: run(.progressing, step: 0), total: 4, promotionRolledOut: false))
        #expect(first.split == TrafficSplit(selection: .both, stableReplicas: 3, candidateReplicas: 1))
        // Readying 50% while 25% is in effect: the stable version keeps its 3 until the candidate's 2 are ready.
        let readying = try #require(CanaryLayout.make(spec: spec, run: run(.progressing, step: 1, live: 25), total: 4, promotionRolledOut: false))
        #expect(readying.split == TrafficSplit(selection: .both, stableReplicas: 3, candidateReplicas: 2))
        // ... as far as replicas.max leaves room: both versions share it.
        var tight = spec
        tight.replicas.max = 4
        let capped = try #require(CanaryLayout.make(spec: tight, run: run(.progressing, step: 1, live: 25), total: 4, promotionRolledOut: false))
        #expect(capped.split == TrafficSplit(selection: .both, stableReplicas: 2, candidateReplicas: 2))
        let cappedBefore = try #require(CanaryLayout.make(spec: tight, run: nil, total: 4, promotionRolledOut: false))
        #expect(cappedBefore.split == TrafficSplit(selection: .both, stableReplicas: 3, candidateReplicas: 1))
        let half = try #require(CanaryLayout.make(spec: spec, run: run(.paused, step: 1), total: 4, promotionRolledOut: false))
        #expect(half.split == TrafficSplit(selection: .both, stableReplicas: 2, candidateReplicas: 2))
        let back = try #require(CanaryLayout.make(spec: spec, run: run(.rolledBack, step: 1), total: 4, promotionRolledOut: false))
        #expect(back.split == TrafficSplit(selection: .stableOnly, stableReplicas: 4, candidateReplicas: 0))
        let promoting = try #require(CanaryLayout.make(spec: spec, run: run(.promoted, step: 2), total: 4, promotionRolledOut: false))
        #expect(promoting.split == TrafficSplit(selection: .candidateOnly, stableReplicas: 4, candidateReplicas: 4))
        #expect(promoting.stableSpec.model.uri == "file:///models/m2.onnx", "the stable Deployment takes the candidate's model")
        let promoted = try #require(CanaryLayout.make(spec: spec, run: run(.promoted, step: 2), total: 4, promotionRolledOut: true))
        #expect(promoted.split == TrafficSplit(selection: .stableOnly, stableReplicas: 4, candidateReplicas: 0))
        // A run for another candidate is not this spec's: the layout starts over.
        var other = run(.rolledBack, step: 1)
        other.candidate = "cv1-other"
        #expect(try #require(CanaryLayout.make(spec: spec, run: other, total: 4, promotionRolledOut: false)).split == before.split)
    }

    /// With a Gateway: the route carries the weight in effect, the replicas cover each version's
    /// share (the stable one also the share it still carries until the step takes effect).
    @Test(arguments: [
        // (phase, step, live weight, promotion rolled out, route, stable, candidate)
        (nil as CanaryPhase?, 0, 0, false, HTTPRouteRenderer.Backends.split(candidateWeight: 0), 4, 2),
        (.progressing, 0, 30, false, .split(candidateWeight: 30), 3, 2),
        (.paused, 1, 30, false, .split(candidateWeight: 30), 3, 3),
        (.progressing, 2, 60, false, .split(candidateWeight: 60), 2, 4),
        (.progressing, 2, 100, false, .split(candidateWeight: 100), 1, 4),
        (.rolledBack, 1, 0, false, .split(candidateWeight: 0), 4, 0),
        (.aborted, 0, 0, false, .split(candidateWeight: 0), 4, 0),
        (.promoted, 2, 100, false, .split(candidateWeight: 100), 4, 4),
        (.promoted, 2, 100, true, .stableOnly, 4, 0),
    ] as [(CanaryPhase?, Int, Int, Bool, HTTPRouteRenderer.Backends, Int, Int)])
    func theGatewayLayoutFollowsTheWeightInEffect(phase: CanaryPhase?, step: Int, live: Int, rolledOut: Bool,
                                                  route: HTTPRouteRenderer.Backends, stable: Int, candidate: Int) throws {
        let spec = try Self.spec(["model": ["name": "m", "uri": "file:///models/m2.onnx"], "steps": [30, 60, 100]])
        let fingerprint = try #require(CanaryRenderer.candidateFingerprint(spec))
        let run = phase.map { phase -> CanaryState in
            var state = CanaryState.start(candidate: fingerprint, now: 0)
            state.phase = phase
            state.step = step
            state.liveWeight = live
            return state
        }
        let layout = try #require(CanaryLayout.make(spec: spec, run: run, total: 4, promotionRolledOut: rolledOut, gateway: true))
        #expect(layout.route == route)
        #expect(layout.split.stableReplicas == stable && layout.split.candidateReplicas == candidate, "\(layout.split)")
        let serviceMode = try #require(CanaryLayout.make(spec: spec, run: run, total: 4, promotionRolledOut: rolledOut))
        #expect(layout.split.selection == serviceMode.split.selection, "the predictor Service selects as without a Gateway")
    }

    @Test func onlyAGatewayRefOnAClusterThatServesRoutesIsRouted() throws {
        let plain = try Self.spec(["model": ["name": "m", "uri": "file:///models/m2.onnx"]])
        let withGateway = try Self.spec(["model": ["name": "m", "uri": "file:///models/m2.onnx"], "gatewayRef": ["name": "edge"]])
        #expect(CanaryLayout.routed(withGateway, httpRoutesServed: true))
        #expect(!CanaryLayout.routed(withGateway, httpRoutesServed: false))
        #expect(!CanaryLayout.routed(plain, httpRoutesServed: true))
    }

    @Test(arguments: [
        ("RolledBack", "step 1 (5%) failed: p95 612 ms over the bound 200 ms (140 requests)" as String?, ServingAPI.Condition.Status.true, "AnalysisFailed"),
        ("RolledBack", "the candidate did not carry step 1 (5%) within 10m (replicas not ready)", .true, "ProgressDeadlineExceeded"),
        ("Aborted", "aborted by command at step 2", .true, "Aborted"),
        ("Progressing", nil, .false, "Progressing"),
        ("Promoted", nil, .false, "Promoted"),
    ] as [(String, String?, ServingAPI.Condition.Status, String)])
    func theRolledBackConditionFollowsThePhase(phase: String, verdict: String?, status: ServingAPI.Condition.Status, reason: String) {
        let canary = CanaryStatus(candidate: "cv1-abc", phase: phase, step: 1, weight: 5, verdict: verdict)
        let condition = CanaryMapping.rolledBackCondition(canary, generation: 3, now: "2026-12-07T00:00:00Z")
        #expect(condition.type == "CanaryRolledBack" && condition.status == status && condition.reason == reason)
        #expect(condition.observedGeneration == 3)
        if let verdict { #expect(condition.message == verdict) }
    }

    @Test func queriesSelectOneVersionOfOneObject() {
        let queries = CanaryQueries(namespace: "ml", service: "demo-predictor", labels: ObjectLabels(namespace: "namespace", name: "service"),
                                    version: "canary", windowSeconds: 95.2)
        #expect(queries.p95 == #"histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{namespace="ml",service="demo-predictor",version="canary"}[1m])))"#)
        #expect(queries.requests == #"sum(increase(inference_request_duration_seconds_count{namespace="ml",service="demo-predictor",version="canary"}[96s]))"#)
        #expect(queries.errors.contains(#"outcome=~"error|not_ready""#) && queries.errors.hasSuffix("[96s]))"))
        #expect(queries.clientErrors == #"sum(increase(inference_request_duration_seconds_count{namespace="ml",service="demo-predictor",version="canary",outcome="client_error"}[96s]))"#)
        #expect(queries.computePerRequest == #"sum(rate(inference_compute_duration_seconds_sum{namespace="ml",service="demo-predictor",version="canary"}[1m])) / "#
                + #"sum(rate(inference_request_duration_seconds_count{namespace="ml",service="demo-predictor",version="canary",outcome="success"}[1m]))"#)
        let stable = CanaryQueries(namespace: "ml", service: "demo-predictor", labels: ObjectLabels(namespace: "namespace", name: "service"),
                                   version: "", windowSeconds: 3)
        #expect(stable.requests.contains(#"version="""#) && stable.requests.contains("[30s]"), "at least two scrapes: \(stable.requests)")
    }

    @Test(arguments: [
        (SignalValue.value(0.08), SignalValue.value(200), SignalValue.value(3), VersionReading(p95Milliseconds: 80, requests: 200, errors: 3)),
        (.noData, .missing, .missing, VersionReading(p95Milliseconds: nil, requests: 0, errors: 0)),
        (.value(0.08), .value(10), .value(12), VersionReading(p95Milliseconds: 80, requests: 10, errors: 10)),
    ])
    func readingsFromAnswers(p95: SignalValue, requests: SignalValue, errors: SignalValue, expected: VersionReading) {
        #expect(CanaryQueries.reading(p95: p95, requests: requests, errors: errors) == expected)
    }

    /// Compute per request is optional: unknown (no requests: 0/0 is NaN) leaves it out, never the reading.
    @Test(arguments: [
        (SignalValue.value(0.0045), 4.5 as Double?), (.value(.nan), nil), (.noData, nil), (.unavailable("down"), nil), (.value(0), nil),
    ])
    func computePerRequestIsOptional(compute: SignalValue, expected: Double?) throws {
        let reading = try #require(CanaryQueries.reading(p95: .value(0.08), requests: .value(200), errors: .value(0), computePerRequest: compute))
        #expect(reading.computeMsPerRequest == expected)
    }

    /// With a Gateway, the run's cost ratio moves replicas to the version that does more of the work.
    @Test func theGatewayLayoutSizesByTheMeasuredCostRatio() throws {
        let spec = try Self.spec(["model": ["name": "m", "uri": "file:///models/m2.onnx"], "steps": [30, 60, 100]])
        var state = CanaryState.start(candidate: try #require(CanaryRenderer.candidateFingerprint(spec)), now: 0)
        state.liveWeight = 30
        let even = try #require(CanaryLayout.make(spec: spec, run: state, total: 10, promotionRolledOut: false, gateway: true))
        #expect(even.split == TrafficSplit(selection: .both, stableReplicas: 7, candidateReplicas: 3))
        state.costRatio = 2
        let costly = try #require(CanaryLayout.make(spec: spec, run: state, total: 10, promotionRolledOut: false, gateway: true))
        #expect(costly.split == TrafficSplit(selection: .both, stableReplicas: 6, candidateReplicas: 5),
                "the candidate does 46% of the work (0.6 / 1.3), the stable version 54%: \(costly.split)")
        // Without a Gateway the replicas carry the share of requests: the ratio does not move them.
        let service = try #require(CanaryLayout.make(spec: spec, run: state, total: 10, promotionRolledOut: false))
        #expect(service.split == TrafficSplit(selection: .both, stableReplicas: 7, candidateReplicas: 3))
    }

    @Test(arguments: [
        (SignalValue.unavailable("down"), SignalValue.value(1), SignalValue.value(0)),
        (.value(0.1), .unavailable("timeout"), .value(0)),
        (.value(0.1), .value(1), .unavailable("error")),
    ])
    func anUnreadableAnswerMeansNoReading(p95: SignalValue, requests: SignalValue, errors: SignalValue) {
        #expect(CanaryQueries.reading(p95: p95, requests: requests, errors: errors) == nil)
    }

    @Test func candidateReadinessNeedsThisCandidatesReplicasObserved() {
        func deployment(candidate: String, generation: Int64, observed: Int64, ready: Int32, updated: Int32) -> Deployment {
            var d = Deployment(metadata: ObjectMeta(name: "demo-canary", namespace: "ml"))
            d.metadata.generation = generation
            d.spec = Deployment.Spec()
            d.spec?.template = PodTemplateSpec(metadata: ObjectMeta(annotations: [CanaryRenderer.candidateAnnotation: candidate]))
            d.status = Deployment.Status(observedGeneration: observed, replicas: ready, updatedReplicas: updated, readyReplicas: ready)
            return d
        }
        #expect(CanaryMapping.candidateReady(deployment(candidate: "a", generation: 2, observed: 2, ready: 2, updated: 2), candidate: "a", wanted: 2))
        #expect(!CanaryMapping.candidateReady(deployment(candidate: "b", generation: 2, observed: 2, ready: 2, updated: 2), candidate: "a", wanted: 2))
        #expect(!CanaryMapping.candidateReady(deployment(candidate: "a", generation: 3, observed: 2, ready: 2, updated: 2), candidate: "a", wanted: 2))
        #expect(!CanaryMapping.candidateReady(deployment(candidate: "a", generation: 2, observed: 2, ready: 2, updated: 1), candidate: "a", wanted: 2))
        #expect(!CanaryMapping.candidateReady(nil, candidate: "a", wanted: 1))
    }
}
