import JSONValue
import Testing
@testable import TestAPIServer

/// The pure pieces under the HTTP layer, table-driven.
@Suite struct PureSemanticsTests {
    @Test(arguments: [(0.0, "1970-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"), (1_714_564_800.9, "2024-05-01T12:00:00Z"),
                      (4_102_444_799, "2099-12-31T23:59:59Z"), (-1, "1969-12-31T23:59:59Z")])
    func timestampsAreRFC3339UTC(seconds: Double, expected: String) {
        #expect(Timestamp.rfc3339(unixSeconds: seconds) == expected)
    }

    @Test func fieldsV1RoundTripsLeafPaths() {
        let object: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a", "uid": "u", "labels": ["app": "x"]],
                            "data": ["k": "v", "empty": [:]], "list": [1, 2]]
        let leaves = FieldOwnership.leaves(object)
        #expect(leaves == [["metadata", "labels", "app"], ["data", "k"], ["data", "empty"], ["list"]])
        let encoded = FieldOwnership.fieldsV1(leaves)
        #expect(encoded[path: "f:metadata", "f:labels", "f:app"] == [:])
        #expect(FieldOwnership.paths(fromFieldsV1: encoded) == leaves)
    }

    @Test func updateMovesChangedFieldsToTheUpdater() {
        var first: JSON = ["metadata": ["name": "a"], "spec": ["replicas": 1, "image": "x"]]
        FieldOwnership.recordUpdate(old: nil, new: &first, manager: "creator", apiVersion: "v1", subresource: nil, time: "t")
        var second = first
        second["spec"]?["replicas"] = 3
        FieldOwnership.recordUpdate(old: first, new: &second, manager: "scaler", apiVersion: "v1", subresource: nil, time: "t")
        let entries = FieldOwnership.entries(of: second)
        #expect(entries.first { $0.manager == "creator" }?.fields == [["spec", "image"]])
        #expect(entries.first { $0.manager == "scaler" }?.fields == [["spec", "replicas"]])
    }

    @Test(arguments: [
        (["replicas": 1] as JSON, false, false),   // same value: shared, no conflict
        (["replicas": 4] as JSON, false, true),    // different value: conflict
        (["replicas": 4] as JSON, true, false),    // forced
        (["image": "y"] as JSON, false, false),    // other field
    ])
    func applyConflictsOnlyOnDifferentValuesOfOthersFields(spec: JSON, force: Bool, conflicts: Bool) {
        var current: JSON = ["apiVersion": "v1", "kind": "X", "metadata": ["name": "a"], "spec": ["replicas": 1]]
        FieldOwnership.recordUpdate(old: nil, new: &current, manager: "other", apiVersion: "v1", subresource: nil, time: "t")
        let config: JSON = ["apiVersion": "v1", "kind": "X", "metadata": ["name": "a"], "spec": spec]
        switch FieldOwnership.apply(config: config, to: current, manager: "me", apiVersion: "v1", subresource: nil, force: force, time: "t") {
        case .failure(let found):
            #expect(conflicts)
            #expect(found.map(\.field) == [".spec.replicas"])
        case .success(let merged):
            #expect(!conflicts)
            for (k, v) in spec.objectValue ?? [:] { #expect(merged[path: "spec", k] == v) }
        }
    }

    @Test func pruningFollowsPropertiesAdditionalPropertiesAndPreserveUnknown() {
        let schema: JSON = ["type": "object", "properties": [
            "spec": ["type": "object", "properties": [
                "items": ["type": "array", "items": ["type": "object", "properties": ["name": ["type": "string"]]]],
                "free": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                "map": ["type": "object", "additionalProperties": ["type": "integer"]],
                "opt": ["type": "string"],
            ]]]]
        var value: JSON = ["apiVersion": "x/v1", "kind": "K", "metadata": ["name": "n"],
                           "spec": ["items": [["name": "a", "junk": 1]], "free": ["anything": ["goes": true]], "map": ["a": 1],
                                    "opt": nil, "extra": 1]]
        let removed = StructuralSchema.prune(&value, schema: schema)
        #expect(removed.sorted() == ["spec.extra", "spec.items[0].junk"])
        #expect(value["spec"] == ["items": [["name": "a"]], "free": ["anything": ["goes": true]], "map": ["a": 1]])
        #expect(value[path: "metadata", "name"] == "n", "metadata is never pruned")
    }

    @Test(arguments: [
        (["type": "integer", "minimum": 1, "exclusiveMinimum": true] as JSON, 1 as JSON, "should be greater than 1"),
        (["type": "string", "maxLength": 2] as JSON, "abc" as JSON, "Too long"),
        (["type": "array", "maxItems": 1] as JSON, [1, 2] as JSON, "Too many"),
        (["type": "array", "minItems": 2] as JSON, [1] as JSON, "should have at least 2 items"),
        (["x-kubernetes-int-or-string": true] as JSON, true as JSON, "must be of type integer,string"),
        (["type": "number"] as JSON, nil as JSON, "must be of type number"),
        (["type": "string", "pattern": "^[a-z]+$"] as JSON, "Abc" as JSON, "should match '^[a-z]+$'"),
    ])
    func validationReportsEachRule(field: JSON, value: JSON, message: String) {
        let schema: JSON = ["type": "object", "properties": ["spec": ["type": "object", "properties": ["f": field]]]]
        let causes = StructuralSchema.validate(["spec": ["f": value]], schema: schema)
        #expect(causes.count == 1)
        #expect(causes.first?.field == "spec.f")
        #expect(causes.first?.description.contains(message) == true, "\(causes)")
    }

    @Test(arguments: [(["type": "number"] as JSON, 3 as JSON), (["x-kubernetes-int-or-string": true] as JSON, "50%" as JSON),
                      (["type": "string", "nullable": true] as JSON, nil as JSON), (["type": "integer", "enum": [1, 2]] as JSON, 2 as JSON),
                      (["type": "string", "pattern": "^[a-z]+$"] as JSON, "abc" as JSON)])
    func validationAcceptsValidValues(field: JSON, value: JSON) {
        let schema: JSON = ["type": "object", "properties": ["spec": ["type": "object", "properties": ["f": field]]]]
        #expect(StructuralSchema.validate(["spec": ["f": value]], schema: schema).isEmpty)
    }

    @Test func strategicMergeHonoursReplaceDirectiveAndServicePortKeys() {
        let service: JSON = ["spec": ["ports": [["port": 80, "name": "http"], ["port": 443, "name": "https"]], "selector": ["a": "b", "c": "d"]]]
        let patched = Patches.strategicMergePatch(service, ["spec": ["ports": [["port": 443, "name": "tls"]], "selector": ["$patch": "replace", "x": "y"]]])
        #expect(patched[path: "spec", "ports"] == [["port": 80, "name": "http"], ["port": 443, "name": "tls"]])
        #expect(patched[path: "spec", "selector"] == ["x": "y"])
        let unkeyed = Patches.strategicMergePatch(["spec": ["args": ["a", "b"]]], ["spec": ["args": ["c"]]])
        #expect(unkeyed[path: "spec", "args"] == ["c"], "lists without a merge key are replaced")
        let finalizers: JSON = ["metadata": ["finalizers": ["a", "b"]]]
        #expect(Patches.strategicMergePatch(finalizers, ["metadata": ["finalizers": ["c", "a"]]])[path: "metadata", "finalizers"] == ["a", "b", "c"])
        #expect(Patches.strategicMergePatch(finalizers, ["metadata": ["$deleteFromPrimitiveList/finalizers": ["a"]]])[path: "metadata", "finalizers"] == ["b"])
        let ordered = Patches.strategicMergePatch(["spec": ["containers": [["name": "a"]]]],
                                                  ["spec": ["$setElementOrder/containers": [["name": "a"]], "containers": [["name": "a", "image": "x"]]]])
        #expect(ordered[path: "spec", "containers"] == [["name": "a", "image": "x"]])
    }

    @Test func protobufAccessReviewDecodesResourceAttributes() throws {
        func field(_ number: UInt8, _ payload: [UInt8]) -> [UInt8] { [number << 3 | 2, UInt8(payload.count)] + payload }
        func text(_ number: UInt8, _ s: String) -> [UInt8] { field(number, Array(s.utf8)) }
        let attributes = text(1, "default") + text(2, "list") + text(5, "configmaps")
        let review = field(2, field(1, attributes))
        let typeMeta = text(1, "authorization.k8s.io/v1") + text(2, "SelfSubjectAccessReview")
        let bytes = ProtobufBodies.magic + field(1, typeMeta) + field(2, review)
        let decoded = try ProtobufBodies.decode(bytes, kind: "SelfSubjectAccessReview")
        #expect(decoded["kind"] == "SelfSubjectAccessReview")
        #expect(decoded[path: "spec", "resourceAttributes", "verb"] == "list")
        #expect(decoded[path: "spec", "resourceAttributes", "resource"] == "configmaps")
        #expect(decoded[path: "spec", "resourceAttributes", "namespace"] == "default")
        #expect(throws: APIError.self) { try ProtobufBodies.decode(Array("{}".utf8), kind: "SelfSubjectAccessReview") }
        #expect(throws: APIError.self) { try ProtobufBodies.decode(ProtobufBodies.magic + [0x0A, 0x7F, 0x01], kind: "SelfSubjectAccessReview") }
    }

    @Test(arguments: [("v1", "v1beta1", true), ("v2", "v1", true), ("v1beta2", "v1beta1", true), ("v1alpha1", "v1beta1", false)])
    func discoveryPrefersStableVersions(a: String, b: String, aFirst: Bool) {
        #expect((Discovery.versionPriority(a) > Discovery.versionPriority(b)) == aFirst)
    }
}
