import CEL
import JSONValue
import ServingAPI
import Testing

/// The API server evaluates, when a CRD is written, the CEL rules of every
/// schema node with a `default` (and of the nodes below it that the default
/// holds) on the raw default, with no nested defaults applied
/// (apiextensions-apiserver `defaulting.validate`); one failure rejects the
/// whole CRD. These tests hold every default and every rule the generator
/// emits to that, with our CEL evaluator.
@Suite struct RulesOnDefaultsTests {
    let schema = InferenceServiceCRD.openAPIV3Schema

    /// Every rule of `node` and of the nodes `value` reaches, evaluated on
    /// `value` as it is: `path: <error or false>` for each that does not hold.
    static func failures(of value: JSON, node: JSON, path: String, isRoot: Bool = false) -> [String] {
        var found: [String] = []
        for rule in node["x-kubernetes-validations"]?.arrayValue ?? [] {
            let text = rule["rule"]?.stringValue ?? ""
            do {
                let program = try CELRule.compile(text, selfSchema: node, isRoot: isRoot)
                switch program.validate(self: value) {
                case .success(true): break
                case .success(false): found.append("\(path): false: \(text)")
                case .failure(let error): found.append("\(path): \(error.message) evaluating rule: \(text)")
                }
            } catch {
                found.append("\(path): does not compile: \(error.apiServerDetail)")
            }
        }
        switch value {
        case .object(let object):
            for (key, child) in object {
                if let childNode = node[path: "properties", key] {
                    found += failures(of: child, node: childNode, path: "\(path).\(key)")
                } else if case .object = node["additionalProperties"], let valueNode = node["additionalProperties"] {
                    found += failures(of: child, node: valueNode, path: "\(path)[\(key)]")
                }
            }
        case .array(let items):
            if let itemNode = node["items"] {
                for (i, item) in items.enumerated() { found += failures(of: item, node: itemNode, path: "\(path)[\(i)]") }
            }
        default: break
        }
        return found
    }

    /// The check of every default in a schema, as the server makes it.
    static func defaultFailures(in node: JSON, path: String = "") -> [String] {
        var found: [String] = []
        if let value = node["default"] { found += failures(of: value, node: node, path: path + ".default") }
        for (key, child) in node["properties"]?.objectValue ?? [:] {
            found += defaultFailures(in: child, path: "\(path).properties[\(key)]")
        }
        if let items = node["items"] { found += defaultFailures(in: items, path: path + ".items") }
        return found
    }

    /// Every object node that carries rules, with its path.
    static func ruleNodes(_ node: JSON, path: String = "") -> [(String, JSON)] {
        var found: [(String, JSON)] = []
        if !(node["x-kubernetes-validations"]?.arrayValue?.isEmpty ?? true) { found.append((path, node)) }
        for (key, child) in node["properties"]?.objectValue ?? [:] { found += ruleNodes(child, path: "\(path).\(key)") }
        if let items = node["items"] { found += ruleNodes(items, path: path + "[]") }
        return found
    }

    @Test func everyDefaultPassesTheRulesItReachesRaw() {
        #expect(Self.defaultFailures(in: schema) == [])
    }

    @Test func theCheckFindsAnUnguardedRuleOnADefaultedObject() {
        let node: JSON = ["type": "object", "properties": [
            "r": ["type": "object", "default": [:],
                  "properties": ["min": ["type": "integer", "default": 2], "max": ["type": "integer", "default": 16]],
                  "x-kubernetes-validations": [["rule": "self.min <= self.max", "message": "min must not exceed max"]]],
        ]]
        #expect(Self.defaultFailures(in: node) == [".properties[r].default: no such key: min evaluating rule: self.min <= self.max"])
    }

    /// Stronger than the server's check: no rule reads a field it has not
    /// tested, so a `default: {}` added to any node later cannot break the CRD.
    @Test func noRuleErrsOnAnEmptyObject() {
        let nodes = Self.ruleNodes(schema)
        #expect(nodes.count >= 6)
        for (path, node) in nodes {
            let empty: JSON = node["type"] == "array" ? [] : [:]
            let errors = Self.failures(of: empty, node: node, path: path, isRoot: path.isEmpty).filter { !$0.contains(": false: ") }
            #expect(errors == [], "\(path)")
        }
    }

    @Test func everyRuleCompilesAgainstItsNode() throws {
        for (path, node) in Self.ruleNodes(schema) {
            for rule in node["x-kubernetes-validations"]?.arrayValue ?? [] {
                #expect(throws: Never.self, "\(path): \(rule)") {
                    _ = try CELRule.compile(rule["rule"]?.stringValue ?? "", selfSchema: node, isRoot: path.isEmpty)
                }
            }
        }
    }

    /// The guards keep each rule's meaning on the objects the server evaluates
    /// it on, which arrive defaulted: the table gives a defaulted value and
    /// whether the rule must hold.
    @Test(arguments: [
        ("replicas", ["min": 2, "max": 16, "manual": 1] as JSON, true),
        ("replicas", ["min": 5, "max": 3, "manual": 1] as JSON, false),
        ("replicas", ["min": 4, "max": 4, "manual": 4] as JSON, true),
        ("autoscaling.onMetricsUnavailable", ["policy": "Hold"] as JSON, true),
        ("autoscaling.onMetricsUnavailable", ["policy": "Hold", "fallbackReplicas": 3] as JSON, false),
        ("autoscaling.onMetricsUnavailable", ["policy": "Fallback"] as JSON, false),
        ("autoscaling.onMetricsUnavailable", ["policy": "Fallback", "fallbackReplicas": 3] as JSON, true),
    ])
    func guardedRulesKeepTheirMeaningOnDefaultedValues(node path: String, value: JSON, holds: Bool) throws {
        var node = try #require(schema[path: "properties", "spec"])
        for key in path.split(separator: ".") { node = try #require(node[path: "properties", String(key)]) }
        let failures = Self.failures(of: value, node: node, path: path)
        #expect(failures.isEmpty == holds, "\(failures)")
    }

    @Test func theIntervalRuleHoldsOnlyWhenIdleIsNoShorterThanTheInterval() throws {
        let node = try #require(schema[path: "properties", "spec", "properties", "autoscaling"])
        let defaulted = StructuralDefaulting.apply(node, to: [:])
        #expect(Self.failures(of: defaulted, node: node, path: "autoscaling") == [])
        var slow = defaulted
        slow["intervalSeconds"] = 600
        #expect(Self.failures(of: slow, node: node, path: "autoscaling").count == 1)
    }

    @Test func specRulesComparingCapsWithMaxHoldOnDefaultedObjects() throws {
        let node = try #require(schema[path: "properties", "spec"])
        let model: JSON = ["name": "m", "uri": "pvc://models/m.onnx"]
        let defaulted = StructuralDefaulting.apply(node, to: ["model": model])
        #expect(Self.failures(of: defaulted, node: node, path: "spec") == [])
        var capped = StructuralDefaulting.apply(node, to: ["model": model, "replicas": ["max": 4],
                                                          "autoscaling": ["rules": ["gpu": ["cap": 8]]]])
        #expect(Self.failures(of: capped, node: node, path: "spec").count == 1)
        capped["autoscaling"]?["rules"]?["gpu"]?["cap"] = 4
        #expect(Self.failures(of: capped, node: node, path: "spec") == [])
    }
}
