import HTTP

/// Everything needed to reach one API server as one user.
public struct KubeClientConfiguration: Sendable {
    /// Base URL, e.g. `https://10.96.0.1:443`.
    public var server: String
    public var tls: TLSConfiguration
    public var credentials: Credentials
    /// The namespace of the context (or the pod's, in-cluster); "default" otherwise.
    public var namespace: String
    public var userAgent: String
    /// Timeout of ordinary requests (watches have none: they end by `timeoutSeconds`).
    public var requestTimeout: Duration
    /// Where this came from, for messages ("kubeconfig /root/.kube/config, context kind").
    public var source: String

    public init(server: String, tls: TLSConfiguration = TLSConfiguration(), credentials: Credentials = .none,
                namespace: String = "default", userAgent: String = "inference-operator/0.1.0",
                requestTimeout: Duration = .seconds(30), source: String = "explicit") {
        self.server = server
        self.tls = tls
        self.credentials = credentials
        self.namespace = namespace
        self.userAgent = userAgent
        self.requestTimeout = requestTimeout
        self.source = source
    }
}

/// How requests authenticate. Client certificates live in `TLSConfiguration`.
public enum Credentials: Sendable, Hashable {
    case none
    case token(String)
    /// A bearer token file, re-read whenever it changes (service-account
    /// tokens are rotated by the kubelet).
    case tokenFile(String)
    case basic(username: String, password: String)
    /// A `client.authentication.k8s.io/v1` exec credential plugin.
    case exec(ExecCredentialConfig)
}

/// kubeconfig's `user.exec`.
public struct ExecCredentialConfig: Sendable, Hashable {
    public var apiVersion: String
    public var command: String
    public var args: [String]
    public var env: [String: String]
    public var installHint: String?
    /// Passed to the plugin in `KUBERNETES_EXEC_INFO` when `provideClusterInfo` is set.
    public var clusterServer: String?
    public var provideClusterInfo: Bool

    public init(apiVersion: String, command: String, args: [String] = [], env: [String: String] = [:],
                installHint: String? = nil, clusterServer: String? = nil, provideClusterInfo: Bool = false) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        self.installHint = installHint
        self.clusterServer = clusterServer
        self.provideClusterInfo = provideClusterInfo
    }
}
