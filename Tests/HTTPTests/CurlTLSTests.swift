import Foundation
import HTTP
import Testing

/// TLS verification, client certificates and `serverName` against the
/// Python server with certificates made by Fixtures/make-certs.sh.
@Suite struct CurlTLSTests {
    private var certs: TestCertificates { get throws { try TestCertificates.shared.get() } }

    private func isTLSError(_ error: any Error) -> Bool {
        if case HTTPError.tls(let message) = error { !message.isEmpty } else { false }
    }

    @Test func trustsAServerSignedByTheGivenCA() async throws {
        try await withTestServer(.tls) { server in
            let transport = try CurlTransport(tls: try certs.tls())
            let response = try await transport.send(HTTPRequest(method: .post, url: server.url("/echo"), body: Array("over tls".utf8)))
            #expect(response.status == 200)
            #expect(try Echo(response).bodyBytes == Array("over tls".utf8))
        }
    }

    @Test(arguments: ["other-ca.pem", nil] as [String?])
    func rejectsAServerItCannotVerify(ca: String?) async throws {
        try await withTestServer(.tls) { server in
            let transport = try CurlTransport(tls: try certs.tls(ca: ca))
            await #expect { try await transport.send(HTTPRequest(url: server.url("/echo"))) } throws: { isTLSError($0) }
        }
    }

    @Test(arguments: ["other-ca.pem", nil] as [String?])
    func insecureSkipVerifyAcceptsAnyServer(ca: String?) async throws {
        try await withTestServer(.tls) { server in
            let transport = try CurlTransport(tls: try certs.tls(ca: ca, insecure: true))
            #expect(try await transport.send(HTTPRequest(url: server.url("/small"))).bodyText == "ok")
        }
    }

    @Test func clientCertificateIsPresentedWhenRequired() async throws {
        try await withTestServer(.mutualTLS) { server in
            let transport = try CurlTransport(tls: try certs.tls(client: true))
            #expect(try await transport.send(HTTPRequest(url: server.url("/small"))).bodyText == "ok")
            let stream = try await transport.stream(HTTPRequest(url: server.url("/chunked-lines")))
            var lines = 0
            for try await _ in stream.lines { lines += 1 }
            #expect(lines == 5)
        }
    }

    /// With TLS 1.3 the server rejects the missing certificate after the
    /// client's side of the handshake is done: curl then reads the server's
    /// alert (a TLS error) or, when the server's reset wins the race, fails
    /// on the closed connection.
    @Test func missingClientCertificateFailsTheRequest() async throws {
        try await withTestServer(.mutualTLS) { server in
            let transport = try CurlTransport(tls: try certs.tls(client: false))
            await #expect { try await transport.send(HTTPRequest(url: server.url("/small"))) } throws: { error in
                if case HTTPError.connection = error { return true }
                return isTLSError(error)
            }
        }
    }

    @Test func serverNameIsVerifiedAndSentWhileConnectingToTheURLsHost() async throws {
        try await withTestServer(.tls) { server in
            let transport = try CurlTransport(tls: try certs.tls(serverName: "api.test.internal"))
            let echo = try Echo(try await transport.send(HTTPRequest(url: server.url("/echo?q=1"))))
            #expect(echo.sni == "api.test.internal")
            #expect(echo.header("Host") == "127.0.0.1:\(server.port)")
            #expect(echo.query == "q=1")
        }
    }

    @Test func serverNameNotInTheCertificateIsATLSError() async throws {
        try await withTestServer(.tls) { server in
            let transport = try CurlTransport(tls: try certs.tls(serverName: "other.test.internal"))
            await #expect { try await transport.send(HTTPRequest(url: server.url("/echo"))) } throws: { isTLSError($0) }
        }
    }

    @Test func connectionsAreReusedOverTLS() async throws {
        try await withTestServer(.tls) { server in
            let transport = try CurlTransport(tls: try certs.tls())
            for _ in 0..<5 { _ = try await transport.send(HTTPRequest(url: server.url("/small"))) }
            #expect(transport.statistics.connectionsOpened == 1)
        }
    }

    @Test func unusablePEMIsATLSError() async throws {
        try await withTestServer(.tls) { server in
            let transport = try CurlTransport(tls: TLSConfiguration(caPEM: Array("not a certificate".utf8)))
            await #expect { try await transport.send(HTTPRequest(url: server.url("/small"))) } throws: { isTLSError($0) }
        }
    }

    @Test(arguments: [
        TLSConfiguration(serverName: "bad name"), TLSConfiguration(serverName: "host:443"), TLSConfiguration(serverName: ""),
        TLSConfiguration(clientCertificatePEM: [1]), TLSConfiguration(clientKeyPEM: [1]),
    ])
    func inconsistentConfigurationIsRejectedUpFront(tls: TLSConfiguration) {
        #expect { try CurlTransport(tls: tls) } throws: { isTLSError($0) }
    }
}
