import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming
import HTTP
import KubeClient
import Logging
import Metrics
import Operator
import Prometheus

/// `inference-operator run`: the operator process.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the operator: watch InferenceServices, manage their Deployments and Services, and scale them.",
        discussion: """
            Every option can also be set through the environment variable named in its help.
            Kubernetes access: in-cluster when KUBERNETES_SERVICE_HOST is set and no kubeconfig is given,
            else $KUBECONFIG (several files merged, first wins) or ~/.kube/config.
            """)

    @Option(help: "Kubeconfig file(s), colon-separated. Env: KUBECONFIG.")
    var kubeconfig: String?

    @Option(help: "Kubeconfig context (default: current-context).")
    var context: String?

    @Flag(help: "Use the pod's service account even when a kubeconfig exists.")
    var inCluster = false

    @Option(help: "Namespaces to watch, comma-separated; empty watches all. Env: WATCH_NAMESPACES.")
    var namespaces: String?

    @Option(help: "Prometheus base URL for objects that name none. Env: PROMETHEUS_URL.")
    var prometheusURL: String?

    @Option(help: "Concurrent reconcile workers. Env: WORKERS.")
    var workers: Int?

    @Option(help: "Leader election on/off (true|false). Env: LEADER_ELECT. Default true.")
    var leaderElect: Bool?

    @Option(help: "Lease name. Env: LEASE_NAME.")
    var leaseName: String?

    @Option(help: "Lease namespace. Env: LEASE_NAMESPACE, else POD_NAMESPACE, else default.")
    var leaseNamespace: String?

    @Option(help: "Identity in the lease. Env: POD_NAME, else the host name.")
    var identity: String?

    @Option(help: "Lease duration in seconds (controller-runtime default 15).")
    var leaseDurationSeconds: Int = 15

    @Option(help: "Renew deadline in seconds (default 10).")
    var renewDeadlineSeconds: Int = 10

    @Option(help: "Retry period in seconds (default 2).")
    var retryPeriodSeconds: Int = 2

    @Flag(help: "Render a prometheus-operator ServiceMonitor per InferenceService (when the cluster serves monitoring.coreos.com/v1). Env: SERVICE_MONITORS=true.")
    var serviceMonitors = false

    @Option(help: "Extra labels of those ServiceMonitors, key=value,... (e.g. release=prometheus). Env: SERVICE_MONITOR_LABELS.")
    var serviceMonitorLabels: String?

    @Option(help: "host:port of /metrics, /healthz, /readyz. Env: METRICS_BIND_ADDRESS. Default 0.0.0.0:8080.")
    var metricsBindAddress: String?

    @Flag(help: "Follow KEDA-style fallback replicas for objects that configure them when metrics fail. Env: FOLLOW_FALLBACK=true.")
    var followFallback = false

    @Option(help: "trace|debug|info|notice|warning|error|critical. Env: LOG_LEVEL. Default info.")
    var logLevel: String?

    @Option(help: "json|text. Env: LOG_FORMAT. Default json.")
    var logFormat: String?

    @Option(help: "Write the metrics port actually bound to this file (tests bind port 0).")
    var portFile: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let level = Logger.Level(rawValue: logLevel ?? env["LOG_LEVEL"] ?? "info") ?? .info
        let format = logFormat ?? env["LOG_FORMAT"] ?? "json"
        guard format == "json" || format == "text" else { throw ValidationError("--log-format must be json or text, got \(format)") }
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = format == "json" ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "inference-operator")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let source: KubeClient.ConfigSource
        if inCluster {
            source = .inCluster
        } else if let kubeconfig {
            source = .kubeconfig(paths: kubeconfig.split(separator: ":").map(String.init))
        } else {
            source = .automatic
        }
        let client = try KubeClient.connect(source, context: context)
        let prometheusTransport = try CurlTransport()

        let identity = self.identity ?? env["POD_NAME"] ?? ProcessInfo.processInfo.hostName
        var options = OperatorOptions(
            prometheusURL: prometheusURL ?? env["PROMETHEUS_URL"] ?? "http://prometheus-operated.monitoring.svc:9090",
            identity: identity)
        let watch = namespaces ?? env["WATCH_NAMESPACES"] ?? ""
        let list = watch.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        options.namespaces = list.isEmpty ? nil : list
        options.workers = workers ?? env["WORKERS"].flatMap(Int.init) ?? 4
        guard options.workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        options.leaderElection = leaderElect ?? env["LEADER_ELECT"].flatMap(Bool.init) ?? true
        options.leaseName = leaseName ?? env["LEASE_NAME"] ?? "inference-operator"
        options.leaseNamespace = leaseNamespace ?? env["LEASE_NAMESPACE"] ?? env["POD_NAMESPACE"] ?? client.namespace
        guard leaseDurationSeconds > renewDeadlineSeconds, renewDeadlineSeconds > retryPeriodSeconds, retryPeriodSeconds >= 1 else {
            throw ValidationError("need lease duration > renew deadline > retry period >= 1 s")
        }
        options.leaseDuration = .seconds(leaseDurationSeconds)
        options.renewDeadline = .seconds(renewDeadlineSeconds)
        options.retryPeriod = .seconds(retryPeriodSeconds)
        options.followFallback = followFallback || env["FOLLOW_FALLBACK"] == "true"
        if serviceMonitors || env["SERVICE_MONITORS"] == "true" {
            do {
                options.serviceMonitorLabels = try LabelList.parse(serviceMonitorLabels ?? env["SERVICE_MONITOR_LABELS"] ?? "")
            } catch {
                throw ValidationError("--service-monitor-labels: \(error)")
            }
        } else if serviceMonitorLabels != nil {
            throw ValidationError("--service-monitor-labels needs --service-monitors")
        }
        let bind = metricsBindAddress ?? env["METRICS_BIND_ADDRESS"] ?? "0.0.0.0:8080"
        guard let colon = bind.lastIndex(of: ":"), let port = Int(bind[bind.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--metrics-bind-address must be host:port, got \(bind)")
        }
        options.metricsHost = String(bind[..<colon])
        options.metricsPort = port

        logger.info("starting", metadata: [
            "version": "\(ProductVersion.string)", "server": "\(redactingUserInfo(client.configuration.server))",
            "namespaces": "\(options.namespaces?.joined(separator: ",") ?? "all")", "identity": "\(identity)",
            "leaderElection": "\(options.leaderElection)", "prometheus": "\(redactingUserInfo(options.prometheusURL))",
            "http": "\(LibcurlInfo.loaded.summary)"])
        let runtime = OperatorRuntime(client: client, transport: prometheusTransport, options: options, registry: registry, logger: logger)
        let portFile = self.portFile
        try await runtime.run { port in
            if let portFile { try? String(port).write(toFile: portFile, atomically: true, encoding: .utf8) }
        }
        logger.info("stopped")
    }
}
