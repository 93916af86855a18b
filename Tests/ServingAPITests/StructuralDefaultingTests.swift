import JSONValue
import ServingAPI
import Testing

@Suite struct StructuralDefaultingTests {
    let schema: JSON = [
        "type": "object",
        "properties": [
            "a": ["type": "integer", "default": 1],
            "nested": [
                "type": "object", "default": [:],
                "properties": ["b": ["type": "string", "default": "x"], "c": ["type": "integer"]],
            ],
            "list": [
                "type": "array",
                "items": ["type": "object", "properties": ["d": ["type": "boolean", "default": true]]],
            ],
        ],
    ]

    @Test func absentAndNullFieldsGetDefaultsAndEmptyDefaultsGetTheirChildren() {
        let defaulted = StructuralDefaulting.apply(schema, to: ["a": nil, "list": [[:], ["d": false]]])
        #expect(defaulted == ["a": 1, "list": [["d": true], ["d": false]], "nested": ["b": "x"]])
    }

    @Test func presentValuesAreKept() {
        let value: JSON = ["a": 5, "nested": ["b": "y", "c": 3]]
        #expect(StructuralDefaulting.apply(schema, to: value) == value)
    }

    @Test func defaultingTwiceChangesNothing() {
        let once = StructuralDefaulting.applyInferenceServiceDefaults(to: minimalObject())
        #expect(StructuralDefaulting.applyInferenceServiceDefaults(to: once) == once)
        #expect(once[path: "spec", "autoscaling", "rules", "latency", "consecutiveIntervals"] == 3)
        #expect(once[path: "spec", "autoscaling", "rules", "gpu", "cap"] == nil)
        #expect(once["status"] == nil)
    }

    @Test(arguments: [
        ("500m", true), ("2", true), ("1.5", true), ("4Gi", true), ("128974848", true), ("129e6", true), ("+1", true),
        ("", false), ("two", false), ("4GB", false), ("1.2.3", false), ("-1", false), ("1e", false), ("Gi", false), ("1 Gi", false),
    ])
    func cpuQuantitiesAreChecked(text: String, valid: Bool) {
        var spec = minimalSpec()
        spec.resources.cpu = text
        #expect(InferenceServiceValidator.validate(spec).isEmpty == valid)
    }
}
