import Autoscaling
@testable import ControllerRuntime
import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Locking
import Logging
@testable import Operator
import ServingAPI
import TestSupport
import Testing

/// `spec.autoscaling.prometheus.authSecretRef` in the scaling loop, with
/// scripted transports for the API server (Secrets, Events) and Prometheus.
@Suite struct PrometheusAuthTests {
    static let prometheusURL = "http://prometheus.test:9090"

    /// A small world: InferenceServices in namespace `ml`, Secrets the API
    /// server answers, a Prometheus that answers every query for every object
    /// (or 401), a wall clock the test moves, and every log line.
    final class World: Sendable {
        let services = Store<InferenceServiceResource>()
        let secrets = Locked<[String: JSON]>([:])
        let prometheusStatus = Locked(200)
        /// What Prometheus answers with a status other than 200.
        let prometheusErrorBody = Locked(#"{"status":"error","errorType":"unauthorized","error":"bad token"}"#)
        let clock = Locked(1_000_000.0)
        let logs = Locked<[String]>([])
        let kube: ScriptedTransport
        let prometheus: ScriptedTransport
        let records = ScalingRecords()
        let loop: ScalingLoop

        init(secretTTL: Duration = .seconds(60)) {
            let secrets = self.secrets, status = prometheusStatus, errorBody = prometheusErrorBody, clock = self.clock
            kube = ScriptedTransport { request, _ in
                let parts = request.path.split(separator: "/").map(String.init)
                // /api/v1/namespaces/{ns}/secrets/{name}
                if request.method == .get, parts.count == 6, parts[4] == "secrets" {
                    if let secret = secrets.withLock({ $0["\(parts[3])/\(parts[5])"] }) {
                        return .response(HTTPResponse(status: 200, body: Array(secret.serialized().utf8)))
                    }
                    let status: JSON = ["kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                                        "message": .string("secrets \"\(parts[5])\" not found")]
                    return .response(HTTPResponse(status: 404, body: Array(status.serialized().utf8)))
                }
                return .response(HTTPResponse(status: 201, body: request.body ?? Array("{}".utf8)))
            }
            prometheus = ScriptedTransport { _, _ in
                let code = status.withLock { $0 }
                if code != 200 {
                    return .response(HTTPResponse(status: code, body: Array(errorBody.withLock { $0 }.utf8)))
                }
                let series = ["a", "b", "c", "d", "e"].map {
                    #"{"metric":{"namespace":"ml","service":"\#($0)-predictor"},"value":[1000000,"0.05"]}"#
                }
                return .response(HTTPResponse(status: 200, body: Array(
                    #"{"status":"success","data":{"resultType":"vector","result":[\#(series.joined(separator: ","))]}}"#.utf8)))
            }
            let logs = self.logs
            let logger = Logger(label: "test") { _ in CapturingLogHandler(lines: logs) }
            let client = KubeClient(configuration: KubeClientConfiguration(server: "http://kube.test"), transport: kube)
            let recorder = EventRecorder(client: client, configuration: .init(reportingController: "test", reportingInstance: "test"),
                                         logger: logger)
            let prometheusTransport = prometheus
            let wall: @Sendable () -> Date = { Date(timeIntervalSince1970: clock.withLock { $0 }) }
            loop = ScalingLoop(configuration: .init(defaultPrometheusURL: Self.defaultURL), transport: prometheus,
                               services: services, deployments: Store<Deployment>(), records: records, recorder: recorder,
                               wallClock: wall, logger: logger,
                               secrets: AuthSecretCache(client: client, ttl: secretTTL, now: { clock.withLock { $0 } }),
                               makeTransport: { _ in prometheusTransport }) { _ in }
        }

        static let defaultURL = "http://default-prometheus.test:9090"

        func addService(_ name: String, secret: String?) {
            var prometheus: JSON = ["url": .string(PrometheusAuthTests.prometheusURL)]
            if let secret { prometheus["authSecretRef"] = ["name": .string(secret)] }
            let spec: JSON = [
                "model": ["name": .string(name), "uri": "file:///models/m.onnx"],
                "autoscaling": ["mode": "Active", "intervalSeconds": 15, "prometheus": prometheus],
            ]
            _ = services.upsert(InferenceServiceResource(metadata: ObjectMeta(name: name, namespace: "ml"), spec: spec))
        }

        func addSecret(_ name: String, _ data: [String: String]) {
            var encoded = JSONObject()
            for (key, value) in data { encoded[key] = .string(Data(value.utf8).base64EncodedString()) }
            secrets.withLock { $0["ml/\(name)"] = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": .string(name), "namespace": "ml"],
                                                   "data": .object(encoded)] }
        }

        func advance(_ seconds: Double) { clock.withLock { $0 += seconds } }

        var secretReads: [String] {
            kube.requests.filter { $0.method == .get && $0.path.contains("/secrets/") }.map(\.path)
        }
        var events: [String] { kube.requests.filter { $0.method == .post }.map(\.bodyText) }
        var authorizations: [String?] { prometheus.requests.map { $0.headers["Authorization"] } }

        /// Everything an operator writes where people or other programs read it.
        func everythingVisible() async -> String {
            var text = logs.withLock { $0.joined(separator: "\n") }
            text += events.joined(separator: "\n")
            for key in services.keys {
                let entry = await records.entry(key)
                text += "\(String(describing: entry?.metricsAvailable)) \(String(describing: entry?.scalingActive))"
            }
            return text
        }
    }

    @Test func theSecretsTokenIsSentAsBearerAndTheSecretIsCached() async throws {
        let world = World()
        world.addSecret("prom-token", ["token": "tok-abc123\n"])  // kubectl --from-file keeps the newline
        world.addService("a", secret: "prom-token")
        #expect(await world.loop.evaluateDue() == ["ml/a"])
        #expect(!world.authorizations.isEmpty)
        #expect(world.authorizations.allSatisfy { $0 == "Bearer tok-abc123" }, "\(world.authorizations)")
        #expect(world.prometheus.requests.allSatisfy { $0.url.hasPrefix(Self.prometheusURL) })
        #expect(await world.records.entry("ml/a")?.metricsAvailable?.reason == "MetricsAvailable")
        #expect(world.secretReads == ["/api/v1/namespaces/ml/secrets/prom-token"])

        // The next interval within the TTL reads no Secret; after the TTL it does.
        world.advance(15)
        #expect(await world.loop.evaluateDue() == ["ml/a"])
        #expect(world.secretReads.count == 1)
        world.advance(60)
        #expect(await world.loop.evaluateDue() == ["ml/a"])
        #expect(world.secretReads.count == 2)
        #expect(!(await world.everythingVisible()).contains("tok-abc123"))
    }

    @Test func usernameAndPasswordAreSentAsBasicAuth() async throws {
        let world = World()
        world.addSecret("prom-basic", ["username": "grafana", "password": "p@ss:wörd "])
        world.addService("a", secret: "prom-basic")
        await world.loop.evaluateDue()
        let expected = "Basic " + Data("grafana:p@ss:wörd ".utf8).base64EncodedString()
        #expect(!world.authorizations.isEmpty)
        #expect(world.authorizations.allSatisfy { $0 == expected }, "\(world.authorizations)")
        let visible = await world.everythingVisible()
        #expect(!visible.contains("p@ss") && !visible.contains(Data("grafana:p@ss:wörd ".utf8).base64EncodedString()))
    }

    @Test func objectsShareABatchedQueryOnlyWithTheSameURLAndCredentials() async throws {
        let world = World()
        world.addSecret("team-a", ["token": "shared-token"])
        world.addSecret("team-b", ["token": "shared-token"])  // another Secret, same content
        world.addSecret("team-c", ["token": "other-token"])
        world.addService("a", secret: "team-a")
        world.addService("b", secret: "team-b")
        world.addService("c", secret: "team-c")
        world.addService("d", secret: nil)
        #expect(Set(await world.loop.evaluateDue()) == ["ml/a", "ml/b", "ml/c", "ml/d"])

        var perAuth: [String: Int] = [:]
        for auth in world.authorizations { perAuth[auth ?? "none", default: 0] += 1 }
        // Three endpoints (shared token, other token, none), the same queries each.
        #expect(perAuth.keys.sorted() == ["Bearer other-token", "Bearer shared-token", "none"], "\(perAuth)")
        #expect(Set(perAuth.values).count == 1, "a and b share one batched query per signal: \(perAuth)")
        for name in ["a", "b", "c", "d"] {
            #expect(await world.records.entry("ml/\(name)")?.metricsAvailable?.reason == "MetricsAvailable", "\(name)")
        }
    }

    @Test func aMissingSecretMakesTheSignalsUnavailableAndHoldsReplicas() async throws {
        let world = World()
        world.addService("a", secret: "does-not-exist")
        world.addService("b", secret: nil)
        #expect(Set(await world.loop.evaluateDue()) == ["ml/a", "ml/b"])
        // Only b's group queried, without credentials.
        #expect(world.authorizations.allSatisfy { $0 == nil })
        let entry = try #require(await world.records.entry("ml/a"))
        let condition = try #require(entry.metricsAvailable)
        #expect(condition.status == .false)
        #expect(condition.reason == "AuthSecretInvalid")
        #expect(condition.message.contains("Secret ml/does-not-exist not found"), "\(String(describing: condition.message))")
        #expect(entry.desiredReplicas == 2, "held at replicas.min's default, never scaled")
        #expect(entry.observed?.p95LatencyMs == nil)
        #expect(world.events.contains { $0.contains("AuthSecretInvalid") && $0.contains("ml/does-not-exist") && $0.contains("Warning") },
                "\(world.events)")

        // The same problem next interval: no second Event.
        world.advance(15)
        await world.loop.evaluateDue()
        #expect(world.events.filter { $0.contains("AuthSecretInvalid") }.count == 1)
        // The Secret appears: metrics come back.
        world.addSecret("does-not-exist", ["token": "now-here"])
        world.advance(15)
        await world.loop.evaluateDue()
        #expect(await world.records.entry("ml/a")?.metricsAvailable?.reason == "MetricsAvailable")
        #expect(world.authorizations.contains("Bearer now-here"))
    }

