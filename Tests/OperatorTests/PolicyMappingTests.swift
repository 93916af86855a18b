import Autoscaling
import JSONValue
import Operator
import ServingAPI
import Testing

@Suite struct PolicyMappingTests {
    static func spec(_ patch: (inout InferenceServiceSpec) -> Void = { _ in }) throws -> InferenceServiceSpec {
        let document: JSON = ["model": ["name": "m", "uri": "file:///m.onnx"]]
        var spec = try document.decode(InferenceServiceSpec.self)
        patch(&spec)
        return spec
    }

    @Test func theDefaultSpecMapsToThePlainMatrixWithoutTheGPURuleOnCPU() throws {
        let policy = PolicyMapping.policy(for: try Self.spec(), followFallback: false)
        #expect(policy.minReplicas == 2 && policy.maxReplicas == 16)
        #expect(policy.evaluationIntervalSeconds == 15)
        #expect(policy.latency == Autoscaling.LatencyRule(thresholdMilliseconds: 200, consecutiveIntervals: 3, step: 2, cap: 16))
        #expect(policy.idle == Autoscaling.IdleRule(afterSeconds: 300))
        #expect(policy.gpuUtilization == nil)
        #expect(policy.requestRate == nil && policy.scaleDown == nil && policy.fallback == nil)
    }

    /// With a capacity and nothing else set, the object runs exactly the
    /// shipped default (the spec's defaults agree with the engine's).
    @Test func aCapacityAloneGivesTheShippedDefault() throws {
        let policy = PolicyMapping.policy(for: try Self.spec { $0.autoscaling.rules.requestRate.capacityPerReplicaRPS = 20 },
                                          followFallback: false)
        let shipped = ScalingPolicy.recommended(capacityPerReplicaRPS: 20)
        #expect(policy.requestRate == shipped.requestRate)
        #expect(policy.scaleDown == shipped.scaleDown)
        #expect(policy.burst == shipped.burst)
    }

    @Test func headroomAndTheAdaptiveWindowFollowTheSpec() throws {
        let tuned = PolicyMapping.policy(for: try Self.spec {
            $0.autoscaling.rules.requestRate.capacityPerReplicaRPS = 20
            $0.autoscaling.rules.requestRate.adaptiveHeadroom = AdaptiveHeadroomSpec(
                minUtilization: 0.5, maxUtilization: 0.7, lowerStep: 0.01, raiseHorizonSeconds: 3600, raiseSlowShare: 0.02)
            $0.autoscaling.scaleDown.minStabilizationWindowSeconds = 120
        }, followFallback: false)
        let adaptive = try #require(tuned.requestRate?.adaptive)
        #expect(adaptive.minUtilization == 0.5 && adaptive.maxUtilization == 0.7)
        #expect(adaptive.lowerStep == 0.01 && adaptive.raiseHorizonSeconds == 3600)
        #expect(adaptive.raiseSlowShare == 0.02)
        #expect(tuned.scaleDown?.minStabilizationWindowSeconds == 120)

        let fixed = PolicyMapping.policy(for: try Self.spec {
            $0.autoscaling.rules.requestRate.capacityPerReplicaRPS = 20
            $0.autoscaling.rules.requestRate.targetUtilization = 0.9
            $0.autoscaling.rules.requestRate.adaptiveHeadroom.enabled = false
        }, followFallback: false)
        #expect(fixed.requestRate?.adaptive == nil)
        // Without adaptation nothing clamps the utilisation: 0.9 is sized for at every reading.
        let observation = Observation(p95Latency: .value(0.05), gpuUtilization: .noData, requestRate: .value(180),
                                      currentReplicas: 2, readyReplicas: 2)
        #expect(decide(policy: fixed, state: ScalerState(), observation: observation, now: 0).targetReplicas == 10)
    }

    @Test func gpuObjectsGetTheGPURuleCappedByMax() throws {
        let policy = PolicyMapping.policy(for: try Self.spec { $0.resources.gpu = 1; $0.replicas.max = 10 }, followFallback: false)
        #expect(policy.gpuUtilization == GPUUtilizationRule(thresholdPercent: 85, step: 1, cap: 10))
        #expect(policy.latency?.cap == 10)
    }

    @Test func coldStartTolerantDefaultsFollowTheMatrix() throws {
        let policy = PolicyMapping.policy(for: try Self.spec { $0.resources.gpu = 1 }, followFallback: false)
        #expect(policy.latency?.whileReplicasStart == true)
        #expect(policy.gpuUtilization?.whileReplicasStart == false)
    }

