import Foundation
import JSONValue
import KubeAPI
import ServingAPI
import Testing
import YAML

@Suite struct CRDTests {
    let crd = InferenceServiceCRD.definition()
    var version: JSON { crd[path: "spec", "versions"]?[0] ?? .null }
    var schema: JSON { version[path: "schema", "openAPIV3Schema"] ?? .null }

    /// `inference-operator crd` must print exactly the checked-in file.
    /// The file is the JSON form (valid YAML) until the YAML module lands;
    /// then regenerate it with `scripts/generate-crd.sh yaml` and set this to "yaml".
    static let checkedInFormat = "yaml"

    @Test func crdCommandOutputMatchesCheckedInFile() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("inference-operator").path
        try #require(
            FileManager.default.isExecutableFile(atPath: binary),
            "\(binary) is missing: build the package (swift build) before testing")
        let printed = try await run(binary, ["crd", "--format", Self.checkedInFormat])
        #expect(printed.status == 0)
        let checkedIn = try String(contentsOfFile: crdPath, encoding: .utf8)
        let same = printed.output == checkedIn
        #expect(
            same,
            "CRDs/ is stale: run scripts/generate-crd.sh \(Self.checkedInFormat) and commit the result")
    }

    @Test func checkedInFileDescribesTheSameCRD() throws {
        let checkedIn = try YAML.parse(String(contentsOfFile: crdPath, encoding: .utf8))
        let same = checkedIn == crd
        #expect(same, "CRDs/ is stale: run scripts/generate-crd.sh")
    }

    @Test func namesScopeAndCategories() {
        #expect(crd[path: "metadata", "name"] == "inferenceservices.serving.swiftinfer.io")
        let names = crd[path: "spec", "names"]
        #expect(names?["kind"] == "InferenceService" && names?["plural"] == "inferenceservices")
        #expect(names?["shortNames"] == ["infsvc"])
        #expect(names?["categories"]?.arrayValue?.isEmpty == false)
        #expect(crd[path: "spec", "scope"] == "Namespaced")
        #expect(version["served"] == true && version["storage"] == true)
    }

    @Test func statusAndScaleSubresourcesPointAtIntegerFields() throws {
        #expect(version[path: "subresources", "status"] == .object([:]))
        let scale = try #require(version[path: "subresources", "scale"])
        for (key, type) in [("specReplicasPath", "integer"), ("statusReplicasPath", "integer"), ("labelSelectorPath", "string")] {
            let path = try #require(scale[key]?.stringValue)
            #expect(schemaNode(at: path)?["type"]?.stringValue == type, "\(key) \(path)")
        }
        #expect(scale["specReplicasPath"] == ".spec.replicas.manual")
    }

    @Test func printerColumnsResolveToTypedFields() throws {
        let columns = try #require(version["additionalPrinterColumns"]?.arrayValue)
        #expect(columns.compactMap { $0["name"]?.stringValue } == ["Model", "Mode", "Ready", "Desired", "P95", "GPU", "Canary", "Rollout", "Age"])
        for column in columns {
            let path = try #require(column["jsonPath"]?.stringValue)
            if path == ".metadata.creationTimestamp" { continue }
            let node = try #require(schemaNode(at: path), "\(path) is not in the schema")
            #expect(node["type"] == column["type"], "\(path)")
        }
    }

    @Test func defaultsMinimumsAndEnumsComeFromTheSwiftConstants() {
        let spec = schema[path: "properties", "spec", "properties"]
        #expect(spec?[path: "replicas", "properties", "min", "default"] == .int(Int64(Defaults.minReplicas)))
        #expect(spec?[path: "replicas", "properties", "max", "maximum"] == .int(Int64(Limits.replicas.upperBound)))
        let autoscaling = spec?[path: "autoscaling", "properties"]
        #expect(autoscaling?[path: "intervalSeconds", "minimum"] == 1)
        #expect(autoscaling?[path: "intervalSeconds", "default"] == 15)
        #expect(autoscaling?[path: "mode", "enum"] == ["Active", "DryRun", "Disabled"])
        #expect(autoscaling?[path: "rules", "properties", "gpu", "properties", "thresholdPercent", "default"] == 85)
        #expect(autoscaling?[path: "rules", "properties", "gpu", "properties", "thresholdPercent", "maximum"] == 100)
        #expect(autoscaling?[path: "rules", "properties", "latency", "properties", "consecutiveIntervals", "default"] == 3)
        #expect(autoscaling?[path: "onMetricsUnavailable", "properties", "policy", "default"] == "Hold")
        #expect(autoscaling?[path: "queries", "properties", "p95Latency", "default"] == .string(Defaults.p95LatencyQuery))
    }

    @Test func celRulesCoverTheCrossFieldConstraints() {
        var rules: [String] = []
        collectRules(schema, into: &rules)
        let joined = rules.joined(separator: "\n")
        for fragment in ["self.min <= self.max", "gpu.cap <= self.replicas.max", "latency.cap <= self.replicas.max",
                         "fallbackReplicas <= self.replicas.max", "self.rules.idle.afterSeconds >= self.intervalSeconds",
                         "size(self.metadata.name) <= 53"] {
            #expect(joined.contains(fragment), "no rule with \(fragment)")
        }
    }

    /// Every field the Swift types encode is in the schema, and every schema
    /// property is one the Swift types encode: the two cannot drift apart.
    @Test func schemaAndSwiftTypesHaveTheSameFields() throws {
        var object = try JSON(encoding: fullyPopulatedService())
        object["metadata"] = nil  // the API server's, not ours
        var encoded: Set<String> = []
        leafPaths(object, "", into: &encoded)
        var declared: Set<String> = []
        schemaLeafPaths(schema, "", into: &declared)
        declared.remove("metadata")
        #expect(encoded.subtracting(declared).sorted() == [], "encoded by Swift but not in the schema")
        #expect(declared.subtracting(encoded).sorted() == [], "in the schema but not encoded by Swift")
    }

    // MARK: Validation with real tools (kubernetes-validate, jsonschema, cel-python)

    @Test(.disabled(if: venvMissing, venvMissingMessage))
    func crdPassesKubernetesValidateStructuralChecksAndCELCompilation() async throws {
        let result = try await run(venvPython, [validatorScript, "crd", crdPath])
        #expect(result.status == 0, "\(result.output)")
        var rules: [String] = []
        collectRules(schema, into: &rules)
        #expect(rules.count >= 9)
        #expect(result.output.contains("\(rules.count) CEL rules compiled"), "\(result.output)")
    }

    /// The check the API server makes at CRD creation, run by the validator
    /// with cel-python: put back the old unguarded `replicas` rule and it must
    /// fail as the real server did (`no such key: min evaluating rule: ...`).
    @Test(.disabled(if: venvMissing, venvMissingMessage))
    func validatorRejectsARuleThatFailsOnItsNodesRawDefault() async throws {
        var broken = crd
        let path = ["spec", "versions"]
        var versions = try #require(broken[path: path[0], path[1]]?.arrayValue)
        var replicas = try #require(versions[0][path: "schema", "openAPIV3Schema", "properties", "spec", "properties", "replicas"])
        replicas["x-kubernetes-validations"] = [["rule": "self.min <= self.max", "message": "min must not exceed max"]]
        var schema = try #require(versions[0][path: "schema", "openAPIV3Schema"])
        schema["properties"]?["spec"]?["properties"]?["replicas"] = replicas
        versions[0]["schema"]?["openAPIV3Schema"] = schema
        broken["spec"]?["versions"] = .array(versions)
        let file = try temporaryFile([broken])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await run(venvPython, [validatorScript, "crd", file])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains(
            "spec.validation.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: no such key: min evaluating rule: min must not exceed max"),
            "\(result.output)")
    }

    @Test(.disabled(if: venvMissing, venvMissingMessage), arguments: ["minimal.yaml", "gpu.yaml", "dry-run.yaml"])
    func samplesPassTheSchemaTheCELRulesAndTheOperatorsValidation(sample: String) async throws {
        let path = samplesDirectory.appendingPathComponent(sample).path
        let result = try await run(venvPython, [validatorScript, "objects", "--crd", crdPath, path])
        #expect(result.status == 0 && result.output.hasPrefix("OK "), "\(result.output)")
        let service = try InferenceService.decodeValidated(await sampleObject(sample))
        #expect(service.kind == "InferenceService")
    }

    /// The same bad objects fail the CRD (schema or CEL) and the Swift
    /// validator, and both name the same field.
    @Test(.disabled(if: venvMissing, venvMissingMessage), arguments: [
        (["spec", "replicas"], ["min": 5, "max": 3] as JSON, "spec.replicas.min"),
        (["spec", "replicas", "manual"], 0 as JSON, "spec.replicas.manual"),
        (["spec", "autoscaling", "rules", "gpu", "cap"], 17 as JSON, "spec.autoscaling.rules.gpu.cap"),
        (["spec", "autoscaling", "rules", "latency", "cap"], 20 as JSON, "spec.autoscaling.rules.latency.cap"),
        (["spec", "autoscaling", "onMetricsUnavailable"], ["policy": "Fallback"] as JSON, "spec.autoscaling.onMetricsUnavailable.fallbackReplicas"),
        (["spec", "autoscaling", "onMetricsUnavailable"], ["policy": "Fallback", "fallbackReplicas": 30] as JSON, "spec.autoscaling.onMetricsUnavailable.fallbackReplicas"),
        (["spec", "autoscaling", "intervalSeconds"], 0 as JSON, "spec.autoscaling.intervalSeconds"),
        (["spec", "autoscaling", "rules", "idle", "afterSeconds"], 5 as JSON, "spec.autoscaling.rules.idle.afterSeconds"),
        (["spec", "autoscaling", "rules", "gpu", "thresholdPercent"], 101 as JSON, "spec.autoscaling.rules.gpu.thresholdPercent"),
        (["spec", "autoscaling", "rules", "requestRate", "adaptiveHeadroom"], ["minUtilization": 0.7, "maxUtilization": 0.5] as JSON,
         "spec.autoscaling.rules.requestRate.adaptiveHeadroom.minUtilization"),
        (["spec", "autoscaling", "rules", "requestRate", "adaptiveHeadroom", "lowerStep"], 0.9 as JSON,
         "spec.autoscaling.rules.requestRate.adaptiveHeadroom.lowerStep"),
        (["spec", "autoscaling", "rules", "requestRate", "adaptiveHeadroom", "raiseSlowShare"], 0.6 as JSON,
         "spec.autoscaling.rules.requestRate.adaptiveHeadroom.raiseSlowShare"),
        (["spec", "tolerations"], [["key": "k", "operator": "Exists", "value": "v"]] as JSON, "spec.tolerations[0].value"),
        (["spec", "resources", "memory"], "4GB" as JSON, "spec.resources.memory"),
        (["metadata", "name"], "name-that-is-far-too-long-for-the-predictor-service-name" as JSON, "metadata.name"),
        (["metadata", "name"], "9lives" as JSON, "metadata.name"),
    ])
    func invalidObjectsAreRejectedByTheCRDAndTheValidatorAlike(path: [String], value: JSON, field: String) async throws {
        var object = minimalObject()
        object.set(path, value)
        let file = try temporaryFile([object])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await run(venvPython, [validatorScript, "objects", "--crd", crdPath, file])
        #expect(result.status == 1, "\(result.output)")
        let crdField = field.replacingOccurrences(of: "[0]", with: ".0").replacingOccurrences(of: "metadata.name", with: "(root)")
        #expect(result.output.contains(crdField) || result.output.contains(field), "\(result.output)")
        do {
            _ = try InferenceService.decodeValidated(object)
            Issue.record("the Swift validator accepted what the CRD rejects")
        } catch {
            guard case .invalid(let errors) = error else {
                Issue.record("expected field errors, got \(error)")
                return
            }
            #expect(errors.map(\.field).contains(field), "\(errors)")
        }
    }

    // MARK: helpers

    func schemaNode(at jsonPath: String) -> JSON? {
        var node: JSON? = schema
        for part in jsonPath.split(separator: ".") { node = node?[path: "properties", String(part)] }
        return node
    }
}

