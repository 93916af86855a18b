import JSONValue
import ServingAPI
import Testing

@Suite struct StatusTests {
    @Test func recentDecisionsKeepOnlyTheNewestTen() {
        var status = InferenceServiceStatus()
        for i in 0..<15 {
            status.record(ScalingDecisionRecord(time: "t\(i)", from: i, to: i + 1, rule: "latency", reason: "p95 high"))
        }
        #expect(status.recentDecisions?.count == Defaults.maxRecentDecisions)
        #expect(status.recentDecisions?.first?.time == "t5")
        #expect(status.recentDecisions?.last?.time == "t14")
    }

    @Test func settingAConditionKeepsTransitionTimeUnlessStatusChanges() {
        var status = InferenceServiceStatus()
        status.setCondition(Condition(type: "Ready", status: .false, lastTransitionTime: "t1", reason: "Starting", message: "0/2 ready"))
        status.setCondition(Condition(type: "Ready", status: .false, lastTransitionTime: "t2", reason: "Starting", message: "1/2 ready"))
        #expect(status.condition(.ready)?.lastTransitionTime == "t1")
        #expect(status.condition(.ready)?.message == "1/2 ready")
        status.setCondition(Condition(type: "Ready", status: .true, lastTransitionTime: "t3", reason: "Ready", message: "2/2 ready"))
        #expect(status.condition(.ready)?.lastTransitionTime == "t3")
        status.setCondition(Condition(type: "WarmupComplete", status: .true, lastTransitionTime: "t4", reason: "Warmed", message: ""))
        #expect(status.conditions?.map(\.type) == ["Ready", "WarmupComplete"])
    }

    @Test func emptyStatusEncodesAsAnEmptyObject() throws {
        #expect(try JSON(encoding: InferenceServiceStatus()) == .object([:]))
    }

    /// What `kubectl get infsvc` prints in its P95 and GPU columns is the
    /// stored number: readings are kept to 0.1 ms, 0.1% and 0.001/s.
    @Test func readingsAreStoredToReadablePrecision() throws {
        let observed = ObservedSignals.reading(p95LatencyMs: 58.124999999999986, gpuUtilizationPercent: 87.04999,
                                               requestsPerSecond: 18.78812345, time: "t")
        #expect(observed.p95LatencyMs == 58.1 && observed.gpuUtilizationPercent == 87 && observed.requestsPerSecond == 18.788)
        let text = try JSON(encoding: observed).serialized()
        #expect(text == #"{"p95LatencyMs":58.1,"gpuUtilizationPercent":87.0,"requestsPerSecond":18.788,"time":"t"}"#, "\(text)")
        // Absent stays absent; values far below a step stay distinct from zero only above half a step.
        let sparse = ObservedSignals.reading(p95LatencyMs: nil, gpuUtilizationPercent: 0.04, requestsPerSecond: 0.0006, time: nil)
        #expect(sparse.p95LatencyMs == nil && sparse.gpuUtilizationPercent == 0 && sparse.requestsPerSecond == 0.001)
        // Jitter below the step is no change, so it causes no status write.
        #expect(ObservedSignals.reading(p95LatencyMs: 120.01, gpuUtilizationPercent: nil, requestsPerSecond: 5.0001, time: "t")
                == ObservedSignals.reading(p95LatencyMs: 119.99, gpuUtilizationPercent: nil, requestsPerSecond: 5.0004, time: "t"))
    }

    @Test func statusRoundTripsThroughJSON() throws {
        let status = try #require(fullyPopulatedService().status)
        #expect(try JSON(encoding: status).decode(InferenceServiceStatus.self) == status)
    }
}
