import JSONValue
import Testing
@testable import TestAPIServer

@Suite struct TableTests {
    static let tableAccept = ("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")

    @Test(arguments: [(5.0, "5s"), (119, "119s"), (200, "3m20s"), (240, "4m"), (47 * 60, "47m"), (5 * 3600 + 600, "5h10m"),
                      (30 * 3600, "30h"), (3 * 86_400 + 4 * 3600, "3d4h"), (20 * 86_400, "20d"), (800 * 86_400, "2y"), (-3, "0s")] as [(Double, String)])
    func agesReadLikeKubectl(seconds: Double, expected: String) {
        #expect(TableView.humanDuration(seconds) == expected)
    }

    @Test func timestampsParseBackToUnixSeconds() {
        for seconds in [0.0, 951_782_400, 1_714_564_800, 4_102_444_799] {
            #expect(TableView.parse(Timestamp.rfc3339(unixSeconds: seconds)) == seconds)
        }
        #expect(TableView.parse("yesterday") == nil)
    }

    static let object: JSON = ["spec": ["replicas": 3, "ports": [80, 443]],
                               "status": ["conditions": [["type": "Available", "status": "False"], ["type": "Ready", "status": "True"]]]]

    @Test(arguments: [(".spec.replicas", 3 as JSON), (".spec.ports[1]", 443 as JSON), (#".status.conditions[?(@.type=="Ready")].status"#, "True" as JSON),
                      (".status.missing", nil as JSON?), (".spec.ports[9]", nil as JSON?), ("{.spec.replicas}", 3 as JSON)] as [(String, JSON?)])
    func printerColumnPathsEvaluate(path: String, expected: JSON?) {
        #expect(JSONPath.evaluate(path, Self.object) == expected)
    }

    @Test func tableAnswersUseTheCRDsPrinterColumns() async throws {
        try await withServer({ $0.cluster.now = { 1_000_000 } }) { _, client in
            var crd = Fixtures.crd
            var versions = crd[path: "spec", "versions"]?.arrayValue ?? []
            versions[0]["additionalPrinterColumns"] = [["name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"],
                                                       ["name": "Mode", "type": "string", "jsonPath": ".spec.mode", "priority": 1]]
            crd["spec"]?["versions"] = .array(versions)
            #expect(try await client.request("POST", Fixtures.crds, json: crd).status == 201)
            _ = try await client.request("POST", Fixtures.inferenceServices, json: Fixtures.inferenceService("a"))
            let table = try await client.request("GET", Fixtures.inferenceServices, headers: [Self.tableAccept]).object
            #expect(table["kind"] == "Table")
            #expect(table["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Name", "Replicas", "Mode"])
            #expect(table["rows"]?[0]?["cells"] == ["a", 2, "Active"])
            #expect(table[path: "rows"]?[0]?[path: "object", "kind"] == "PartialObjectMetadata")
            let plain = try await client.request("GET", Fixtures.inferenceServices).object
            #expect(plain["kind"] == "InferenceServiceList", "without the Table Accept the list is plain JSON")
        }
    }

    @Test func builtInTablesShowNameAndAgeAndDeploymentsShowReadiness() async throws {
        try await withServer({ $0.cluster.now = { 1_000_000 } }) { _, client in
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("c"))
            _ = try await client.request("POST", Fixtures.deployments, json: Fixtures.deployment("web", replicas: 3))
            let configMap = try await client.request("GET", Fixtures.configMaps + "/c", headers: [Self.tableAccept]).object
            #expect(configMap["rows"]?[0]?["cells"] == ["c", "0s"])
            let deployments = try await client.request("GET", Fixtures.deployments, headers: [Self.tableAccept]).object
            #expect(deployments["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Name", "Ready", "Up-to-date", "Available", "Age"])
            #expect(deployments["rows"]?[0]?["cells"] == ["web", "0/3", 0, 0, "0s"])
        }
    }
}
