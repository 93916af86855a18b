import ChildProcess
@testable import ControllerRuntime
import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Locking
import Logging
@testable import Operator
import TestSupport
import Testing

private let nginxBinary = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// `authSecretRef` against real parts: a real Prometheus scraping the
/// stand-in workload, behind nginx that serves TLS from a private CA and
/// answers 401 unless `Authorization: Bearer <token>` is exactly right;
/// Secrets in the test API server, read by the scaling loop's real KubeClient
/// over libcurl. The object whose Secret holds the token (and the CA) gets
/// its p95; a wrong token and no Secret fail with the reason in the condition.
@Suite(.enabled(if: nginxBinary != nil && PrometheusServer.isInstalled, "needs nginx and prometheus (make bootstrap installs them)"))
struct PrometheusAuthIntegrationTests {
    static let token = "integration-7f3a9c"

    @Test func queriesSucceedWithTheSecretAndFailClearlyWithout() async throws {
        let cluster = try await Cluster.start()
        try await cluster.createNamespace("ml")
        let workload = try await Workload.start()
        defer { Task { await workload.process.stop() } }
        try await workload.set(rps: 20, latencyMs: 400)
        let prometheus = try await PrometheusServer.start(
            targets: [.init(address: "127.0.0.1:\(workload.port)", labels: ["namespace": "ml", "service": "demo-predictor"])])
        defer { Task { await prometheus.stop() } }
        let proxy = try await AuthProxy.start(upstreamPort: prometheus.port, token: Self.token)
        defer { proxy.stop() }
        let ca = try String(contentsOfFile: proxy.certificates + "/ca.pem", encoding: .utf8)

        func secret(_ name: String, _ data: [String: String]) async throws {
            var encoded = JSONObject()
            for (key, value) in data { encoded[key] = .string(Data(value.utf8).base64EncodedString()) }
            _ = try await cluster.client.create(.secrets, ["apiVersion": "v1", "kind": "Secret",
                                                           "metadata": ["name": .string(name), "namespace": "ml"], "data": .object(encoded)])
        }
        try await secret("prom-auth", ["token": Self.token + "\n", "ca.crt": ca])
        try await secret("prom-wrong", ["token": "not-the-token", "ca.crt": ca])

        let services = Store<InferenceServiceResource>()
        func add(_ name: String, url: String, secret: String?) {
            var prometheusSpec: JSON = ["url": .string(url)]
            if let secret { prometheusSpec["authSecretRef"] = ["name": .string(secret)] }
            let spec: JSON = [
                "model": ["name": .string(name), "uri": "file:///models/m.onnx"],
                "autoscaling": ["mode": "DryRun", "intervalSeconds": 1, "prometheus": prometheusSpec,
                                "queries": ["p95Latency": #"histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{namespace="{{namespace}}"}[5s])))"#]],
            ]
            _ = services.upsert(InferenceServiceResource(metadata: ObjectMeta(name: name, namespace: "ml"), spec: spec))
        }
        add("demo", url: "https://127.0.0.1:\(proxy.tlsPort)", secret: "prom-auth")
        add("wrong", url: "https://127.0.0.1:\(proxy.tlsPort)", secret: "prom-wrong")
        add("anonymous", url: "http://127.0.0.1:\(proxy.plainPort)", secret: nil)
        add("missing", url: "https://127.0.0.1:\(proxy.tlsPort)", secret: "prom-absent")

        let logs = Locked<[String]>([])
        let logger = Logger(label: "test") { _ in CapturingLogHandler(lines: logs) }
        let records = ScalingRecords()
        let loop = ScalingLoop(
            configuration: .init(defaultPrometheusURL: prometheus.url), transport: try CurlTransport(),
            services: services, deployments: Store<Deployment>(), records: records,
            recorder: EventRecorder(client: cluster.client, configuration: .init(reportingController: "test", reportingInstance: "test"),
                                    logger: logger),
            logger: logger, secrets: AuthSecretCache(client: cluster.client)) { _ in }

        // Both at one evaluation: a busy machine can time out one query of an evaluation that read the p95.
        let measured = await eventually(timeout: .seconds(60)) {
            await loop.evaluateDue()
            let entry = await records.entry("ml/demo")
            return entry?.observed?.p95LatencyMs != nil && entry?.metricsAvailable?.reason == "MetricsAvailable"
        }
        let demo = await records.entry("ml/demo")
        #expect(measured, "demo: \(String(describing: demo?.metricsAvailable)); proxy log: \(proxy.errorLog())")
        #expect((demo?.observed?.p95LatencyMs ?? 0) > 300, "p95 of the 400 ms workload: \(String(describing: demo?.observed))")

        let wrong = try #require(await records.entry("ml/wrong")?.metricsAvailable)
        #expect(wrong.reason == "MetricsUnavailable")
        #expect(wrong.message.contains("Prometheus refused our credentials (HTTP 401)"), "\(String(describing: wrong.message))")
        let anonymous = try #require(await records.entry("ml/anonymous")?.metricsAvailable)
        #expect(anonymous.message.contains("Prometheus refused our credentials (HTTP 401)"), "\(String(describing: anonymous.message))")
        let missing = try #require(await records.entry("ml/missing")?.metricsAvailable)
        #expect(missing.reason == "AuthSecretInvalid")
        #expect(missing.message.contains("Secret ml/prom-absent not found"), "\(String(describing: missing.message))")

        // The API server saw GETs of the named Secrets only, and a Warning Event for the missing one.
        let secretCalls = cluster.server.requestLog.records.filter { $0.resource == "secrets" && $0.verb != "create" }
        #expect(Set(secretCalls.map { "\($0.verb) \($0.name)" }).isSubset(of: ["get prom-auth", "get prom-wrong", "get prom-absent"]),
                "\(secretCalls.map { "\($0.verb) \($0.name)" })")
        let events = try await cluster.client.list(.events, namespace: "ml")["items"]?.arrayValue ?? []
        #expect(events.contains { $0["reason"] == "AuthSecretInvalid" && $0["type"] == "Warning" })
        #expect(!logs.withLock { $0.joined() }.contains(Self.token))
        #expect(!events.map { $0.serialized() }.joined().contains(Self.token))
    }
}

/// nginx in front of Prometheus: a TLS port (certificate from a test CA)
/// and a plain port, both answering 401 unless the bearer token matches.
struct AuthProxy {
    let process: ChildProcess
    let directory: String
    let certificates: String
    let tlsPort: Int
    let plainPort: Int

