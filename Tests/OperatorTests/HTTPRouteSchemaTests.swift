import Foundation
import JSONValue
import KubeAPI
import KubeClient
import Operator
import Rendering
import ServingAPI
import TestAPIServer
import TestSupport
import Testing
import YAML

/// The routes `HTTPRouteRenderer` writes, checked against the Gateway API's
/// HTTPRoute schema: the transcribed CRD (Fixtures/gateway-api-httproute-crd.yaml,
/// fields we render only) is installed in the test API server, which applies
/// its structural schema, defaults and CEL rules as a real API server would.
/// Rendered routes must be accepted unchanged; broken ones must be refused,
/// which shows the check can fail.
@Suite struct HTTPRouteSchemaTests {
    static let crdFile = packageRoot.appendingPathComponent("Tests/OperatorTests/Fixtures/gateway-api-httproute-crd.yaml")
    static let routeType = ResourceType(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute")

    static func crd() throws -> JSON { try YAML.parse(try String(contentsOf: crdFile, encoding: .utf8)) }

    /// A cluster serving HTTPRoutes, with the InferenceService ml/demo whose uid the routes' owner reference names
    /// (an object whose owners are all gone is garbage at once).
    static func clusterWithOwner() async throws -> (Cluster, uid: String) {
        let cluster = try await Cluster.start(simulateDeployments: false)
        _ = try await cluster.client.create(.customResourceDefinitions, try crd())
        try await cluster.createNamespace("ml")
        let created = try await cluster.client.create(inferenceServiceType, FaultInjectionTests.inferenceService(), namespace: "ml")
        let served = await eventually(timeout: .seconds(10)) { (try? await cluster.client.serves(routeType)) == true }
        try #require(served, "the stand-in CRD is not served")
        return (cluster, created[path: "metadata", "uid"]?.stringValue ?? "")
    }

    static func object(uid: String, gateway: GatewayReference, headerRoute: Bool) -> InferenceService {
        var spec = InferenceServiceSpec(model: ModelSpec(name: "demo", uri: "file:///models/demo.onnx"))
        spec.canary = CanarySpec(model: ModelSpec(name: "demo", uri: "file:///models/demo-v2.onnx"), headerRoute: headerRoute, gatewayRef: gateway)
        return InferenceService(metadata: ObjectMeta(name: "demo", namespace: "ml", uid: uid), spec: spec)
    }

    static func route(uid: String, named name: String, gateway: GatewayReference = GatewayReference(name: "edge", namespace: "infra", sectionName: "http"),
                      headerRoute: Bool = true, backends: HTTPRouteRenderer.Backends = .split(candidateWeight: 30)) throws -> JSON {
        var route = try #require(try HTTPRouteRenderer.render(object(uid: uid, gateway: gateway, headerRoute: headerRoute), backends: backends))
        route["metadata"]?["name"] = .string(name)
        return route
    }

    @Test(arguments: [
        (GatewayReference(name: "edge"), true, HTTPRouteRenderer.Backends.split(candidateWeight: 0)),
        (GatewayReference(name: "edge", namespace: "infra", sectionName: "http"), true, .split(candidateWeight: 5)),
        (GatewayReference(name: "edge.example", sectionName: "https.main"), false, .split(candidateWeight: 30)),
        (GatewayReference(name: "edge", namespace: "infra"), true, .split(candidateWeight: 100)),
        (GatewayReference(name: "edge"), true, .stableOnly),
    ])
    func renderedRoutesAreAcceptedAsTheyAre(gateway: GatewayReference, headerRoute: Bool, backends: HTTPRouteRenderer.Backends) async throws {
        let (cluster, uid) = try await Self.clusterWithOwner()
        defer { Task { try? await cluster.server.shutdown() } }
        let route = try Self.route(uid: uid, named: "demo", gateway: gateway, headerRoute: headerRoute, backends: backends)
        let created = try await cluster.client.create(Self.routeType, route, namespace: "ml")
        // Nothing pruned or rewritten: the stored route carries everything rendered, so the
        // operator's "live satisfies desired" comparison ends the apply loop after one write.
        #expect(liveObjectSatisfies(created, desired: route), "stored: \(created.serialized())")
        #expect(created[path: "spec"]?.serialized() == route[path: "spec"]?.serialized(), "the server defaulted or dropped a field we render")
        // And the operator's own write, a server-side apply, is accepted too.
        var applied = route
        applied["metadata"]?["name"] = "demo-applied"
        _ = try await cluster.client.apply(Self.routeType, applied, fieldManager: "schema-test", force: true)
    }

    /// One step of a path into a document: an object key or an array index.
    enum Step: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        case key(String), index(Int)
        init(stringLiteral value: String) { self = .key(value) }
        init(integerLiteral value: Int) { self = .index(value) }
    }

