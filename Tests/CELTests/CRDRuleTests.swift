import CEL
import Foundation
import JSONValue
import Testing
import YAML

/// Every `x-kubernetes-validations` rule of the InferenceService CRD compiles
/// against its schema node and decides realistic (defaulted) objects.
@Suite struct CRDRuleTests {
    struct Rule: CustomStringConvertible {
        let path: String
        let rule: String
        let schema: JSON
        let isRoot: Bool
        var description: String { "\(path): \(rule)" }
    }

    /// The rules of the checked-in CRD, with the schema node each sits on.
    static let rules: [Rule] = {
        let url = packageRoot.appendingPathComponent("CRDs/serving.swiftinfer.io_inferenceservices.yaml")
        guard let text = try? String(contentsOf: url, encoding: .utf8), let crd = try? YAML.parse(text) else { return [] }
        var found: [Rule] = []
        func walk(_ node: JSON, _ path: String, isRoot: Bool) {
            for validation in node["x-kubernetes-validations"]?.arrayValue ?? [] {
                if let rule = validation["rule"]?.stringValue {
                    found.append(Rule(path: path, rule: rule, schema: node, isRoot: isRoot))
                }
            }
            for (name, child) in node["properties"]?.objectValue ?? [:] { walk(child, "\(path).\(name)", isRoot: false) }
            if let items = node["items"] { walk(items, "\(path)[]", isRoot: false) }
            if let values = node["additionalProperties"], values.objectValue != nil { walk(values, "\(path){}", isRoot: false) }
        }
        for version in crd[path: "spec", "versions"]?.arrayValue ?? [] {
            if let schema = version[path: "schema", "openAPIV3Schema"] { walk(schema, "", isRoot: true) }
        }
        return found
    }()

    /// A defaulted `spec` as the API server validates it.
    static func spec(gpuCap: Int64? = nil, latencyCap: Int64? = nil, fallback: Int64? = nil, max: Int64 = 16) -> JSON {
        var gpu: JSON = ["enabled": true, "thresholdPercent": 85, "step": 1, "coldStartTolerant": false]
        gpu["cap"] = gpuCap.map(JSON.int)
        var latency: JSON = ["enabled": true, "thresholdMs": 200, "consecutiveIntervals": 3, "step": 2, "coldStartTolerant": true]
        latency["cap"] = latencyCap.map(JSON.int)
        var unavailable: JSON = ["policy": fallback == nil ? "Hold" : "Fallback"]
        unavailable["fallbackReplicas"] = fallback.map(JSON.int)
        return [
            "model": ["name": "resnet50", "uri": "pvc://models/resnet50/model.onnx"],
            "replicas": ["min": 2, "max": .int(max), "manual": 2],
            "autoscaling": [
                "mode": "Active", "intervalSeconds": 15,
                "rules": ["gpu": gpu, "latency": latency, "idle": ["enabled": true, "afterSeconds": 300]],
                "onMetricsUnavailable": unavailable,
            ],
        ]
    }

    static func root(name: String) -> JSON {
        [
            "apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
            "metadata": ["name": .string(name), "namespace": "default", "labels": ["team": "vision"]],
            "spec": spec(),
        ]
    }

