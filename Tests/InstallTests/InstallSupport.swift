import Foundation
import JSONValue
import TestAPIServer
import TestSupport
import YAML

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let chartPath = packageRoot.appendingPathComponent("charts/inference-operator").path

struct InstallTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The Helm binary `scripts/install-helm.sh` puts in `.tools/` (make test runs it through bootstrap).
enum Helm {
    static let binary = packageRoot.appendingPathComponent(".tools/helm").path
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    static func run(_ arguments: [String], kubeconfig: String? = nil) async throws -> Subprocess.Result {
        guard isInstalled else {
            throw InstallTestError("\(binary) is missing: run `bash scripts/install-helm.sh` (make test does it through scripts/bootstrap.sh)")
        }
        // A private home so the user's Helm configuration and repositories play no part.
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("helm-home").path
        var environment = ProcessInfo.processInfo.environment
        for key in ["HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"] { environment[key] = "\(home)/\(key)" }
        environment["KUBECONFIG"] = kubeconfig ?? "/dev/null"
        return try await Subprocess.run(binary, arguments, currentDirectory: packageRoot, environment: environment)
    }

    /// `helm template` of the chart; throws with Helm's message when rendering fails.
    static func template(_ values: [String], release: String = "inference-operator", namespace: String = "inference-system",
                         includeCRDs: Bool = false) async throws -> String {
        let result = try await run(["template", release, chartPath, "--namespace", namespace]
                                   + (includeCRDs ? ["--include-crds"] : []) + values)
        guard result.status == 0 else { throw InstallTestError("helm template \(values) failed:\n\(result.output)") }
        return result.output
    }
}

/// Rendered documents, parsed with our YAML module (empty documents dropped).
func objects(in yaml: String) throws -> [JSON] {
    try YAML.parseAll(yaml).filter { $0.objectValue != nil }
}

extension [JSON] {
    func of(kind: String) -> [JSON] { filter { $0["kind"]?.stringValue == kind } }
    func one(kind: String) throws -> JSON {
        let found = of(kind: kind)
        guard found.count == 1 else { throw InstallTestError("expected one \(kind), found \(found.count)") }
        return found[0]
    }
}

/// `kubernetes-validate --strict` (Kubernetes 1.32 OpenAPI schemas) on every
/// rendered object. Returns the kinds it found no schema for (custom
/// resources such as ServiceMonitor), which the caller checks otherwise.
func validateWithKubernetesSchemas(_ yaml: String) async throws -> [String] {
    let validator = packageRoot.appendingPathComponent(".venv/bin/kubernetes-validate").path
    guard FileManager.default.isExecutableFile(atPath: validator) else {
        throw InstallTestError("\(validator) is missing: run `bash scripts/bootstrap.sh` (make test does)")
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("rendered-\(UUID().uuidString).yaml")
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let result = try await Subprocess.run(validator, ["--strict", "-k", "1.32.0", file.path])
    let lines = result.output.split(separator: "\n").map(String.init)
    let errors = lines.filter { $0.hasPrefix("ERROR") }
    guard result.status == 0, errors.isEmpty else {
        throw InstallTestError("kubernetes-validate (1.32, strict) rejected rendered objects:\n\(result.output)")
    }
    let passed = lines.filter { $0.hasPrefix("INFO") && $0.contains(" passed for resource ") }.count
    let unknown = lines.compactMap { line -> String? in
        guard line.hasPrefix("WARN"), let range = line.range(of: "Couldn't find schema for kind ") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != " " })
    }
    let total = try objects(in: yaml).count
    guard passed + unknown.count == total else {
        throw InstallTestError("kubernetes-validate checked \(passed) of \(total) objects (\(unknown.count) without schema):\n\(result.output)")
    }
    return unknown
}

/// The `inference-operator` executable (make test builds everything before testing).
var operatorBinary: String {
    let candidates = [".build/debug/inference-operator", ".build/release/inference-operator"]
    return candidates.map { packageRoot.appendingPathComponent($0).path }.first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? packageRoot.appendingPathComponent(".build/debug/inference-operator").path
}

extension JSON {
    var strings: [String] { arrayValue?.compactMap(\.stringValue) ?? [] }
}

/// One step into a JSON value: an object key or an array index.
enum Step: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, Sendable {
    case key(String)
    case index(Int)
    init(stringLiteral value: String) { self = .key(value) }
    init(integerLiteral value: Int) { self = .index(value) }
}

extension JSON {
    /// `value[at: "spec", "containers", 0, "args"]`.
    subscript(at steps: Step...) -> JSON? {
        var current: JSON? = self
        for step in steps {
            switch step {
            case .key(let key): current = current?[key]
            case .index(let index): current = current?[index]
            }
        }
        return current
    }
}

/// The `kubectl` on PATH (v1.32 in CI), run as users run it: from the package
/// root, with a kubeconfig for the test API server and a private home.
enum Kubectl {
    static let binary = "/usr/bin/kubectl"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    static func run(_ arguments: [String], kubeconfig: String) async throws -> Subprocess.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        environment["HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-home").path
        return try await Subprocess.run(binary, arguments + ["--request-timeout=30s"], currentDirectory: packageRoot, environment: environment)
    }
}

extension Cluster {
    /// The stored object, or nil when it (or its kind) does not exist.
    func object(_ apiVersion: String, _ plural: String, _ name: String, namespace: String? = nil) -> JSON? {
        let parts = apiVersion.split(separator: "/").map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts[0])
        guard let type = resourceType(group: group, version: version, plural: plural) else { return nil }
        return try? get(type, namespace: namespace, name: name)
    }

    /// The items of a list (empty when the kind does not exist).
    func items(_ apiVersion: String, _ plural: String, namespace: String? = nil, labelSelector: String? = nil) throws -> [JSON] {
        let parts = apiVersion.split(separator: "/").map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts[0])
        guard let type = resourceType(group: group, version: version, plural: plural) else { return [] }
        var options = ListOptions()
        if let labelSelector { options.labelSelector = try LabelSelector(parsing: labelSelector) }
        return try list(type, namespace: namespace, options: options)["items"]?.arrayValue ?? []
    }
}