    /// The flags reach the engine: with 2 of 4 replicas still starting, a
    /// rule fires only if its spec says it tolerates cold starts.
    @Test(arguments: [
        // (rule, coldStartTolerant, fires while 2 of 4 replicas start)
        ("latency", true, true), ("latency", false, false),
        ("gpu", true, true), ("gpu", false, false),
    ])
    func coldStartTolerantDecidesWhetherARuleFiresWhileReplicasStart(rule: String, tolerant: Bool, fires: Bool) throws {
        let spec = try Self.spec {
            $0.resources.gpu = 1
            $0.autoscaling.rules.latency.consecutiveIntervals = 1
            $0.autoscaling.rules.latency.enabled = rule == "latency"
            $0.autoscaling.rules.gpu.enabled = rule == "gpu"
            $0.autoscaling.rules.latency.coldStartTolerant = tolerant
            $0.autoscaling.rules.gpu.coldStartTolerant = tolerant
        }
        let policy = PolicyMapping.policy(for: spec, followFallback: false)
        let slow = Observation(p95Latency: .value(0.5), gpuUtilization: .value(95), requestRate: .value(10),
                               currentReplicas: 4, readyReplicas: 2)
        let decision = decide(policy: policy, state: ScalerState(), observation: slow, now: 0)
        #expect((decision.targetReplicas > 4) == fires, "\(decision.reason) \(decision.notes)")
        if !fires { #expect(decision.notes.contains { $0.contains("not ready yet") }, "\(decision.notes)") }
        // Once the replicas are ready, every variant fires.
        let ready = Observation(p95Latency: .value(0.5), gpuUtilization: .value(95), requestRate: .value(10),
                                currentReplicas: 4, readyReplicas: 4)
        #expect(decide(policy: policy, state: decision.state, observation: ready, now: 15).targetReplicas > 4)
    }

    @Test func capacityTurnsOnTheRecommendedImprovements() throws {
        let policy = PolicyMapping.policy(for: try Self.spec {
            $0.autoscaling.rules.requestRate = RequestRateRuleSpec(capacityPerReplicaRPS: 20, targetUtilization: 0.5)
            $0.autoscaling.scaleDown.stabilizationWindowSeconds = 120
        }, followFallback: false)
        #expect(policy.requestRate?.capacityPerReplicaRPS == 20)
        #expect(policy.requestRate?.targetUtilization == 0.5)
        #expect(policy.requestRate?.adaptive != nil)
        #expect(policy.scaleDown?.stabilizationWindowSeconds == 120)
        #expect(policy.maxReversalsPerHour == ScalingPolicy.recommended(capacityPerReplicaRPS: 20).maxReversalsPerHour)
    }

    @Test func burstRuleComesWithCapacityAndFollowsTheSpec() throws {
        let on = PolicyMapping.policy(for: try Self.spec {
            $0.autoscaling.rules.requestRate = RequestRateRuleSpec(capacityPerReplicaRPS: 20)
            $0.autoscaling.rules.burst = BurstRuleSpec(factor: 2.5, windowSeconds: 30, holdSeconds: 600)
        }, followFallback: false)
        #expect(on.burst == BurstRule(factor: 2.5, windowSeconds: 30, holdSeconds: 600))
        #expect(on.validationErrors().isEmpty)
        let defaults = PolicyMapping.policy(for: try Self.spec {
            $0.autoscaling.rules.requestRate = RequestRateRuleSpec(capacityPerReplicaRPS: 20)
        }, followFallback: false)
        #expect(defaults.burst == ScalingPolicy.recommended(capacityPerReplicaRPS: 20).burst)
        let off = PolicyMapping.policy(for: try Self.spec {
            $0.autoscaling.rules.requestRate = RequestRateRuleSpec(capacityPerReplicaRPS: 20)
            $0.autoscaling.rules.burst.enabled = false
        }, followFallback: false)
        #expect(off.burst == nil)
        let withoutCapacity = PolicyMapping.policy(for: try Self.spec(), followFallback: false)
        #expect(withoutCapacity.burst == nil, "the matrix alone has no burst rule")
    }

    @Test func fallbackNeedsBothTheSpecAndTheOperatorFlag() throws {
        let spec = try Self.spec { $0.autoscaling.onMetricsUnavailable = MetricsUnavailableSpec(policy: .fallback, fallbackReplicas: 5) }
        #expect(PolicyMapping.policy(for: spec, followFallback: false).fallback == nil)
        #expect(PolicyMapping.policy(for: spec, followFallback: true).fallback == FallbackRule(replicas: 5))
    }

    @Test func customQueriesBecomePerObjectOverridesWithPlaceholdersFilled() throws {
        let spec = try Self.spec { $0.autoscaling.queries.p95Latency = #"max(p95{ns="{{namespace}}",svc="{{name}}"})"# }
        let overrides = PolicyMapping.overrides(for: spec, namespace: "ml", name: "bert")
        #expect(overrides.p95Latency == #"max(p95{ns="ml",svc="bert"})"#)
        #expect(overrides.requestRate == nil && overrides.gpuUtilization == nil)
    }

    /// Objects stored with an earlier release's default keep the batched default query.
    @Test func aFormerDefaultQueryIsStillTheDefault() throws {
        for former in Defaults.formerRequestRateQueries {
            let spec = try Self.spec { $0.autoscaling.queries.requestRate = former }
            #expect(PolicyMapping.overrides(for: spec, namespace: "ml", name: "bert").requestRate == nil)
        }
        #expect(!Defaults.requestRateQuery.contains("inference_requests_total"), "the server exports no such counter")
    }

    @Test(arguments: [
        (#"{"a":1,"b":{"c":[1,2]}}"#, #"{"b":{"c":[1,2]}}"#, true),
        (#"{"a":1,"b":{"c":[1,2],"d":"server default"}}"#, #"{"b":{"c":[1,2]}}"#, true),
        (#"{"b":{"c":[1]}}"#, #"{"b":{"c":[1,2]}}"#, false),
        (#"{"b":{"c":[{"name":"x","image":"i","extra":1}]}}"#, #"{"b":{"c":[{"name":"x","image":"i"}]}}"#, true),
        (#"{"b":{"c":[{"name":"x","image":"old"}]}}"#, #"{"b":{"c":[{"name":"x","image":"new"}]}}"#, false),
        (#"{"replicas":2.0}"#, #"{"replicas":2}"#, true),
        (#"{}"#, #"{"labels":{}}"#, false),
    ])
    func liveObjectsSatisfyDesiredOnlyWhenTheyCarryEveryDesiredField(live: String, desired: String, expected: Bool) throws {
        #expect(liveObjectSatisfies(try JSON.parse(live), desired: try JSON.parse(desired)) == expected)
    }
}