    @Test(arguments: [
        (["username": "u"], "missing key 'password'"),
        (["password": "pw-value"], "missing key 'username'"),
        (["other": "x"], "missing key 'token' (or keys 'username' and 'password')"),
        (["token": "t-value", "username": "u", "password": "pw-value"], "has both 'token' and 'username'/'password'"),
        (["token": "  \n"], "key 'token' is empty"),
        (["token": "t-value", "ca.crt": "not a certificate"], "key 'ca.crt' holds no PEM certificate"),
    ])
    func missingOrBadKeysAreNamedInTheCondition(_ data: [String: String], _ message: String) async throws {
        let world = World()
        world.addSecret("prom", data)
        world.addService("a", secret: "prom")
        await world.loop.evaluateDue()
        let condition = try #require(await world.records.entry("ml/a")?.metricsAvailable)
        #expect(condition.reason == "AuthSecretInvalid")
        #expect(condition.message.contains("Secret ml/prom: \(message)"), "\(String(describing: condition.message))")
        #expect(world.prometheus.requests.isEmpty)
        let visible = await world.everythingVisible()
        #expect(!visible.contains("pw-value") && !visible.contains("t-value"))
    }

    @Test func aRefusalRereadsTheSecretAtTheNextInterval() async throws {
        let world = World()
        world.addSecret("prom", ["token": "old-token"])
        world.addService("a", secret: "prom")
        world.prometheusStatus.withLock { $0 = 401 }
        await world.loop.evaluateDue()
        let condition = try #require(await world.records.entry("ml/a")?.metricsAvailable)
        #expect(condition.reason == "MetricsUnavailable")
        #expect(condition.message.contains("refused our credentials (HTTP 401)"), "\(String(describing: condition.message))")
        #expect(await world.records.entry("ml/a")?.desiredReplicas == 2)

        // Rotated: read again although the TTL has not passed.
        world.addSecret("prom", ["token": "new-token"])
        world.prometheusStatus.withLock { $0 = 200 }
        world.advance(15)
        await world.loop.evaluateDue()
        #expect(world.secretReads.count == 2)
        #expect(world.authorizations.last == "Bearer new-token")
        #expect(await world.records.entry("ml/a")?.metricsAvailable?.reason == "MetricsAvailable")
        let visible = await world.everythingVisible()
        #expect(!visible.contains("old-token") && !visible.contains("new-token"))
        #expect(visible.contains("Prometheus refused the credentials"), "the refusal is logged (without the token)")
    }

