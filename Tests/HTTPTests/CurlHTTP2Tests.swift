import ChildProcess
import Foundation
import HTTP
import TestSupport
import Testing

private let nginxPath = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// HTTP/2 over TLS needs a server that speaks it; Python's standard library
/// does not, so this runs against nginx (`make bootstrap` installs it) and
/// is skipped where nginx is missing.
@Suite(.enabled(if: nginxPath != nil, "nginx is not installed"))
struct CurlHTTP2Tests {
    @Test func negotiatesHTTP2AndMultiplexesOnOneConnection() async throws {
        let nginx = try #require(nginxPath)
        let certs = try TestCertificates.shared.get()
        let port = try await withTestServer { server in
            try await CurlTransport().send(HTTPRequest(url: server.url("/free-port"))).bodyText
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("httptests-nginx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = """
            worker_processes 1; daemon off; master_process off;
            pid \(directory)/nginx.pid; error_log \(directory)/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                server {
                    listen 127.0.0.1:\(port) ssl http2;
                    ssl_certificate \(certs.path("server.pem"));
                    ssl_certificate_key \(certs.path("server.key"));
                    location / { default_type text/plain; return 200 "$server_protocol"; }
                }
            }
            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-c", directory + "/nginx.conf", "-p", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { kill(process.processIdentifier, SIGKILL) }

        let transport = try CurlTransport(tls: try certs.tls())
        let url = "https://127.0.0.1:\(port)/"
        #expect(await eventually(timeout: .seconds(20)) { (try? await transport.send(HTTPRequest(url: url))) != nil })
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { try await transport.send(HTTPRequest(url: url)).bodyText } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(bodies == Array(repeating: "HTTP/2.0", count: 16))
        #expect(transport.statistics.connectionsOpened == 1)
    }
}