private func collectRules(_ node: JSON, into rules: inout [String]) {
    for rule in node["x-kubernetes-validations"]?.arrayValue ?? [] {
        if let text = rule["rule"]?.stringValue { rules.append(text) }
    }
    for (_, child) in node["properties"]?.objectValue ?? [:] { collectRules(child, into: &rules) }
    if let items = node["items"] { collectRules(items, into: &rules) }
}

private func leafPaths(_ value: JSON, _ prefix: String, into paths: inout Set<String>) {
    switch value {
    case .object(let object) where !prefix.hasSuffix(".sampleInput") && !prefix.hasSuffix(".nodeSelector"):
        for (key, child) in object { leafPaths(child, prefix.isEmpty ? key : "\(prefix).\(key)", into: &paths) }
    case .array(let items) where !items.isEmpty && !prefix.hasSuffix(".sampleInput.inputs"):
        leafPaths(items[0], prefix + "[]", into: &paths)
    default:
        paths.insert(prefix)
    }
}

private func schemaLeafPaths(_ node: JSON, _ prefix: String, into paths: inout Set<String>) {
    if node["x-kubernetes-preserve-unknown-fields"] == true || node["additionalProperties"] != nil {
        paths.insert(prefix)
    } else if let properties = node["properties"]?.objectValue {
        for (key, child) in properties { schemaLeafPaths(child, prefix.isEmpty ? key : "\(prefix).\(key)", into: &paths) }
    } else if let items = node["items"] {
        schemaLeafPaths(items, prefix + "[]", into: &paths)
    } else {
        paths.insert(prefix)
    }
}

