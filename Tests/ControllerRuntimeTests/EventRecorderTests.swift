import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Logging
import TestSupport
import Testing
@testable import ControllerRuntime

@Suite struct EventRecorderTests {
    static func recorder(_ transport: ScriptedTransport, clock: ManualClock) -> EventRecorder {
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://api"), transport: transport)
        return EventRecorder(client: client, configuration: .init(reportingController: "serving.swiftinfer.io/operator", reportingInstance: "op-1"),
                             clock: TimeSource(clock), wallClock: { Date(timeIntervalSince1970: 1_800_000_000) }, logger: Logger(label: "t"))
    }

    static let regarding = ObjectReference(apiVersion: "serving.swiftinfer.io/v1alpha1", kind: "InferenceService", name: "m", namespace: "ml", uid: "u")

    @Test func identicalEventsAggregateIntoASeries() async throws {
        let transport = ScriptedTransport(json: #"{"metadata":{"name":"e"}}"#)
        let clock = ManualClock()
        let recorder = Self.recorder(transport, clock: clock)
        for _ in 0..<3 {
            await recorder.record(regarding: Self.regarding, type: .normal, reason: "ScaledUp", action: "Scale", note: "2 -> 4")
            clock.advance(by: .seconds(10))
        }
        let requests = transport.requests
        #expect(requests.map(\.method) == [.post, .patch, .patch])
        #expect(requests[0].path == "/apis/events.k8s.io/v1/namespaces/ml/events")
        let created = try JSON.parse(requests[0].body ?? [])
        #expect(created["reason"] == "ScaledUp")
        #expect(created["type"] == "Normal")
        #expect(created["action"] == "Scale")
        #expect(created["reportingController"] == "serving.swiftinfer.io/operator")
        #expect(created[path: "regarding", "name"] == "m")
        #expect(created["eventTime"]?.stringValue?.hasSuffix("Z") == true)
        let name = try #require(created[path: "metadata", "name"]?.stringValue)
        #expect(requests[1].path.hasSuffix("/events/\(name)"))
        #expect(try JSON.parse(requests[2].body ?? [])[path: "series", "count"] == 3)
        #expect(requests[2].headers["Content-Type"] == "application/merge-patch+json")
    }

    @Test func differentNotesAreSeparateEventsAndSeriesExpire() async throws {
        let transport = ScriptedTransport(json: #"{"metadata":{"name":"e"}}"#)
        let clock = ManualClock()
        let recorder = Self.recorder(transport, clock: clock)
        await recorder.record(regarding: Self.regarding, type: .normal, reason: "ScaledUp", action: "Scale", note: "2 -> 4")
        await recorder.record(regarding: Self.regarding, type: .normal, reason: "ScaledUp", action: "Scale", note: "4 -> 6")
        clock.advance(by: .seconds(400))  // beyond the 6 minute series window
        await recorder.record(regarding: Self.regarding, type: .normal, reason: "ScaledUp", action: "Scale", note: "2 -> 4")
        #expect(transport.requests.map(\.method) == [.post, .post, .post])
    }

    @Test func aFloodingObjectIsRateLimitedAndOthersAreNot() async throws {
        let transport = ScriptedTransport(json: #"{"metadata":{"name":"e"}}"#)
        let clock = ManualClock()
        let recorder = Self.recorder(transport, clock: clock)
        for i in 0..<30 {
            await recorder.record(regarding: Self.regarding, type: .warning, reason: "Flap", action: "Scale", note: "n\(i)")
        }
        #expect(transport.requests.count == 25)
        #expect(await recorder.dropped == 5)
        var other = Self.regarding
        other.name = "other"
        await recorder.record(regarding: other, type: .warning, reason: "Flap", action: "Scale", note: "x")
        #expect(transport.requests.count == 26)
        clock.advance(by: .seconds(300))  // one token refilled
        await recorder.record(regarding: Self.regarding, type: .warning, reason: "Flap", action: "Scale", note: "late")
        await recorder.record(regarding: Self.regarding, type: .warning, reason: "Flap", action: "Scale", note: "later")
        #expect(transport.requests.count == 27)
    }

    @Test func aSeriesWhoseEventVanishedStartsAgain() async throws {
        let transport = ScriptedTransport { request, _ in
            if request.method == .patch {
                return .response(HTTPResponse(status: 404, body: Array(#"{"kind":"Status","code":404,"reason":"NotFound","message":"gone"}"#.utf8)))
            }
            return .response(HTTPResponse(status: 201, body: Array(#"{"metadata":{"name":"e"}}"#.utf8)))
        }
        let clock = ManualClock()
        let recorder = Self.recorder(transport, clock: clock)
        await recorder.record(regarding: Self.regarding, type: .normal, reason: "R", action: "A", note: "n")
        await recorder.record(regarding: Self.regarding, type: .normal, reason: "R", action: "A", note: "n")
        #expect(transport.requests.map(\.method) == [.post, .patch, .post])
    }
}
