import Foundation
import HTTP
import Testing
import TestSupport
@testable import KubeClient

@Suite struct AuthenticationTests {
    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func tokenFilesAreReReadWhenTheyRotate() async throws {
        let dir = try tempDir()
        let file = dir.appendingPathComponent("token")
        try "first\n".write(to: file, atomically: true, encoding: .utf8)
        let auth = Authenticator(credentials: .tokenFile(file.path))
        #expect(try await auth.authorizationHeader() == "Bearer first")
        try "second".write(to: file, atomically: true, encoding: .utf8)
        // Atomic replace gives a new file; make sure the mtime differs even on coarse clocks.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: file.path)
        #expect(try await auth.authorizationHeader() == "Bearer second")
    }

    @Test func missingTokenFileNamesThePath() async {
        let auth = Authenticator(credentials: .tokenFile("/nonexistent/token"))
        await #expect {
            _ = try await auth.authorizationHeader()
        } throws: { error in
            "\(error)".contains("/nonexistent/token")
        }
    }

    @Test func basicAuthIsBase64OfUserAndPassword() async throws {
        let auth = Authenticator(credentials: .basic(username: "admin", password: "s3cret"))
        #expect(try await auth.authorizationHeader() == "Basic YWRtaW46czNjcmV0")
    }

    /// The plugin command: `/bin/sh SCRIPT` rather than the script itself. Exec'ing a file fails with
    /// ETXTBSY while any process holds it open for writing, and a child forked by a test running in
    /// parallel (`system(3)` in a fixture) can inherit the write descriptor of a script just written
    /// here and keep it for its whole life; the shell only reads the script.
    static func shell(running script: URL) -> ExecCredentialConfig {
        ExecCredentialConfig(apiVersion: "client.authentication.k8s.io/v1", command: "/bin/sh", args: [script.path])
    }

    /// A real exec plugin: a shell script that counts its runs.
    func plugin(in dir: URL, expiresIn seconds: Int?) throws -> (ExecCredentialConfig, URL) {
        let counter = dir.appendingPathComponent("runs")
        let expiry = seconds.map { s in
            #", "expirationTimestamp": "\#(Timestamps.format(Date().addingTimeInterval(Double(s))))""#
        } ?? ""
        let script = """
            #!/bin/sh
            echo run >> "\(counter.path)"
            n=$(wc -l < "\(counter.path)" | tr -d ' ')
            test -n "$KUBERNETES_EXEC_INFO" || exit 3
            echo "{\\"apiVersion\\": \\"client.authentication.k8s.io/v1\\", \\"kind\\": \\"ExecCredential\\", \\"status\\": {\\"token\\": \\"tok-$n\\"\(expiry.replacingOccurrences(of: "\"", with: "\\\""))}}"
            """
        let path = dir.appendingPathComponent("plugin.sh")
        try script.write(to: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.path)
        return (Self.shell(running: path), counter)
    }

    @Test func execPluginTokensAreCachedUntilExpiry() async throws {
        let dir = try tempDir()
        let (config, _) = try plugin(in: dir, expiresIn: 3600)
        let auth = Authenticator(credentials: .exec(config))
        #expect(try await auth.authorizationHeader() == "Bearer tok-1")
        #expect(try await auth.authorizationHeader() == "Bearer tok-1")
        await auth.invalidate()
        #expect(try await auth.authorizationHeader() == "Bearer tok-2")
    }

    @Test func execPluginTokensPastExpiryAreRefreshed() async throws {
        let dir = try tempDir()
        let (config, _) = try plugin(in: dir, expiresIn: 5)  // inside the 10 s refresh margin
        let auth = Authenticator(credentials: .exec(config))
        #expect(try await auth.authorizationHeader() == "Bearer tok-1")
        #expect(try await auth.authorizationHeader() == "Bearer tok-2")
    }

    @Test func execPluginFailureIsAClearConfigurationError() async throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("fail.sh")
        try "#!/bin/sh\necho 'no credentials for you' >&2\nexit 4\n".write(to: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.path)
        let auth = Authenticator(credentials: .exec(Self.shell(running: path)))
        await #expect {
            _ = try await auth.authorizationHeader()
        } throws: { error in
            "\(error)".contains("exited with 4") && "\(error)".contains("no credentials for you")
        }
    }

    @Test(arguments: [
        (#"not json"#, "invalid JSON"),
        (#"{"kind":"Other"}"#, "not an ExecCredential"),
        (#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}}"#, "no status.token"),
        (#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"x"}}"#, "expected client.authentication.k8s.io/v1"),
        (#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"x","expirationTimestamp":"soon"}}"#, "invalid status.expirationTimestamp"),
    ])
    func badPluginOutputIsRejected(output: String, message: String) {
        let config = ExecCredentialConfig(apiVersion: "client.authentication.k8s.io/v1", command: "p")
        #expect {
            _ = try ExecPlugin.parse(Array(output.utf8), config: config)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func unauthorizedRetriesOnceWithFreshCredentials() async throws {
        let dir = try tempDir()
        let (config, _) = try plugin(in: dir, expiresIn: 3600)
        let transport = ScriptedTransport { request, _ in
            if request.headers["Authorization"] == "Bearer tok-1" {
                return .response(HTTPResponse(status: 401, body: Array(#"{"kind":"Status","code":401,"reason":"Unauthorized","message":"expired"}"#.utf8)))
            }
            return .response(HTTPResponse(status: 200, body: Array(#"{"metadata":{"name":"p"}}"#.utf8)))
        }
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://x", credentials: .exec(config)), transport: transport)
        _ = try await client.get(.pods, name: "p")
        #expect(transport.requests.map { $0.headers["Authorization"] } == ["Bearer tok-1", "Bearer tok-2"])
    }

    @Test func timestampsRoundTripMicroTime() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let text = Timestamps.formatMicro(date)
        #expect(text == "2023-11-14T22:13:20.123456Z")
        let parsed = try #require(Timestamps.parse(text))
        #expect(abs(parsed.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.001)
    }
}