/// An object with every optional field set, so encoding visits every field.
func fullyPopulatedService() -> InferenceService {
    let spec = InferenceServiceSpec(
        model: ModelSpec(
            name: "m", uri: "s3://models/m.onnx", loadTimeoutSeconds: 60,
            storage: ModelStorageSpec(endpoint: "http://s3:9000", region: "eu-west-1", pathStyle: true,
                                      credentialsSecretRef: SecretReference(name: "s3"))),
        resources: ResourceSpec(cpu: "1", memory: "1Gi", gpu: 1),
        nodeSelector: ["k": "v"],
        tolerations: [Toleration(key: "k", operator: .equal, value: "v", effect: .noSchedule, tolerationSeconds: 5)], serviceAccountName: "model-reader",
        env: [EnvVar(name: "A", value: "1")],
        batching: BatchingSpec(maxBatchSize: 8),
        replicas: ReplicasSpec(min: 1, max: 4, manual: 2),
        autoscaling: AutoscalingSpec(
            prometheus: PrometheusSpec(url: "http://p:9090", authSecretRef: SecretReference(name: "s")),
            rules: RulesSpec(gpu: GPURule(cap: 3), latency: LatencyRule(cap: 4),
                             requestRate: RequestRateRuleSpec(capacityPerReplicaRPS: 12.5, targetUtilization: 0.6)),
            onMetricsUnavailable: MetricsUnavailableSpec(policy: .fallback, fallbackReplicas: 2)),
        warmup: WarmupSpec(sampleInput: ["inputs": [["name": "x"]]], probeDimensions: [48, 192]),
        canary: CanarySpec(
            model: ModelSpec(name: "m", uri: "s3://models/m-v2.onnx", loadTimeoutSeconds: 60,
                             storage: ModelStorageSpec(endpoint: "http://s3:9000", region: "eu-west-1", pathStyle: true,
                                                       credentialsSecretRef: SecretReference(name: "s3"))),
            image: "img:v2", batching: BatchingSpec(maxBatchSize: 16), resources: ResourceSpec(cpu: "2", memory: "2Gi", gpu: 1),
            steps: [10, 50, 100], stepSeconds: 300, progressDeadlineSeconds: 120, headerRoute: false, paused: true,
            analysis: CanaryAnalysisSpec(maxP95Ms: 150, maxErrorRatio: 0.02, minRequests: 50),
            gatewayRef: GatewayReference(name: "gw", namespace: "infra", sectionName: "http")))
    let t = "2026-01-01T00:00:00Z"
    let signals = VersionSignals(p95LatencyMs: 90, requests: 200, errors: 1, computeMsPerRequest: 4, clientErrors: 2)
    let status = InferenceServiceStatus(
        observedGeneration: 1, replicas: 2, readyReplicas: 2, desiredReplicas: 3, selector: "a=b",
        conditions: [Condition(type: "Ready", status: .true, observedGeneration: 1, lastTransitionTime: t, reason: "R", message: "m")],
        observed: ObservedSignals(p95LatencyMs: 1, gpuUtilizationPercent: 2, requestsPerSecond: 3, time: t),
        breaches: BreachCounters(latency: 1, gpu: 0), idleSince: t, lastScaleTime: t,
        recentDecisions: [ScalingDecisionRecord(time: t, from: 2, to: 3, rule: "latency", reason: "r")],
        warmedFingerprint: "f", learned: LearnedScaling(targetUtilization: 0.7, scaleDownWindowSeconds: 120),
        canary: CanaryStatus(candidate: "c", phase: "Progressing", step: 2, weight: 50, stepStartedAt: t, trafficSince: t,
                             waitingSince: t, healthySeconds: 30, lastEvaluatedAt: t, accruing: true,
                             candidateSignals: signals, stableSignals: signals,
                             history: [CanaryStepStatus(weight: 10, startedAt: t, endedAt: t, outcome: "Passed", signals: signals)],
                             verdict: "v", ignoredAction: "promote", costRatio: 1.5),
        model: ModelStatus(uri: "hf://org/repo", endpoint: "https://hub.example", revision: String(repeating: "a", count: 40),
                           resolvedAt: t, refresh: "1"),
        measuredBatching: MeasuredBatching(key: "bm1-0123456789abcdef", maxBatchSize: 4, concurrentBatches: 2, intraOpThreads: 1,
                                           note: "measured by pod m-predictor-1"))
    return InferenceService(metadata: ObjectMeta(name: "m", namespace: "n"), spec: spec, status: status)
}

