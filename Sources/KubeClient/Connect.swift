#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP

extension KubeClient {
    /// Where the client configuration comes from.
    public enum ConfigSource: Sendable, Equatable {
        /// In-cluster when `KUBERNETES_SERVICE_HOST` is set and no
        /// `$KUBECONFIG` is given, else kubeconfig (as client-go's default loading rules).
        case automatic
        case inCluster
        /// Explicit kubeconfig files (empty: `$KUBECONFIG` or `~/.kube/config`).
        case kubeconfig(paths: [String])
    }

    /// Loads the configuration and builds a client over libcurl.
    public static func connect(_ source: ConfigSource = .automatic, context: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws(KubeAPIError) -> KubeClient {
        let configuration = try loadConfiguration(source, context: context, environment: environment)
        var options = CurlTransport.Options()
        options.userAgent = configuration.userAgent
        let transport: CurlTransport
        do {
            transport = try CurlTransport(tls: configuration.tls, options: options)
        } catch {
            throw .configuration("\(configuration.source): \(error)")
        }
        return KubeClient(configuration: configuration, transport: transport)
    }

    public static func loadConfiguration(_ source: ConfigSource, context: String? = nil,
                                         environment: [String: String] = ProcessInfo.processInfo.environment) throws(KubeAPIError) -> KubeClientConfiguration {
        switch source {
        case .inCluster:
            return try InClusterConfig.load(environment: environment)
        case .kubeconfig(let paths):
            let files = paths.isEmpty ? Kubeconfig.defaultPaths(environment: environment) : paths
            return try Kubeconfig(files: files).configuration(context: context)
        case .automatic:
            let hasKubeconfigEnv = !(environment["KUBECONFIG"] ?? "").isEmpty
            if !hasKubeconfigEnv, context == nil, !(environment["KUBERNETES_SERVICE_HOST"] ?? "").isEmpty {
                return try InClusterConfig.load(environment: environment)
            }
            return try Kubeconfig(files: Kubeconfig.defaultPaths(environment: environment)).configuration(context: context)
        }
    }
}
