import HTTP
import TestSupport
import Testing

/// Credentials embedded in a URL never reach an error message (and so never
/// a log line or a status condition built from one).
@Suite struct RedactionTests {
    @Test(arguments: [
        ("http://alice:s3cret@prom:9090/api", "http://alice:***@prom:9090/api"),
        ("https://token-only@host/x?y=1", "https://***@host/x?y=1"),
        ("http://a:b:c@[::1]:80", "http://a:***@[::1]:80"),
        ("http://host/path@not-userinfo", "http://host/path@not-userinfo"),
        ("http://u:p@host?q=@x", "http://u:***@host?q=@x"),
        ("http://host:9090", "http://host:9090"),
        ("not a url", "not a url"),
    ])
    func passwordsInURLsAreRedacted(url: String, expected: String) {
        #expect(redactingUserInfo(url) == expected)
    }

    @Test func invalidURLErrorsDoNotShowThePassword() async throws {
        let transport = try CurlTransport()
        await #expect {
            try await transport.send(HTTPRequest(url: "ftp://alice:hunter2-secret@127.0.0.1/"))
        } throws: { error in
            "\(error)".contains("alice:***@") && !"\(error)".contains("hunter2-secret")
        }
    }

    @Test func transportErrorsDoNotShowThePassword() async throws {
        let transport = try CurlTransport()
        let port = try freePort()  // bound and released: nothing listens there
        do {
            _ = try await transport.send(HTTPRequest(url: "http://alice:hunter2-secret@127.0.0.1:\(port)/", timeout: .milliseconds(500)))
            Issue.record("a closed port answered")
        } catch {
            #expect(!"\(error)".contains("hunter2-secret"), "\(error)")
        }
    }
}