    /// `document` with the value at `path` replaced (nil removes it).
    static func setting(_ document: JSON, _ path: [Step], to value: JSON?) -> JSON {
        guard let first = path.first else { return value ?? .null }
        let rest = Array(path.dropFirst())
        switch (first, document) {
        case (.key(let key), .object(var object)):
            if rest.isEmpty { object[key] = value } else { object[key] = setting(object[key] ?? .object([:]), rest, to: value) }
            return .object(object)
        case (.index(let i), .array(var items)) where items.indices.contains(i):
            if rest.isEmpty { if let value { items[i] = value } else { items.remove(at: i) } } else { items[i] = setting(items[i], rest, to: value) }
            return .array(items)
        default:
            return document
        }
    }

    static let catchAllBackend: [Step] = ["spec", "rules", 1, "backendRefs", 0]
    static let headerMatch: [Step] = ["spec", "rules", 0, "matches", 0, "headers", 0]

    @Test(arguments: [
        ("weight over 1000000", catchAllBackend + ["weight"], JSON.int(1_000_001) as JSON?, "less than or equal to 1000000"),
        ("negative weight", catchAllBackend + ["weight"], .int(-1), "greater than or equal to 0"),
        ("Service backend without a port", catchAllBackend + ["port"], nil, "a backendRef to a Service needs a port"),
        ("port 0", catchAllBackend + ["port"], .int(0), "greater than or equal to 1"),
        ("header name with a space", headerMatch + ["name"], .string("X Canary"), "should match"),
        ("header name with a colon", headerMatch + ["name"], .string(":authority"), "should match"),
        ("header match type outside the enum", headerMatch + ["type"], .string("Prefix"), "Unsupported value"),
        ("empty header value", headerMatch + ["value"], .string(""), "at least 1 chars long"),
        ("relative path", ["spec", "rules", 1, "matches", 0, "path", "value"], .string("v2/infer"), "must be absolute"),
        ("path with //", ["spec", "rules", 1, "matches", 0, "path", "value"], .string("/v2//infer"), "must not hold"),
        ("parent namespace not a DNS label", ["spec", "parentRefs", 0, "namespace"], .string("Infra_NS"), "should match"),
        ("no rules", ["spec", "rules"], .array([]), "at least 1 items"),
    ] as [(String, [Step], JSON?, String)])
    func brokenRoutesAreRefused(_ what: String, _ path: [Step], _ value: JSON?, _ expected: String) async throws {
        let (cluster, uid) = try await Self.clusterWithOwner()
        defer { Task { try? await cluster.server.shutdown() } }
        let broken = Self.setting(try Self.route(uid: uid, named: "broken"), path, to: value)
        try #require(broken != (try Self.route(uid: uid, named: "broken")), "\(what): the edit changed nothing")
        do {
            _ = try await cluster.client.create(Self.routeType, broken, namespace: "ml")
            Issue.record("\(what): accepted")
        } catch {
            guard case .invalid = error else { Issue.record("\(what): \(error)"); return }
            #expect(error.description.contains(expected), "\(what): \(error.description)")
        }
    }

