import JSONValue
import Testing
import TestAPIServer

@Suite struct CustomResourceTests {
    func withCRD(_ body: (TestAPIServer, LoopbackClient) async throws -> Void) async throws {
        try await withServer { server, client in
            #expect(try await client.request("POST", Fixtures.crds, json: Fixtures.crd).status == 201)
            try await body(server, client)
        }
    }

    @Test func structuralSchemaDefaultsAbsentFields() async throws {
        try await withCRD { _, client in
            let created = try await client.request("POST", Fixtures.inferenceServices, json: Fixtures.inferenceService("a"))
            #expect(created.status == 201)
            #expect(created.object["spec"] == ["model": "resnet", "replicas": 2, "mode": "Active", "gpu": ["targetUtilization": 85]])
            let kept = try await client.request("POST", Fixtures.inferenceServices,
                                                json: Fixtures.inferenceService("b", extra: ["replicas": 5, "gpu": ["targetUtilization": 70]]))
            #expect(kept.object[path: "spec", "replicas"] == 5)
            #expect(kept.object[path: "spec", "gpu", "targetUtilization"] == 70)
        }
    }

    /// (extra spec, field, reason, cause message): the cause carries the body, the Status message `field: body`.
    static let invalidCases: [(JSON, String, String, String)] = [
        (["replicas": 17], "spec.replicas", "FieldValueInvalid", "Invalid value: 17: spec.replicas in body should be less than or equal to 16"),
        (["replicas": -1], "spec.replicas", "FieldValueInvalid", "Invalid value: -1: spec.replicas in body should be greater than or equal to 0"),
        (["replicas": "two"], "spec.replicas", "FieldValueTypeInvalid", "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""),
        (["mode": "Fast"], "spec.mode", "FieldValueNotSupported", "Unsupported value: \"Fast\": supported values: \"Active\", \"DryRun\""),
        (["gpu": ["targetUtilization": "high"]], "spec.gpu.targetUtilization", "FieldValueTypeInvalid",
         "Invalid value: \"string\": spec.gpu.targetUtilization in body must be of type number: \"string\""),
        (["labels": ["a": 1]], "spec.labels.a", "FieldValueTypeInvalid", "Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\""),
    ]

    @Test(arguments: invalidCases)
    func schemaValidationRejectsWithFieldCauses(extra: JSON, field: String, reason: String, message: String) async throws {
        try await withCRD { _, client in
            let response = try await client.request("POST", Fixtures.inferenceServices, json: Fixtures.inferenceService("bad", extra: extra))
            #expect(response.status == 422)
            #expect(response.object["reason"] == "Invalid")
            let cause = response.object[path: "details", "causes"]?[0]
            #expect(cause?["field"] == .string(field))
            #expect(cause?["reason"] == .string(reason))
            #expect(cause?["message"] == .string(message))
            let text = response.object["message"]?.stringValue ?? ""
            #expect(text.hasPrefix("InferenceService.serving.swiftinfer.io \"bad\" is invalid: "))
            #expect(text.contains("\(field): \(message)"), "\(text)")
        }
    }

    @Test func requiredFieldIsEnforcedOnUpdateToo() async throws {
        try await withCRD { _, client in
            let created = try await client.request("POST", Fixtures.inferenceServices, json: Fixtures.inferenceService("a")).object
            let response = try await client.request("PATCH", Fixtures.inferenceServices + "/a", json: ["spec": ["model": nil]],
                                                    contentType: "application/merge-patch+json")
            #expect(response.status == 422)
            #expect(response.object[path: "details", "causes"]?[0]?["reason"] == "FieldValueRequired")
            #expect(try await client.request("GET", Fixtures.inferenceServices + "/a").object.rv == created.rv)
        }
    }

    @Test func unknownFieldsArePrunedWithWarningOrRejectedWhenStrict() async throws {
        try await withCRD { _, client in
            let lenient = try await client.request("POST", Fixtures.inferenceServices, json: Fixtures.inferenceService("a", extra: ["colour": "red"]))
            #expect(lenient.status == 201)
            #expect(lenient.object[path: "spec", "colour"] == nil)
            #expect(lenient.header("Warning")?.contains("unknown field") == true)
            let strict = try await client.request("POST", Fixtures.inferenceServices + "?fieldValidation=Strict",
                                                  json: Fixtures.inferenceService("b", extra: ["colour": "red"]))
            #expect(strict.status == 400)
            #expect(strict.object["message"] == "InferenceService in version \"v1alpha1\" cannot be handled as a InferenceService: strict decoding error: unknown field \"spec.colour\"")
        }
    }

    @Test func customResourceStatusAndScaleSubresourcesFollowTheCRD() async throws {
        try await withCRD { _, client in
            var body = Fixtures.inferenceService("a")
            body["status"] = ["phase": "Lying"]
            let created = try await client.request("POST", Fixtures.inferenceServices, json: body).object
            #expect(created["status"] == nil)
            let status = try await client.request("PATCH", Fixtures.inferenceServices + "/a/status",
                                                  json: ["status": ["replicas": 2, "phase": "Ready", "selector": "app=a"], "spec": ["replicas": 9]],
                                                  contentType: "application/merge-patch+json").object
            #expect(status[path: "status", "phase"] == "Ready")
            #expect(status[path: "spec", "replicas"] == 2)
            #expect(status[path: "metadata", "generation"] == 1)
            let scale = try await client.request("GET", Fixtures.inferenceServices + "/a/scale").object
            #expect(scale[path: "spec", "replicas"] == 2)
            #expect(scale[path: "status", "selector"] == "app=a")
            let scaled = try await client.request("PATCH", Fixtures.inferenceServices + "/a/scale", json: ["spec": ["replicas": 20]],
                                                  contentType: "application/merge-patch+json")
            #expect(scaled.status == 422, "scale writes pass the CRD's schema (maximum 16)")
            #expect(try await client.request("PATCH", Fixtures.inferenceServices + "/a/scale", json: ["spec": ["replicas": 4]],
                                             contentType: "application/merge-patch+json").status == 200)
            let after = try await client.request("GET", Fixtures.inferenceServices + "/a").object
            #expect(after[path: "spec", "replicas"] == 4)
            #expect(after[path: "metadata", "generation"] == 2)
        }
    }

    @Test(arguments: [
        (["spec": ["group": "x.io", "scope": "Namespaced", "names": ["plural": "things", "kind": "Thing"], "versions": []]] as JSON, "spec.versions"),
        (["spec": ["group": "x.io", "scope": "Galaxy", "names": ["plural": "things", "kind": "Thing"],
                   "versions": [["name": "v1", "served": true, "storage": true]]]] as JSON, "spec.scope"),
        (["spec": ["group": "y.io", "scope": "Namespaced", "names": ["plural": "things", "kind": "Thing"],
                   "versions": [["name": "v1", "served": true, "storage": true]]]] as JSON, "metadata.name"),
    ])
    func invalidCRDsAreRejected(spec: JSON, field: String) async throws {
        try await withServer { _, client in
            var crd: JSON = ["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "things.x.io"]]
            crd["spec"] = spec["spec"]
            let response = try await client.request("POST", Fixtures.crds, json: crd)
            #expect(response.status == 422)
            #expect(response.object[path: "details", "causes"]?.arrayValue?.contains { $0["field"] == .string(field) } == true)
        }
    }
}
