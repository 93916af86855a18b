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

    @Test func statusRoundTripsThroughJSON() throws {
        let status = try #require(fullyPopulatedService().status)
        #expect(try JSON(encoding: status).decode(InferenceServiceStatus.self) == status)
    }
}
