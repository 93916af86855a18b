import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import TestAPIServer
import TestSupport
import Testing
import YAML

/// The operator at its most verbose (trace), with a Kubernetes bearer token
/// and Prometheus basic-auth credentials in its URL, through Prometheus
/// answering 401, an HTML error page and dropped connections: the secrets are
/// used (the servers saw them) but appear in no log line, status or Event.
@Suite(.serialized)
struct SecretsInLogsTests {
    static let kubeToken = "kube-secret-token-4f9a1c77e2"
    static let prometheusPassword = "prom-secret-pass-8d2b55"

    @Test func tokensAndPasswordsNeverAppearInLogsStatusOrEvents() async throws {
        var configuration = TestAPIServer.Configuration()
        configuration.cluster.simulateDeployments = true
        configuration.access = AccessControl(tokens: [Self.kubeToken: UserInfo(name: "operator-sa", groups: ["system:masters"])])
        let server = TestAPIServer(configuration: configuration)
        let port = try await server.start()
        let kubeconfig = try server.writeKubeconfig(token: Self.kubeToken)
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:\(port)", credentials: .token(Self.kubeToken)),
                                transport: try CurlTransport())
        let crd = try YAML.parse(String(contentsOf: packageRoot.appendingPathComponent("CRDs/serving.swiftinfer.io_inferenceservices.yaml"), encoding: .utf8))
        _ = try await client.create(.customResourceDefinitions, crd)
        _ = try await client.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "ml"]])
        let cluster = Cluster(server: server, client: client, kubeconfig: kubeconfig)

        // No upstream: every mode used here answers by itself.
        let proxy = try await PrometheusFaultProxy.start(upstream: "http://127.0.0.1:9")
        try await proxy.set(mode: "unauthorized")
        let proxyURL = "http://promuser:\(Self.prometheusPassword)@127.0.0.1:\(proxy.port)"
        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: proxyURL, extra: ["--log-level", "trace"])
        _ = try await client.create(inferenceServiceType, FaultInjectionTests.inferenceService())

        var failuresSeen = 0
        for mode in ["unauthorized", "html", "down"] {
            try await proxy.set(mode: mode)
            let queries = try await proxy.seen().queries
            let answered = try await eventually(timeout: .seconds(30)) { try await proxy.seen().queries >= queries + 3 }
            #expect(answered, "the operator queried Prometheus while it was \(mode)")
            if answered { failuresSeen += 1 }
        }
        let unavailable = try await eventually(timeout: .seconds(20)) {
            try await client.get(inferenceServiceType, name: "demo", namespace: "ml").condition("MetricsAvailable")?["status"] == "False"
        }
        #expect(unavailable)

        // The secrets were used...
        let basic = "Basic " + Data("promuser:\(Self.prometheusPassword)".utf8).base64EncodedString()
        #expect(try await proxy.seen().authorization == [basic])
        let users = Set(server.requestLog.records.filter { $0.userAgent.hasPrefix("inference-operator") }.map(\.user))
        #expect(users == ["operator-sa"], "\(users)")

        // ...and are nowhere a person or a log collector can read them.
        _ = await op.process.stop()
        let log = op.process.log
        let object = try await client.get(inferenceServiceType, name: "demo", namespace: "ml").serialized()
        let events = try await client.list(.events, namespace: "ml").serialized()
        let secrets = [Self.kubeToken, Self.prometheusPassword, String(basic.dropFirst(6))]
        for (place, text) in [("operator log", log), ("InferenceService", object), ("Events", events)] {
            for secret in secrets {
                #expect(!text.contains(secret), "\(place) shows a secret:\n\(text.suffix(3000))")
            }
        }
        #expect(log.contains("promuser:***@"), "the Prometheus URL is logged with its password redacted")
        print("secrets-in-logs: \(log.split(separator: "\n").count) log lines at trace, \(server.requestLog.records.count) API requests, \(try await proxy.seen().queries) Prometheus queries through \(failuresSeen) failure modes; 0 secrets found in log, status or Events")
        await proxy.process.stop()
        try await server.shutdown()
    }
}