    /// Objects (at the rule's node) and what each rule decides for them.
    static let cases: [String: [(value: JSON, expected: Result<Bool, CELEvalError>)]] = [
        "!has(self.operator) || self.operator != 'Exists' || !has(self.value)": [
            (["key": "nvidia.com/gpu", "operator": "Equal", "value": "a100", "effect": "NoSchedule"], .success(true)),
            (["key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"], .success(true)),
            (["key": "nvidia.com/gpu", "operator": "Exists", "value": "a100"], .success(false)),
            (["effect": "NoExecute", "tolerationSeconds": 30], .success(true)),
        ],
        "has(self.key) || (has(self.operator) && self.operator == 'Exists')": [
            (["key": "nvidia.com/gpu", "operator": "Equal", "value": "a100"], .success(true)),
            (["operator": "Exists"], .success(true)),
            (["operator": "Equal", "value": "a100"], .success(false)),
            ([:], .success(false)),
        ],
        // Each rule tests with has() every field it reads (ServingAPI's ValidationRule(_:reads:)),
        // so the raw defaults ({} and the like) pass; defaulted objects decide as before.
        "!has(self.min) || !has(self.max) || (self.min <= self.max)": [
            (["min": 2, "max": 16, "manual": 2], .success(true)),
            (["min": 4, "max": 4, "manual": 4], .success(true)),
            (["min": 5, "max": 4, "manual": 4], .success(false)),
            ([:], .success(true)),
        ],
        "!has(self.policy) || (self.policy == 'Fallback' ? has(self.fallbackReplicas) : !has(self.fallbackReplicas))": [
            (["policy": "Hold"], .success(true)),
            (["policy": "Fallback", "fallbackReplicas": 4], .success(true)),
            (["policy": "Fallback"], .success(false)),
            (["policy": "Hold", "fallbackReplicas": 4], .success(false)),
            ([:], .success(true)),
        ],
        "!has(self.rules) || !has(self.rules.idle) || !has(self.rules.idle.afterSeconds) || !has(self.intervalSeconds) || (self.rules.idle.afterSeconds >= self.intervalSeconds)": [
            (spec()["autoscaling"]!, .success(true)),
            (["intervalSeconds": 600, "rules": ["idle": ["afterSeconds": 300]]], .success(false)),
            (["intervalSeconds": 300, "rules": ["idle": ["afterSeconds": 300]]], .success(true)),
            (["intervalSeconds": 15], .success(true)),
            ([:], .success(true)),
        ],
        "!has(self.autoscaling) || !has(self.autoscaling.rules) || !has(self.autoscaling.rules.gpu) || !has(self.autoscaling.rules.gpu.cap) || !has(self.replicas) || !has(self.replicas.max) || (self.autoscaling.rules.gpu.cap <= self.replicas.max)": [
            (spec(), .success(true)),
            (spec(gpuCap: 16), .success(true)),
            (spec(gpuCap: 17), .success(false)),
            (["model": ["name": "m", "uri": "pvc://m/m.onnx"]], .success(true)),
        ],
        "!has(self.autoscaling) || !has(self.autoscaling.rules) || !has(self.autoscaling.rules.latency) || !has(self.autoscaling.rules.latency.cap) || !has(self.replicas) || !has(self.replicas.max) || (self.autoscaling.rules.latency.cap <= self.replicas.max)": [
            (spec(), .success(true)),
            (spec(latencyCap: 8), .success(true)),
            (spec(latencyCap: 9, max: 8), .success(false)),
        ],
        "!has(self.autoscaling) || !has(self.autoscaling.onMetricsUnavailable) || !has(self.autoscaling.onMetricsUnavailable.fallbackReplicas) || !has(self.replicas) || !has(self.replicas.max) || (self.autoscaling.onMetricsUnavailable.fallbackReplicas <= self.replicas.max)": [
            (spec(), .success(true)),
            (spec(fallback: 16), .success(true)),
            (spec(fallback: 20), .success(false)),
        ],
        "!has(self.minUtilization) || !has(self.maxUtilization) || (self.minUtilization <= self.maxUtilization)": [
            (["enabled": true, "minUtilization": 0.4, "maxUtilization": 0.8, "lowerStep": 0.005, "raiseHorizonSeconds": 14400,
              "raiseSlowShare": 0.005], .success(true)),
            (["minUtilization": 0.6, "maxUtilization": 0.6], .success(true)),
            (["minUtilization": 0.7, "maxUtilization": 0.5], .success(false)),
            ([:], .success(true)),
        ],
        "!has(self.canary) || !has(self.canary.model) || !has(self.canary.model.name) || !has(self.model) || !has(self.model.name) || (self.canary.model.name == self.model.name)": [
            (spec(), .success(true)),
            (["model": ["name": "m", "uri": "pvc://m/m.onnx"], "canary": ["model": ["name": "m", "uri": "pvc://m/m2.onnx"]]], .success(true)),
            (["model": ["name": "m", "uri": "pvc://m/m.onnx"], "canary": ["model": ["name": "other", "uri": "pvc://m/m2.onnx"]]], .success(false)),
            (["model": ["name": "m", "uri": "pvc://m/m.onnx"], "canary": ["steps": [5, 100]]], .success(true)),
        ],
        "!has(self.canary) || !has(self.canary.model) || !has(self.replicas) || !has(self.replicas.max) || (self.replicas.max >= 2)": [
            (spec(), .success(true)),
            (["model": ["name": "m", "uri": "pvc://m/m.onnx"], "replicas": ["max": 1]], .success(true)),
            (["model": ["name": "m", "uri": "pvc://m/m.onnx"], "replicas": ["max": 2], "canary": ["model": ["name": "m", "uri": "pvc://m/m2.onnx"]]], .success(true)),
            (["model": ["name": "m", "uri": "pvc://m/m.onnx"], "replicas": ["max": 1], "canary": ["model": ["name": "m", "uri": "pvc://m/m2.onnx"]]], .success(false)),
        ],
        // Ascending without repeats and ending at 100, written out pairwise (no isSorted in standard CEL).
        "size(self) == 0 || self[size(self) - 1] == 100 && (size(self) <= 1 || self[0] < self[1]) && (size(self) <= 2 || self[1] < self[2]) && (size(self) <= 3 || self[2] < self[3]) && (size(self) <= 4 || self[3] < self[4]) && (size(self) <= 5 || self[4] < self[5]) && (size(self) <= 6 || self[5] < self[6]) && (size(self) <= 7 || self[6] < self[7]) && (size(self) <= 8 || self[7] < self[8]) && (size(self) <= 9 || self[8] < self[9])": [
            ([5, 30, 100], .success(true)),
            ([100], .success(true)),
            ([], .success(true)),
            ([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], .success(true)),
            ([30, 5, 100], .success(false)),
            ([5, 30], .success(false)),
            ([5, 5, 100], .success(false)),
            ([1, 2, 3, 4, 5, 6, 7, 8, 100, 99], .success(false)),
        ],
        "!has(self.metadata) || !has(self.metadata.name) || (size(self.metadata.name) <= 53 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$'))": [
            (root(name: "resnet50"), .success(true)),
            (root(name: "a"), .success(true)),
            (root(name: "bert-large-2"), .success(true)),
            (root(name: String(repeating: "a", count: 53)), .success(true)),
            (root(name: String(repeating: "a", count: 54)), .success(false)),
            (root(name: "Resnet50"), .success(false)),
            (root(name: "9lives"), .success(false)),
            (root(name: "trailing-"), .success(false)),
            (root(name: "dots.are.not.labels"), .success(false)),
        ],
    ]