/// The schema's patterns and the Swift validator accept and reject the same
/// strings (one script run for the whole table).
@Suite struct PatternAgreementTests {
    static let cases: [([String], JSON)] = {
        var cases: [([String], JSON)] = []
        for q in ["500m", "2", "1.5", "4Gi", "129e6", "+1", "1.", "two", "4GB", "1.2.3", "-1", "1e", "Gi", "1 Gi"] {
            cases.append((["spec", "resources", "cpu"], .string(q)))
        }
        for n in ["resnet50", "bert_large.v2", "a-b", "my model", "m/x", "é"] {
            cases.append((["spec", "model", "name"], .string(n)))
        }
        for e in ["ORT_LOG_LEVEL", "a.b-c", "_x", "1A", "A B", "A=B"] {
            cases.append((["spec", "env"], [["name": .string(e), "value": "1"]]))
        }
        for u in ["http://p:9090", "https://prometheus.monitoring.svc", "prometheus:9090", "ftp://p", "http://"] {
            cases.append((["spec", "autoscaling", "prometheus"], ["url": .string(u)]))
        }
        for e in ["http://minio:9000", "https://s3.example.com/base/", "minio:9000", "http://k:s@minio", "http://m/?x=1", "https://", "http:///p"] {
            cases.append((["spec", "model"], ["name": "m", "uri": "s3://models/m.onnx", "storage": ["endpoint": .string(e)]]))
        }
        for r in ["eu-west-1", "EU", "", "us_east"] {
            cases.append((["spec", "model"], ["name": "m", "uri": "s3://models/m.onnx", "storage": ["region": .string(r)]]))
        }
        // Canary steps (schema bounds and the rising-to-100 rule) and model name agreement.
        for steps: JSON in [[5, 30, 100], [100], [1, 2, 3, 4, 5, 6, 7, 8, 9, 100], [30, 5, 100], [5, 30], [5, 5, 100], [0, 100],
                            [], [5, 30, 101], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100]] {
            cases.append((["spec", "canary"], ["model": ["name": "m", "uri": "file:///models/m2.onnx"], "steps": steps]))
        }
        for name in ["m", "other"] {
            cases.append((["spec", "canary"], ["model": ["name": .string(name), "uri": "file:///models/m2.onnx"]]))
        }
        for gateway: JSON in [["name": "gw"], ["name": "gw.example", "namespace": "infra", "sectionName": "http"], ["name": "GW"],
                              ["name": "gw", "namespace": "a.b"], ["name": "gw", "sectionName": "-x"]] {
            cases.append((["spec", "canary"], ["model": ["name": "m", "uri": "file:///models/m2.onnx"], "gatewayRef": gateway]))
        }
        return cases
    }()

    @Test(.disabled(if: venvMissing, venvMissingMessage))
    func schemaPatternsAndSwiftValidatorAgree() async throws {
        let objects = Self.cases.enumerated().map { i, c in
            var object = minimalObject(name: "case-\(i)")
            object.set(c.0, c.1)
            return object
        }
        let file = try temporaryFile(objects)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await run(venvPython, [validatorScript, "objects", "--crd", crdPath, file])
        let lines = result.output.split(separator: "\n").filter { $0.hasPrefix("OK ") || $0.hasPrefix("INVALID ") }
        try #require(lines.count == objects.count, "\(result.output)")
        for (i, object) in objects.enumerated() {
            let schemaAccepts = lines[i].hasPrefix("OK ")
            let swiftAccepts = (try? InferenceService.decodeValidated(object)) != nil
            #expect(schemaAccepts == swiftAccepts, "\(Self.cases[i].0.joined(separator: ".")) = \(Self.cases[i].1.serialized()): schema \(schemaAccepts), Swift \(swiftAccepts)")
        }
    }
}
