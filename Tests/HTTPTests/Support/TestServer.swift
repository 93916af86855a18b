import ChildProcess
import TestSupport
import Foundation
import HTTP
import Testing

/// The Python server in Fixtures/test_server.py, started for one test on a
/// free 127.0.0.1 port and stopped when the test ends.
final class TestServer: @unchecked Sendable {
    enum Mode: Sendable {
        case plain
        /// HTTPS with the test CA's server certificate.
        case tls
        /// HTTPS that also requires a client certificate from the test CA.
        case mutualTLS
    }

    let port: Int
    let scheme: String
    private let process: ChildProcess

    private init(process: ChildProcess, port: Int, scheme: String) {
        self.process = process
        self.port = port
        self.scheme = scheme
    }

    func url(_ path: String) -> String { "\(scheme)://127.0.0.1:\(port)\(path)" }

    /// SIGKILL, not waiting: `waitUntilExit` would block a thread of the
    /// small cooperative pool the tests share.
    func stop() {
        let pid = process.processIdentifier
        if pid > 0 { kill(pid, SIGKILL) }
    }

    deinit { stop() }

    static func start(_ mode: Mode = .plain) async throws -> TestServer {
        let fixtures = try Fixtures.directory()
        let portFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("httptests-\(UUID().uuidString).port").path
        var arguments = [fixtures + "/test_server.py", "--port-file", portFile]
        if mode != .plain {
            let certs = try TestCertificates.shared.get()
            arguments += ["--cert", certs.path("server.pem"), "--key", certs.path("server.key")]
            if mode == .mutualTLS { arguments += ["--client-ca", certs.path("ca.pem")] }
        }
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Only bounds how long a failure takes: the suite starts dozens of these
        // Python servers at once, and on a loaded 2-core machine 20 s was not
        // enough for some (a CI run beside other builds: 57 "did not start").
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                try? FileManager.default.removeItem(atPath: portFile)
                return TestServer(process: process, port: port, scheme: mode == .plain ? "http" : "https")
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw TestSetupError("test server did not start (exit \(process.isRunning ? "-" : "\(process.terminationStatus)"))")
    }
}

/// Runs `body` against a fresh server and stops the server afterwards.
@discardableResult
func withTestServer<T>(_ mode: TestServer.Mode = .plain, _ body: (TestServer) async throws -> T) async throws -> T {
    let server = try await TestServer.start(mode)
    defer { server.stop() }
    return try await body(server)
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Fixtures {
    static func directory() throws -> String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw TestSetupError("Fixtures resource missing from the test bundle")
        }
        return url.path
    }
}

/// CA, server and client certificates made by Fixtures/make-certs.sh with
/// the openssl CLI, once per test run, in a temporary directory.
struct TestCertificates: Sendable {
    let directory: String

    static let shared: Result<TestCertificates, any Error> = Result { try generate() }

    func path(_ name: String) -> String { directory + "/" + name }

    func pem(_ name: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(name)) else {
            throw TestSetupError("missing \(name) in \(directory)")
        }
        return [UInt8](data)
    }

    /// The configuration a kubeconfig with this CA and client pair gives.
    func tls(ca: String? = "ca.pem", client: Bool = false, insecure: Bool = false, serverName: String? = nil) throws -> TLSConfiguration {
        TLSConfiguration(
            caPEM: try ca.map { try pem($0) },
            clientCertificatePEM: client ? try pem("client.pem") : nil,
            clientKeyPEM: client ? try pem("client.key") : nil,
            insecureSkipVerify: insecure,
            serverName: serverName)
    }

    private static func generate() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("httptests-certs-\(UUID().uuidString)").path
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [try Fixtures.directory() + "/make-certs.sh", directory]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSetupError("make-certs.sh failed with status \(process.terminationStatus)")
        }
        return TestCertificates(directory: directory)
    }
}

/// What /echo reports about the request it saw.
struct Echo: Decodable {
    let method: String
    let path: String
    let query: String
    let headers: [[String]]
    let body: String
    let sni: String?
    let connection: Int

    var bodyBytes: [UInt8] { Data(base64Encoded: body).map { [UInt8]($0) } ?? [] }

    func header(_ name: String) -> String? {
        headers.first { $0.first?.lowercased() == name.lowercased() }?.last
    }

    init(_ response: HTTPResponse) throws {
        self = try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }
}

/// /stats counters of a test server.
struct ServerStats: Decodable {
    let connections: Int
    let open_streams: Int
    let large_bytes_sent: Int

    static func fetch(_ server: TestServer, tls: TLSConfiguration = TLSConfiguration()) async throws -> ServerStats {
        let transport = try CurlTransport(tls: tls)
        let response = try await transport.send(HTTPRequest(url: server.url("/stats")))
        return try JSONDecoder().decode(ServerStats.self, from: Data(response.body))
    }
}

