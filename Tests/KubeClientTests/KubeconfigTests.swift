import Foundation
import HTTP
import Testing
@testable import KubeClient

@Suite struct KubeconfigTests {
    func write(_ text: String, name: String = "config", in dir: URL? = nil) throws -> URL {
        let folder = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("kcfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static let base = """
        apiVersion: v1
        kind: Config
        current-context: dev
        clusters:
        - name: dev-cluster
          cluster:
            server: https://10.0.0.1:6443
            certificate-authority-data: \(Data("CA-PEM".utf8).base64EncodedString())
            tls-server-name: kubernetes.default
        - name: prod-cluster
          cluster:
            server: https://prod.example:443
            insecure-skip-tls-verify: true
        users:
        - name: dev-user
          user:
            token: abc123
        - name: prod-user
          user:
            username: admin
            password: pw
        contexts:
        - name: dev
          context:
            cluster: dev-cluster
            user: dev-user
            namespace: team-a
        - name: prod
          context:
            cluster: prod-cluster
            user: prod-user
        """

    @Test func currentContextSelectsClusterUserAndNamespace() throws {
        let config = try Kubeconfig(text: Self.base, file: "/x/config").configuration()
        #expect(config.server == "https://10.0.0.1:6443")
        #expect(config.tls.caPEM == Array("CA-PEM".utf8))
        #expect(config.tls.serverName == "kubernetes.default")
        #expect(config.tls.insecureSkipVerify == false)
        #expect(config.credentials == .token("abc123"))
        #expect(config.namespace == "team-a")
    }

    @Test func contextFlagOverridesCurrentContext() throws {
        let config = try Kubeconfig(text: Self.base, file: "/x/config").configuration(context: "prod")
        #expect(config.server == "https://prod.example:443")
        #expect(config.tls.insecureSkipVerify)
        #expect(config.credentials == .basic(username: "admin", password: "pw"))
        #expect(config.namespace == "default")
    }

    @Test func severalFilesMergeAndTheFirstWins() throws {
        let first = try write("""
            current-context: mine
            contexts:
            - name: mine
              context: {cluster: c1, user: u1}
            clusters:
            - name: c1
              cluster: {server: "https://first:6443"}
            users:
            - name: u1
              user: {token: from-first}
            """)
        let second = try write("""
            current-context: theirs
            contexts:
            - name: theirs
              context: {cluster: c1, user: u1}
            clusters:
            - name: c1
              cluster: {server: "https://second:6443"}
            users:
            - name: u1
              user: {token: from-second}
            - name: u2
              user: {token: only-second}
            """)
        let paths = Kubeconfig.defaultPaths(environment: ["KUBECONFIG": "\(first.path):/missing/file:\(second.path)", "HOME": "/root"])
        #expect(paths.count == 3)
        let merged = try Kubeconfig(files: paths)
        #expect(merged.files == [first.path, second.path])
        let config = try merged.configuration()
        #expect(config.server == "https://first:6443")
        #expect(config.credentials == .token("from-first"))
        #expect(try merged.configuration(context: "theirs").server == "https://first:6443")  // cluster c1 from the first file
    }

    @Test func defaultPathIsHomeKubeConfig() {
        #expect(Kubeconfig.defaultPaths(environment: ["HOME": "/home/u"]) == ["/home/u/.kube/config"])
    }

    @Test func relativeFilesResolveAgainstTheKubeconfigFolder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kcfg-\(UUID().uuidString)")
        _ = try write("CA FILE", name: "ca.pem", in: dir)
        _ = try write("CERT", name: "client.crt", in: dir)
        _ = try write("KEY", name: "client.key", in: dir)
        _ = try write("tok-from-file\n", name: "token", in: dir)
        let file = try write("""
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "https://k:6443", certificate-authority: ca.pem}}]
            users:
            - name: u
              user: {client-certificate: client.crt, client-key: client.key, tokenFile: token}
            """, in: dir)
        let config = try Kubeconfig(files: [file.path]).configuration()
        #expect(config.tls.caPEM == Array("CA FILE".utf8))
        #expect(config.tls.clientCertificatePEM == Array("CERT".utf8))
        #expect(config.tls.clientKeyPEM == Array("KEY".utf8))
        #expect(config.credentials == .tokenFile(dir.appendingPathComponent("token").path))
    }

    @Test func execPluginIsConfigured() throws {
        let config = try Kubeconfig(text: """
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: aws
                  args: [eks, get-token, --cluster-name, demo]
                  env: [{name: AWS_PROFILE, value: dev}]
                  provideClusterInfo: true
                  interactiveMode: Never
            """, file: "/x/config").configuration()
        guard case .exec(let exec) = config.credentials else { Issue.record("not exec"); return }
        #expect(exec.command == "aws")
        #expect(exec.args == ["eks", "get-token", "--cluster-name", "demo"])
        #expect(exec.env == ["AWS_PROFILE": "dev"])
        #expect(exec.provideClusterInfo)
        #expect(exec.clusterServer == "https://k:6443")
    }

    @Test(arguments: [
        ("contexts: [{name: c, context: {cluster: k}}]\ncurrent-context: c", "context \"c\": cluster \"k\" not found"),
        ("contexts: [{name: c, context: {user: u}}]\ncurrent-context: c", "context \"c\": missing field 'cluster'"),
        ("contexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {insecure-skip-tls-verify: true}}]\ncurrent-context: c",
         "cluster \"k\": missing field 'server'"),
        ("contexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: 'ftp://x'}}]\ncurrent-context: c",
         "is not an http(s) URL"),
        ("contexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: 'https://x', certificate-authority-data: '@@@'}}]\ncurrent-context: c",
         "'certificate-authority-data' is not valid base64"),
        ("contexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: 'https://x'}}]\nusers: [{name: u, user: {client-certificate-data: Zm9v}}]\ncurrent-context: c",
         "client-certificate and client-key must be given together"),
        ("contexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: 'https://x'}}]\nusers: [{name: u, user: {exec: {apiVersion: v1}}}]\ncurrent-context: c",
         "exec is missing field 'command'"),
        ("clusters: [{cluster: {server: 'https://x'}}]", "clusters[0] is missing field 'name'"),
        ("clusters: {a: b}", "'clusters' must be a list"),
        ("contexts: []", "no current-context set"),
        ("current-context: nope\ncontexts: [{name: c, context: {cluster: k}}]", "context \"nope\" not found"),
        ("- just\n- a list", "expected a mapping at the top level"),
        ("key: [unclosed", "line"),
    ])
    func badKubeconfigsNameTheFileContextAndField(text: String, message: String) {
        #expect {
            _ = try Kubeconfig(text: text, file: "/etc/kube/bad.yaml").configuration()
        } throws: { error in
            let description = "\(error)"
            return description.contains(message) && description.contains("/etc/kube/bad.yaml")
        }
    }

    @Test func noKubeconfigAtAllIsAClearError() {
        #expect {
            _ = try Kubeconfig(files: ["/nonexistent/a", "/nonexistent/b"])
        } throws: { error in
            "\(error)".contains("no kubeconfig found") && "\(error)".contains("/nonexistent/a")
        }
    }
}

@Suite struct InClusterConfigTests {
    @Test func readsServiceAccountFilesAndEnvironment() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "tok".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try "CA".write(to: dir.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        try "ml-system\n".write(to: dir.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
        let config = try InClusterConfig.load(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"], directory: dir.path)
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.namespace == "ml-system")
        #expect(config.tls.caPEM == Array("CA".utf8))
        #expect(config.credentials == .tokenFile(dir.appendingPathComponent("token").path))
        let v6 = try InClusterConfig.load(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"], directory: dir.path)
        #expect(v6.server == "https://[fd00::1]:443")
    }

    @Test(arguments: [
        ([String: String](), "KUBERNETES_SERVICE_HOST is not set"),
        (["KUBERNETES_SERVICE_HOST": "h"], "KUBERNETES_SERVICE_PORT is not set"),
        (["KUBERNETES_SERVICE_HOST": "h", "KUBERNETES_SERVICE_PORT": "1"], "cannot read token file /nonexistent/token"),
    ])
    func missingPiecesAreNamed(environment: [String: String], message: String) {
        #expect {
            _ = try InClusterConfig.load(environment: environment, directory: "/nonexistent")
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