    /// The re-read follows the 401/403 case, not the words: an OAuth proxy's
    /// HTML page says nothing about credentials, and a query error that
    /// mentions them is no refusal.
    @Test(arguments: [
        (403, "<html><body>Forbidden</body></html>", true),
        (401, "", true),
        (400, #"{"status":"error","errorType":"bad_data","error":"upstream refused our credentials"}"#, false),
        (503, "refused our credentials", false),
    ])
    func onlyARefusalRereadsTheSecretWhateverTheAnswerSays(status: Int, body: String, rereads: Bool) async throws {
        let world = World()
        world.addSecret("prom", ["token": "the-token"])
        world.addService("a", secret: "prom")
        world.prometheusStatus.withLock { $0 = status }
        world.prometheusErrorBody.withLock { $0 = body }
        await world.loop.evaluateDue()
        #expect(await world.records.entry("ml/a")?.metricsAvailable?.reason == "MetricsUnavailable")
        world.advance(15)
        await world.loop.evaluateDue()
        #expect(world.secretReads.count == (rereads ? 2 : 1), "within the TTL only a refusal reads the Secret again")
        #expect((await world.everythingVisible()).contains("Prometheus refused the credentials") == rereads)
    }

    @Test func credentialsNeverPrint() {
        let bearer = PrometheusConfiguration(baseURL: "http://p", authentication: .bearer("hidden-1"))
        let basic = PrometheusConfiguration(baseURL: "http://p", authentication: .basic(username: "u", password: "hidden-2"))
        for text in ["\(bearer)", "\(basic)", String(reflecting: bearer), String(reflecting: basic),
                     "\(PrometheusEndpoint(url: "http://p", authentication: .bearer("hidden-1"), secret: "ml/s"))"] {
            #expect(!text.contains("hidden"), "\(text)")
        }
    }
}

/// Keeps every log line with its metadata, to check what gets logged.
struct CapturingLogHandler: LogHandler {
    let lines: Locked<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
        lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
    }
}
