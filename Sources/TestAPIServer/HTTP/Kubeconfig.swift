import Foundation
import JSONValue

extension TestAPIServer {
    /// A kubeconfig for a test API server on 127.0.0.1: one cluster, user and
    /// context, all named `test-apiserver`, the context current.
    ///
    /// - `token`: the user's bearer token (nil: no credentials). Our libcurl
    ///   client sends it over plain HTTP; kubectl and Helm (client-go) send
    ///   none without TLS (kubernetes/kubectl#744), whatever the file says.
    /// - `namespace`: the context's namespace (what `-n` defaults to).
    ///
    /// Values are JSON strings (YAML reads JSON), so tokens need no escaping.
    public static func kubeconfig(port: Int, token: String? = nil, namespace: String = "default", host: String = "127.0.0.1") -> String {
        func quoted(_ text: String) -> String { JSON.string(text).serialized() }
        let user = token.map { "{token: \(quoted($0))}" } ?? "{}"
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: test-apiserver
              cluster: {server: \(quoted("http://\(host):\(port)"))}
            users:
            - name: test-apiserver
              user: \(user)
            contexts:
            - name: test-apiserver
              context: {cluster: test-apiserver, user: test-apiserver, namespace: \(quoted(namespace))}
            current-context: test-apiserver

            """
    }

    /// Writes `kubeconfig(port:token:namespace:host:)` to `path` (nil: a new file in
    /// the temporary directory) and returns the path.
    @discardableResult
    public static func writeKubeconfig(port: Int, token: String? = nil, namespace: String = "default", host: String = "127.0.0.1",
                                       to path: String? = nil) throws -> String {
        let path = path ?? FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)").path
        try kubeconfig(port: port, token: token, namespace: namespace, host: host).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `writeKubeconfig(port:token:namespace:host:to:)` for this server (after `start`).
    @discardableResult
    public func writeKubeconfig(token: String? = nil, namespace: String = "default", to path: String? = nil) throws -> String {
        try Self.writeKubeconfig(port: port, token: token, namespace: namespace, host: configuration.host, to: path)
    }
}
