import Foundation
import JSONValue
import Testing
import TestAPIServer
import YAML

/// The checks a real API server makes when a CRD is written, and the CEL
/// rules it then runs on custom resources, through HTTP as clients meet them.
@Suite struct CRDValidationTests {
    static let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    static let widgets = "/apis/example.test/v1/namespaces/default/widgets"

    /// A small CRD whose `spec.r` has `default: {}` and the rule `rule`.
    static func widgetCRD(rule: String, extraRule: JSON? = nil, rProperties: JSON? = nil) -> JSON {
        var rules: [JSON] = [["rule": .string(rule), "message": "min must not exceed max"]]
        if let extraRule { rules.append(extraRule) }
        let r: JSON = ["type": "object", "default": [:],
                       "properties": rProperties ?? ["min": ["type": "integer", "default": 2], "max": ["type": "integer", "default": 16]],
                       "x-kubernetes-validations": .array(rules)]
        return ["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "widgets.example.test"],
                "spec": ["group": "example.test", "scope": "Namespaced",
                         "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"],
                         "versions": [["name": "v1", "served": true, "storage": true,
                                       "schema": ["openAPIV3Schema": ["type": "object", "properties": [
                                           "spec": ["type": "object", "properties": ["r": r]]]]]]]]]
    }

    static let checkedInCRD: JSON = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = (try? String(contentsOf: root.appendingPathComponent("CRDs/serving.swiftinfer.io_inferenceservices.yaml"), encoding: .utf8)) ?? ""
        return (try? YAML.parse(text)) ?? .null
    }()

    // MARK: defaults against their node's rules

    @Test func aDefaultThatFailsItsNodesRuleRawRejectsTheCRDWithTheServersMessage() async throws {
        try await withServer { _, client in
            let response = try await client.request("POST", Self.crds, json: Self.widgetCRD(rule: "self.min <= self.max"))
            #expect(response.status == 422)
            #expect(response.object["reason"] == "Invalid")
            let cause = response.object[path: "details", "causes"]?[0]
            #expect(cause?["field"] == "spec.validation.openAPIV3Schema.properties[spec].properties[r].default")
            #expect(cause?["reason"] == "FieldValueInvalid")
            #expect(cause?["message"] == "Invalid value: \"object\": no such key: min evaluating rule: min must not exceed max")
            #expect(response.object["message"] == """
                CustomResourceDefinition.apiextensions.k8s.io "widgets.example.test" is invalid: \
                spec.validation.openAPIV3Schema.properties[spec].properties[r].default: Invalid value: "object": \
                no such key: min evaluating rule: min must not exceed max
                """)
            #expect(try await client.request("GET", Self.crds + "/widgets.example.test").status == 404, "nothing was stored")
        }
    }

    @Test func theGuardedRuleInstallsAndStillRejectsWhatItShouldOnDefaultedObjects() async throws {
        try await withServer { _, client in
            let crd = Self.widgetCRD(rule: "!has(self.min) || !has(self.max) || self.min <= self.max")
            #expect(try await client.request("POST", Self.crds, json: crd).status == 201)
            let ok = try await client.request("POST", Self.widgets, json: ["metadata": ["name": "a"], "spec": [:]])
            #expect(ok.status == 201)
            #expect(ok.object[path: "spec", "r"] == ["min": 2, "max": 16], "defaults applied top-down before the rule")
            let bad = try await client.request("POST", Self.widgets, json: ["metadata": ["name": "b"], "spec": ["r": ["min": 20]]])
            #expect(bad.status == 422, "min 20 with the defaulted max 16: \(bad.object)")
            #expect(bad.object[path: "details", "causes"]?[0]?["field"] == "spec.r")
            #expect(bad.object[path: "details", "causes"]?[0]?["message"] == "Invalid value: min must not exceed max")
        }
    }

    /// `kubectl apply -f CRDs/` before `helm upgrade` updates the CRD: the same checks apply.
    @Test func anUpdateThatBreaksADefaultIsRefusedAndTheStoredCRDKept() async throws {
        try await withServer { _, client in
            let guarded = "!has(self.min) || !has(self.max) || self.min <= self.max"
            #expect(try await client.request("POST", Self.crds, json: Self.widgetCRD(rule: guarded)).status == 201)
            var update = Self.widgetCRD(rule: "self.min <= self.max")
            update["metadata"]?["resourceVersion"] = try await client.request("GET", Self.crds + "/widgets.example.test").object["metadata"]?["resourceVersion"]
            let response = try await client.request("PUT", Self.crds + "/widgets.example.test", json: update)
            #expect(response.status == 422)
            #expect(response.object[path: "details", "causes"]?[0]?["field"] == "spec.validation.openAPIV3Schema.properties[spec].properties[r].default")
            let stored = try await client.request("GET", Self.crds + "/widgets.example.test").object
            let rule = stored[path: "spec", "versions"]?[0]?[path: "schema", "openAPIV3Schema", "properties", "spec", "properties", "r",
                                                            "x-kubernetes-validations"]?[0]?["rule"]
            #expect(rule == .string(guarded))
        }
    }

    @Test func rulesAreCompiledAgainstTheSchema() async throws {
        try await withServer { _, client in
            let unknownField = try await client.request("POST", Self.crds, json: Self.widgetCRD(
                rule: "!has(self.min) || self.min <= self.maximum"))
            #expect(unknownField.status == 422)
            let cause = unknownField.object[path: "details", "causes"]?[0]
            #expect(cause?["field"] == "spec.validation.openAPIV3Schema.properties[spec].properties[r].x-kubernetes-validations[0].rule")
            #expect(cause?["message"]?.stringValue?.contains("compilation failed: ERROR: <input>:1:35: undefined field 'maximum'") == true,
                    "\(cause ?? .null)")
            let notBool = try await client.request("POST", Self.crds, json: Self.widgetCRD(rule: "has(self.min) ? 1 : 2"))
            #expect(notBool.status == 422)
            #expect(notBool.object[path: "details", "causes"]?[0]?["message"]?.stringValue?.hasSuffix("cel expression must evaluate to a bool") == true)
        }
    }

    @Test func constructsOutsideTheSupportedSubsetAreRejectedByName() async throws {
        try await withServer { _, client in
            let response = try await client.request("POST", Self.crds, json: Self.widgetCRD(rule: "self.min == oldSelf.min"))
            #expect(response.status == 422)
            let message = response.object[path: "details", "causes"]?[0]?["message"]?.stringValue ?? ""
            #expect(message.contains("oldSelf"), "the rejection names the construct: \(message)")
        }
    }

    @Test(arguments: [
        (["rule": "self.min <= self.max", "message": "m", "reason": "FieldValueWrong"] as JSON, "x-kubernetes-validations[1].reason"),
        (["rule": "self.min <= self.max", "message": "m", "fieldPath": ".nope"] as JSON, "x-kubernetes-validations[1].fieldPath"),
        (["rule": " ", "message": "m"] as JSON, "x-kubernetes-validations[1].rule"),
        (["rule": "true", "message": "two\nlines"] as JSON, "x-kubernetes-validations[1].message"),
    ])
    func aRulesOwnFieldsAreChecked(rule: JSON, field: String) async throws {
        try await withServer { _, client in
            let crd = Self.widgetCRD(rule: "!has(self.min) || !has(self.max) || self.min <= self.max", extraRule: rule)
            let response = try await client.request("POST", Self.crds, json: crd)
            #expect(response.status == 422)
            let fields = response.object[path: "details", "causes"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
            #expect(fields == ["spec.validation.openAPIV3Schema.properties[spec].properties[r].\(field)"], "\(response.object)")
        }
    }

    @Test func defaultsMustBePrunedAndValidAgainstTheirNode() async throws {
        try await withServer { _, client in
            var crd = Self.widgetCRD(rule: "!has(self.min) || !has(self.max) || self.min <= self.max")
            crd = RealServerConformanceTests.with(crd, ["spec", "versions"], [
                RealServerConformanceTests.with(crd[path: "spec", "versions"]?[0] ?? [:],
                                                ["schema", "openAPIV3Schema", "properties", "spec", "properties", "r", "default"],
                                                ["min": "two", "colour": "red"])])
            let response = try await client.request("POST", Self.crds, json: crd)
            #expect(response.status == 422)
            let messages = response.object[path: "details", "causes"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(messages.contains { $0.hasSuffix("must not have unknown fields") }, "\(messages)")
        }
    }

    // MARK: our own CRD

    @Test func ourCRDInstallsAndEveryRuleRejectsOverHTTP() async throws {
        try await withServer { _, client in
            try #require(Self.checkedInCRD != .null, "CRDs/serving.swiftinfer.io_inferenceservices.yaml could not be read")
            let created = try await client.request("POST", Self.crds + "?fieldValidation=Strict", json: Self.checkedInCRD)
            #expect(created.status == 201, "\(created.object)")
            let services = "/apis/serving.swiftinfer.io/v1alpha1/namespaces/default/inferenceservices"
            func service(_ name: String, _ spec: JSON) -> JSON {
                var full: JSONObject = ["model": ["name": "m", "uri": "pvc://models/m.onnx"]]
                for (k, v) in spec.objectValue ?? [:] { full[k] = v }
                return ["apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
                        "metadata": ["name": .string(name)], "spec": .object(full)]
            }
            #expect(try await client.request("POST", services, json: service("ok", [:])).status == 201)
            let cases: [(String, JSON, String)] = [
                ("minmax", ["replicas": ["min": 5, "max": 3]], "spec.replicas.min"),
                ("idle", ["autoscaling": ["intervalSeconds": 600, "rules": ["idle": ["afterSeconds": 300]]]], "spec.autoscaling.rules.idle.afterSeconds"),
                ("fallback", ["autoscaling": ["onMetricsUnavailable": ["policy": "Fallback"]]], "spec.autoscaling.onMetricsUnavailable.fallbackReplicas"),
                ("gpucap", ["replicas": ["max": 4], "autoscaling": ["rules": ["gpu": ["cap": 8]]]], "spec.autoscaling.rules.gpu.cap"),
                ("x-this-name-is-far-too-long-for-a-predictor-service-name", [:], "<nil>"),
            ]
            for (name, spec, field) in cases {
                let response = try await client.request("POST", services, json: service(name, spec))
                #expect(response.status == 422, "\(name): \(response.object)")
                #expect(response.object["reason"] == "Invalid")
                let fields = response.object[path: "details", "causes"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
                #expect(fields == [field], "\(name): \(response.object)")
            }
        }
    }

    // MARK: versions

    @Test func ourCRDInstallsAtTheSupportedFloor() async throws {
        try await withServer({ $0.cluster.kubernetesVersion = KubernetesVersion(1, 28) }) { _, client in
            let created = try await client.request("POST", Self.crds + "?fieldValidation=Strict", json: Self.checkedInCRD)
            #expect(created.status == 201, "\(created.object)")
            #expect(try await client.request("GET", "/version").object["minor"] == "28")
        }
    }

    @Test func fieldsNewerThanTheServerAreUnknownThere() async throws {
        try await withServer({ $0.cluster.kubernetesVersion = KubernetesVersion(1, 27) }) { _, client in
            let strict = try await client.request("POST", Self.crds + "?fieldValidation=Strict", json: Self.checkedInCRD)
            #expect(strict.status == 400)
            let message = strict.object["message"]?.stringValue ?? ""
            #expect(message.hasPrefix("CustomResourceDefinition in version \"v1\" cannot be handled as a CustomResourceDefinition: strict decoding error: unknown field \""))
            #expect(message.contains(".x-kubernetes-validations[0].reason\""), "\(message)")
            // Without Strict (Warn, 1.27's default) the fields are dropped and the CRD is stored.
            let lenient = try await client.request("POST", Self.crds, json: Self.checkedInCRD)
            #expect(lenient.status == 201)
            #expect(lenient.header("Warning")?.contains("unknown field") == true)
            let stored = try await client.request("GET", Self.crds + "/inferenceservices.serving.swiftinfer.io").object
            #expect(!stored.serialized().contains("\"fieldPath\""), "1.27 does not keep fieldPath")
        }
    }

    @Test func unknownFieldsInACRDAreA400UnderStrict() async throws {
        try await withServer { _, client in
            var crd = Self.widgetCRD(rule: "!has(self.min) || !has(self.max) || self.min <= self.max")
            crd = RealServerConformanceTests.with(crd, ["spec", "colour"], "red")
            let strict = try await client.request("POST", Self.crds + "?fieldValidation=Strict", json: crd)
            #expect(strict.status == 400)
            #expect(strict.object["message"]?.stringValue?.hasSuffix("strict decoding error: unknown field \"spec.colour\"") == true)
            #expect(try await client.request("POST", Self.crds, json: crd).status == 201, "Warn drops it")
        }
    }

    @Test func beforeTheGateDefaultedOnRulesAreDroppedNotEnforced() async throws {
        try await withServer({ $0.cluster.kubernetesVersion = KubernetesVersion(1, 24) }) { _, client in
            #expect(try await client.request("POST", Self.crds, json: Self.widgetCRD(rule: "self.min <= self.max")).status == 201)
            let stored = try await client.request("GET", Self.crds + "/widgets.example.test").object
            #expect(!stored.serialized().contains("x-kubernetes-validations"))
            #expect(try await client.request("POST", Self.widgets, json: ["metadata": ["name": "a"], "spec": ["r": ["min": 9, "max": 1]]]).status == 201)
        }
    }

    @Test func schemaErrorsThatBlockTheRulesSaySo() async throws {
        try await withServer { _, client in
            let crd = Self.widgetCRD(rule: "!has(self.min) || !has(self.max) || self.min <= self.max")
            #expect(try await client.request("POST", Self.crds, json: crd).status == 201)
            let response = try await client.request("POST", Self.widgets, json: ["metadata": ["name": "a"], "spec": ["r": ["min": "nine", "max": 1]]])
            #expect(response.status == 422)
            let causes = response.object[path: "details", "causes"]?.arrayValue ?? []
            #expect(causes.first?["reason"] == "FieldValueTypeInvalid")
            #expect(causes.last?["message"] == "Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
        }
    }
}