    @Test func theCRDHasRulesAndEveryOneHasCases() {
        #expect(Self.rules.count >= 9)
        for rule in Self.rules {
            #expect(Self.cases[rule.rule] != nil, "no evaluation cases for \(rule)")
        }
    }

    @Test func everyRuleCompilesAgainstItsSchemaNode() {
        for rule in Self.rules {
            #expect(throws: Never.self, "\(rule)") {
                _ = try CELRule.compile(rule.rule, selfSchema: rule.schema, isRoot: rule.isRoot)
            }
        }
    }

    @Test func everyRuleDecidesRealisticObjects() throws {
        for rule in Self.rules {
            let program = try CELRule.compile(rule.rule, selfSchema: rule.schema, isRoot: rule.isRoot)
            for (value, expected) in Self.cases[rule.rule] ?? [] {
                #expect(program.validate(self: value) == expected, "\(rule) on \(value.serialized())")
            }
        }
    }

    /// The unguarded rule the CRD had before (which a real API server refused
    /// on `default: {}`) is `no such key` on the replicas node's raw default.
    @Test func minAboveMaxOnAnEmptyObjectIsNoSuchKey() throws {
        let replicas = try #require(Self.rules.first { $0.path == ".spec.replicas" })
        let program = try CELRule.compile("self.min <= self.max", selfSchema: replicas.schema, isRoot: false)
        #expect(program.validate(self: [:]) == .failure(CELEvalError("no such key: min")))
    }

    @Test func theRootRuleSeesOnlyNameAndGenerateNameOfMetadata() throws {
        let root = try #require(Self.rules.first { $0.isRoot })
        #expect(throws: CELCompileError.self) {
            try CELRule.compile("self.metadata.namespace == 'default'", selfSchema: root.schema, isRoot: true)
        }
        let program = try CELRule.compile("self.metadata.name == 'resnet50' && self.kind == 'InferenceService'",
            selfSchema: root.schema, isRoot: true)
        #expect(program.validate(self: Self.root(name: "resnet50")) == .success(true))
    }
}