    static func start(upstreamPort: Int, token: String) async throws -> AuthProxy {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("promauth-nginx-\(UUID().uuidString)").path
        let certificates = directory + "/certs"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = packageRoot.appendingPathComponent("Tests/HTTPTests/Fixtures/make-certs.sh").path
        let made = try await Subprocess.run("/bin/sh", [script, certificates])
        guard made.status == 0 else { throw E2EError("make-certs.sh failed: \(made.output)") }
        let tlsPort = try freePort(), plainPort = try freePort()
        let temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map { "\($0)_temp_path \(directory)/\($0);" }.joined(separator: " ")
        let location = """
            location / {
                        if ($http_authorization != "Bearer \(token)") {
                            add_header Content-Type application/json always;
                            return 401 '{"status":"error","errorType":"unauthorized","error":"bearer token required"}';
                        }
                        proxy_pass http://127.0.0.1:\(upstreamPort);
                    }
            """
        let config = """
            worker_processes 1; daemon off; master_process off;
            pid \(directory)/nginx.pid; error_log \(directory)/error.log warn;
            events { worker_connections 64; }
            http {
                access_log off; \(temp)
                server {
                    listen 127.0.0.1:\(tlsPort) ssl;
                    ssl_certificate \(certificates)/server.pem;
                    ssl_certificate_key \(certificates)/server.key;
                    \(location)
                }
                server {
                    listen 127.0.0.1:\(plainPort);
                    \(location)
                }
            }
            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: nginxBinary!)
        process.arguments = ["-c", directory + "/nginx.conf", "-p", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let proxy = AuthProxy(process: process, directory: directory, certificates: certificates, tlsPort: tlsPort, plainPort: plainPort)
        let up = await eventually(timeout: .seconds(10)) {
            (try? await Subprocess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(plainPort)/"]))?.status == 0
        }
        guard up else {
            proxy.stop()
            throw E2EError("nginx did not start: \(proxy.errorLog())")
        }
        return proxy
    }

    func errorLog() -> String {
        (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
