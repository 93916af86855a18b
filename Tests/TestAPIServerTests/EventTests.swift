import JSONValue
import Testing
@testable import TestAPIServer

@Suite struct EventTests {
    static let event: JSON = [
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "demo.1"],
        "eventTime": "2026-01-01T00:00:00.000000Z", "reason": "ScaledUp", "type": "Normal", "action": "Scale",
        "regarding": ["apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService", "name": "demo", "namespace": "default"],
        "note": "2 -> 4 replicas", "reportingController": "inference-operator", "reportingInstance": "op-1",
        "series": ["count": 3, "lastObservedTime": "2026-01-01T00:01:00.000000Z"],
    ]

    @Test func eventsOfBothGroupsShareOneStorageInTheirOwnShape() async throws {
        try await withServer { _, client in
            #expect(try await client.request("POST", "/apis/events.k8s.io/v1/namespaces/default/events", json: Self.event).status == 201)
            let core = try await client.request("GET", "/api/v1/namespaces/default/events/demo.1").object
            #expect(core["apiVersion"] == "v1")
            #expect(core[path: "involvedObject", "name"] == "demo")
            #expect(core["message"] == "2 -> 4 replicas")
            #expect(core["reportingComponent"] == "inference-operator")
            #expect(core[path: "series", "count"] == 3)
            #expect(core["regarding"] == nil && core["note"] == nil)
            let selected = try await client.request("GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Ddemo,involvedObject.kind%3DInferenceService").object
            #expect(selected["items"]?.arrayValue?.count == 1)
            let other = try await client.request("GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dother").object
            #expect(other["items"]?.arrayValue?.isEmpty == true)
            let viaEvents = try await client.request("GET", "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Ddemo").object
            #expect(viaEvents["items"]?[0]?["note"] == "2 -> 4 replicas")
            #expect(try await client.request("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=involvedObject.name%3Dx").status == 400,
                    "event fields are not selectable on other kinds")
        }
    }

    @Test func conversionRoundTrips() {
        let core = EventConversion.convert(Self.event, to: "v1")
        #expect(core["involvedObject"] != nil)
        #expect(EventConversion.convert(core, to: "events.k8s.io/v1").isEquivalent(to: Self.event))
    }
}