    @Test func tooManyBackendsRulesOrMatchesAreRefused() async throws {
        let (cluster, uid) = try await Self.clusterWithOwner()
        defer { Task { try? await cluster.server.shutdown() } }
        let route = try Self.route(uid: uid, named: "crowded")
        let backend = try #require(route[path: "spec", "rules"]?[1]?["backendRefs"]?[0])
        let rule = try #require(route[path: "spec", "rules"]?[1])
        let match = try #require(rule["matches"]?[0])
        let wideRule = Self.setting(rule, ["matches"], to: .array(Array(repeating: match, count: 43)))
        for (what, broken, expected) in [
            ("17 backendRefs", Self.setting(route, ["spec", "rules", 1, "backendRefs"], to: .array(Array(repeating: backend, count: 17))),
             "must have at most 16 items"),
            ("17 rules", Self.setting(route, ["spec", "rules"], to: .array(Array(repeating: rule, count: 17))), "must have at most 16 items"),
            // Each rule within its 64, the route over its 128 (a CEL rule on rules).
            ("129 matches in 3 rules", Self.setting(route, ["spec", "rules"], to: .array(Array(repeating: wideRule, count: 3))),
             "at most 128 matches"),
        ] {
            do {
                _ = try await cluster.client.create(Self.routeType, broken, namespace: "ml")
                Issue.record("\(what): accepted")
            } catch {
                #expect(error.description.contains(expected), "\(what): \(error.description)")
            }
        }
        // 128 is still allowed.
        var full = Self.setting(route, ["spec", "rules"], to: .array(Array(repeating: wideRule, count: 2)
            + [Self.setting(rule, ["matches"], to: .array(Array(repeating: match, count: 42)))]))
        full["metadata"]?["name"] = "full"
        _ = try await cluster.client.create(Self.routeType, full, namespace: "ml")
    }

    /// Two references to one Gateway must name different listeners (a CEL rule on parentRefs).
    @Test func aGatewayReferencedTwiceNeedsDistinctSections() async throws {
        let (cluster, uid) = try await Self.clusterWithOwner()
        defer { Task { try? await cluster.server.shutdown() } }
        let route = try Self.route(uid: uid, named: "twice", gateway: GatewayReference(name: "edge"))
        let parent = try #require(route[path: "spec", "parentRefs"]?[0])
        var withSection = parent
        withSection["sectionName"] = "http"
        var other = withSection
        other["sectionName"] = "https"
        let cases: [(String, [JSON], String?)] = [
            ("one with a section, one without", [parent, withSection], "both must set sectionName or neither"),
            ("the same section twice", [withSection, withSection], "must name different sections"),
            ("two sections", [withSection, other], nil),
        ]
        for (i, (what, parents, expected)) in cases.enumerated() {
            var candidate = Self.setting(route, ["spec", "parentRefs"], to: .array(parents))
            candidate["metadata"]?["name"] = .string("twice-\(i)")
            do {
                _ = try await cluster.client.create(Self.routeType, candidate, namespace: "ml")
                #expect(expected == nil, "\(what): accepted")
            } catch {
                if let expected { #expect(error.description.contains(expected), "\(what): \(error.description)") }
                else { Issue.record("\(what): \(error.description)") }
            }
        }
    }

    /// The test API server skips a `pattern` it cannot compile; every pattern
    /// of the stand-in must compile, or its check would pass silently.
    @Test func everyPatternOfTheStandInIsChecked() throws {
        var patterns: [String] = []
        func collect(_ node: JSON) {
            switch node {
            case .object(let object):
                if let pattern = object["pattern"]?.stringValue { patterns.append(pattern) }
                for (_, child) in object { collect(child) }
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        collect(try Self.crd())
        #expect(patterns.count >= 7)
        for pattern in patterns {
            #expect((try? Regex(pattern)) != nil, "does not compile: \(pattern)")
        }
    }
}
