@testable import HTTP
import Testing

@Suite struct PreparedRequestTests {
    @Test(arguments: [
        "", "not a url", "ftp://host/file", "http://", "http:///path", "http://host:99999/", "http://host:0/",
        "http://host:/x", "http://ho st/", "http://host/a b", "http://[::1/", "http://[::1]x/", "https://host:12a/",
        "http://host/\u{0}x", "mailto:someone@example.com",
    ])
    func rejectsInvalidURLs(url: String) {
        #expect(throws: HTTPError.invalidURL(url)) { try PreparedRequest(HTTPRequest(url: url), serverName: nil) }
    }

    @Test(arguments: [
        ("http://example.com", "example.com", 80, ""),
        ("HTTPS://example.com/api?x=1", "example.com", 443, "/api?x=1"),
        ("https://10.0.0.1:6443/api/v1", "10.0.0.1", 6443, "/api/v1"),
        ("http://[::1]:8080/x#frag", "[::1]", 8080, "/x#frag"),
        ("http://user:pw@host:81?q", "host", 81, "?q"),
    ] as [(String, String, Int, String)])
    func parsesHostPortAndRest(url: String, host: String, port: Int, rest: String) throws {
        let parsed = try RequestURL(parsing: url)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
        #expect(parsed.rest == rest)
    }

    @Test func serverNameRewritesTheURLAndRoutesToTheRealHost() throws {
        let request = HTTPRequest(url: "https://10.0.0.1:6443/api?watch=1")
        let prepared = try PreparedRequest(request, serverName: "kubernetes.default.svc")
        #expect(prepared.url == "https://kubernetes.default.svc:6443/api?watch=1")
        #expect(prepared.connectTo == "kubernetes.default.svc:6443:10.0.0.1:6443")
        #expect(prepared.headerLines.contains("Host: 10.0.0.1:6443"))
        #expect(prepared.originalURL == request.url)
    }

    @Test func serverNameKeepsDefaultPortAndIPv6Brackets() throws {
        let prepared = try PreparedRequest(HTTPRequest(url: "https://[fd00::1]/healthz"), serverName: "api.internal")
        #expect(prepared.url == "https://api.internal:443/healthz")
        #expect(prepared.connectTo == "api.internal:443:[fd00::1]:443")
        #expect(prepared.headerLines.contains("Host: [fd00::1]"))
    }

    @Test(arguments: [("http://10.0.0.1/x", "name"), ("https://name:443/x", "name"), ("https://10.0.0.1/x", "")])
    func serverNameIsIgnoredWhereItChangesNothing(url: String, serverName: String) throws {
        let prepared = try PreparedRequest(HTTPRequest(url: url), serverName: serverName)
        #expect(prepared.url == url)
        #expect(prepared.connectTo == nil)
    }

    @Test func headersKeepOrderAndSuppressCurlDefaults() throws {
        var headers = HTTPHeaders()
        headers.add("Accept", "application/json")
        headers.add("X-Empty", "")
        headers.add("X-Multi", "1")
        headers.add("X-Multi", "2")
        let prepared = try PreparedRequest(HTTPRequest(method: .post, url: "http://h/", headers: headers, body: [1]), serverName: nil)
        #expect(prepared.headerLines == ["Accept: application/json", "X-Empty;", "X-Multi: 1", "X-Multi: 2", "Expect:", "Content-Type:"])
    }

    @Test func callerChosenExpectAndContentTypeAreKept() throws {
        let headers: HTTPHeaders = ["Expect": "100-continue", "Content-Type": "application/json"]
        let prepared = try PreparedRequest(HTTPRequest(method: .put, url: "http://h/", headers: headers, body: [1]), serverName: nil)
        #expect(prepared.headerLines == ["Expect: 100-continue", "Content-Type: application/json"])
    }

    @Test(arguments: ["", "Bad Name", "Colon:", "New\nLine", "Ütf"])
    func rejectsInvalidHeaderNames(name: String) {
        var headers = HTTPHeaders()
        headers.add(name, "v")
        #expect(throws: HTTPError.other("invalid header field name '\(name)'")) {
            try PreparedRequest(HTTPRequest(url: "http://h/", headers: headers), serverName: nil)
        }
    }

    @Test(arguments: ["a\r\nInjected: 1", "line\nbreak", "nul\u{0}"])
    func rejectsHeaderValuesThatWouldSplitTheHead(value: String) {
        #expect(throws: HTTPError.other("invalid value for header field 'X-Test'")) {
            try PreparedRequest(HTTPRequest(url: "http://h/", headers: ["X-Test": value]), serverName: nil)
        }
    }

    @Test(arguments: [
        (HTTPMethod.get, nil, nil), (.head, nil, nil), (.delete, nil, nil),
        (.post, nil, []), (.put, nil, []), (.patch, nil, []), (.delete, [7], [7]), (.get, [1, 2], [1, 2]),
    ] as [(HTTPMethod, [UInt8]?, [UInt8]?)])
    func bodiesAreSentForWritesEvenWhenEmpty(method: HTTPMethod, body: [UInt8]?, sent: [UInt8]?) throws {
        let prepared = try PreparedRequest(HTTPRequest(method: method, url: "http://h/", body: body), serverName: nil)
        #expect(prepared.body == sent)
    }

    @Test(arguments: [
        (Duration.seconds(30), 30_000), (.milliseconds(1), 1), (.microseconds(1), 1), (.microseconds(1500), 2),
        (.zero, 1), (.seconds(-5), 1), (.seconds(Int64.max / 2), Int(Int32.max)),
    ] as [(Duration, Int)])
    func timeoutsRoundUpToWholeMilliseconds(duration: Duration, expected: Int) {
        #expect(PreparedRequest.milliseconds(duration) == expected)
    }

    @Test func noTimeoutMeansZeroForCurl() throws {
        let prepared = try PreparedRequest(HTTPRequest(url: "http://h/", timeout: nil), serverName: nil)
        #expect(prepared.timeoutMilliseconds == 0)
    }

    // MARK: AWS SigV4

    @Test func signedRequestsCarryNoSuppressionLinesForCurlToSign() throws {
        let signing = AWSSigV4(region: "eu-west-1", service: "s3", accessKeyID: "AKID", secretAccessKey: "se:cret")
        let headers: HTTPHeaders = ["x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]
        let prepared = try PreparedRequest(HTTPRequest(url: "http://h/b/k", headers: headers, awsSigV4: signing), serverName: nil)
        #expect(prepared.headerLines == ["x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"])
        #expect(prepared.awsSigV4?.parameter == "aws:amz:eu-west-1:s3")
        #expect(!"\(signing)".contains("se:cret") && !"\(signing)".contains("AKID"))
    }

    @Test(arguments: [("", "secret"), ("AKID", ""), ("AK\nID", "secret"), ("AKID", "sec\u{0}ret")])
    func unusableSigningCredentialsAreRejected(key: String, secret: String) {
        let signing = AWSSigV4(region: "us-east-1", service: "s3", accessKeyID: key, secretAccessKey: secret)
        #expect(throws: HTTPError.self) { try PreparedRequest(HTTPRequest(url: "http://h/", awsSigV4: signing), serverName: nil) }
    }
}
