import Foundation
import HTTP
import TestSupport
import Testing

/// `CurlTransport` against the real Python server (plain HTTP).
@Suite struct CurlTransportTests {
    @Test(arguments: [
        (HTTPMethod.get, nil), (.post, Array("{\"a\":1}".utf8)), (.put, Array("put body".utf8)),
        (.patch, Array("[{\"op\":\"add\"}]".utf8)), (.delete, Array("{\"propagationPolicy\":\"Background\"}".utf8)),
        (.post, [UInt8](repeating: 0xFF, count: 300_000)), (.put, nil), (.delete, nil),
    ] as [(HTTPMethod, [UInt8]?)])
    func sendsMethodHeadersAndBodyAsGiven(method: HTTPMethod, body: [UInt8]?) async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/json")
            headers.add("X-Trace", "one")
            headers.add("X-Trace", "two")
            let response = try await transport.send(HTTPRequest(method: method, url: server.url("/echo?x=1"), headers: headers, body: body))
            #expect(response.status == 200)
            let echo = try Echo(response)
            #expect(echo.method == method.rawValue)
            #expect(echo.query == "x=1")
            #expect(echo.bodyBytes == (body ?? []))
            #expect(echo.headers.filter { $0.first == "X-Trace" }.map { $0.last } == ["one", "two"])
            #expect(echo.header("Content-Type") == "application/json")
            #expect(echo.header("Expect") == nil)
            #expect(echo.header("User-Agent") == "inference-operator")
            if method == .get || (method == .delete && body == nil) {
                #expect(echo.header("Content-Length") == nil)
            } else {
                #expect(echo.header("Content-Length") == String(body?.count ?? 0))
            }
        }
    }

    @Test func returnsResponseHeadersInOrderWithRepeats() async throws {
        try await withTestServer { server in
            let response = try await CurlTransport().send(HTTPRequest(method: .patch, url: server.url("/echo")))
            #expect(response.headers["x-echo-method"] == "PATCH")
            #expect(response.headers.values("Set-Cookie") == ["first=1", "second=2"])
            let names = response.headers.fields.map { $0.name.lowercased() }
            #expect(names.firstIndex(of: "x-echo-method")! < names.firstIndex(of: "set-cookie")!)
        }
    }

    @Test func headRequestsGetHeadersOnly() async throws {
        try await withTestServer { server in
            let response = try await CurlTransport().send(HTTPRequest(method: .head, url: server.url("/small")))
            #expect(response.status == 200)
            #expect(response.headers["Content-Length"] == "2")
            #expect(response.body.isEmpty)
        }
    }

    @Test func interimContinueResponseIsDropped() async throws {
        try await withTestServer { server in
            let request = HTTPRequest(method: .post, url: server.url("/echo"), headers: ["Expect": "100-continue"], body: Array("x".utf8))
            let response = try await CurlTransport().send(request)
            #expect(response.status == 200)
            #expect(response.headers["X-Interim"] == nil)
            #expect(response.headers["X-Echo-Method"] == "POST")
            #expect(try Echo(response).bodyBytes == Array("x".utf8))
        }
    }

    @Test(arguments: [200, 201, 204, 400, 404, 409, 410, 429, 500, 503])
    func returnsEveryStatusAsAResponseNotAnError(status: Int) async throws {
        try await withTestServer { server in
            let response = try await CurlTransport().send(HTTPRequest(url: server.url("/status/\(status)")))
            #expect(response.status == status)
            #expect(response.bodyText == (status == 204 ? "" : "status \(status)"))
        }
    }

    @Test func redirectsAreNotFollowedByDefault() async throws {
        try await withTestServer { server in
            let response = try await CurlTransport().send(HTTPRequest(url: server.url("/redirect")))
            #expect(response.status == 302)
            #expect(response.headers["Location"] == "/echo")

            var options = CurlTransport.Options()
            options.followRedirects = true
            let followed = try await CurlTransport(options: options).send(HTTPRequest(url: server.url("/redirect")))
            #expect(followed.status == 200)
            #expect(followed.headers["Location"] == nil)
            #expect(try Echo(followed).path == "/echo")
        }
    }

    @Test func decodesGzipBodies() async throws {
        try await withTestServer { server in
            let response = try await CurlTransport().send(HTTPRequest(url: server.url("/gzip")))
            #expect(response.headers["Content-Encoding"] == "gzip")
            #expect(response.bodyText == String(repeating: "hello gzip ", count: 1000))
        }
    }

    @Test func undecodableBodyIsAnErrorCarryingCurlsMessage() async throws {
        try await withTestServer { server in
            await #expect { try await CurlTransport().send(HTTPRequest(url: server.url("/bad-gzip"))) } throws: { error in
                guard case HTTPError.other(let message) = error else { return false }
                return message.contains("encoding")
            }
        }
    }

    @Test func reusesOneConnectionForSequentialRequests() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            var connections: Set<Int> = []
            for index in 0..<10 {
                let method: HTTPMethod = index.isMultiple(of: 2) ? .get : .post
                let response = try await transport.send(HTTPRequest(method: method, url: server.url("/echo"), body: index.isMultiple(of: 2) ? nil : [1, 2]))
                connections.insert(try Echo(response).connection)
            }
            #expect(connections.count == 1)
            #expect(transport.statistics.connectionsOpened == 1)
            #expect(try await ServerStats.fetch(server).connections == 2)  // ours plus the stats client's
        }
    }

    @Test func concurrentRequestsShareAPoolOfConnections() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            for _ in 0..<3 {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<8 { group.addTask { try await transport.send(HTTPRequest(url: server.url("/slow?seconds=0.1"))).status } }
                    for try await status in group { #expect(status == 200) }
                }
            }
            // 24 requests in rounds of 8: connections are kept between rounds.
            #expect(transport.statistics.connectionsOpened <= 8)
            #expect(transport.statistics.finishedTransfers == 24)
            #expect(transport.statistics.activeTransfers == 0)
        }
    }

    /// Waiting requests hold no thread of the (small) cooperative pool: 32
    /// one-second requests overlap instead of running a few at a time.
    @Test func waitingRequestsDoNotOccupyTheCooperativePool() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<32 { group.addTask { try await transport.send(HTTPRequest(url: server.url("/slow?seconds=1"))).status } }
                for try await status in group { #expect(status == 200) }
            }
            // Blocking a pool thread per request would take 32 s / pool size
            // (16 s on a 2-core machine); overlapping takes about 1 s.
            #expect(ContinuousClock.now - started < .seconds(12))
        }
    }

    @Test func maxConnectionsQueuesTransfersBeyondTheLimit() async throws {
        try await withTestServer { server in
            var options = CurlTransport.Options()
            options.maxConnections = 2
            let transport = try CurlTransport(options: options)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await transport.send(HTTPRequest(url: server.url("/slow?seconds=0.05"))).status } }
                for try await status in group { #expect(status == 200) }
            }
            #expect(transport.statistics.connectionsOpened == 2)
        }
    }

    @Test func slowResponsePastTheTimeoutIsTimedOut() async throws {
        try await withTestServer { server in
            // The server answers after 60 s; a timeout that works ends the
            // request long before. The bound is loose on purpose: a loaded
            // 2-core CI machine has taken 4 s to get here.
            let url = server.url("/slow?seconds=60")
            let transport = try CurlTransport()
            let started = ContinuousClock.now
            await #expect(throws: HTTPError.timedOut(url: url)) {
                try await transport.send(HTTPRequest(url: url, timeout: .milliseconds(300)))
            }
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    @Test func requestWithoutTimeoutWaitsForASlowServer() async throws {
        try await withTestServer { server in
            let response = try await CurlTransport().send(HTTPRequest(url: server.url("/slow?seconds=1.2"), timeout: nil))
            #expect(response.bodyText == "slow")
        }
    }

    @Test func cancellingTheTaskAbortsTheRequest() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            // The server answers after 60 s; cancellation must end it long before.
            let task = Task { try await transport.send(HTTPRequest(url: server.url("/slow?seconds=60"), timeout: nil)) }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            task.cancel()
            await #expect(throws: HTTPError.cancelled) { try await task.value }
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(await eventually(timeout: .seconds(20)) { transport.statistics.activeTransfers == 0 })
        }
    }

    @Test func alreadyCancelledTaskNeverStartsTheRequest() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await transport.send(HTTPRequest(url: server.url("/echo")))
            }
            await #expect(throws: HTTPError.cancelled) { try await task.value }
            #expect(transport.statistics.connectionsOpened == 0)
        }
    }

    @Test func refusedConnectionIsAConnectionError() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            let port = try await transport.send(HTTPRequest(url: server.url("/closed-port"))).bodyText
            await #expect {
                try await transport.send(HTTPRequest(url: "http://127.0.0.1:\(port)/echo"))
            } throws: { error in
                guard case HTTPError.connection(let message) = error else { return false }
                return !message.isEmpty
            }
        }
    }

    @Test(arguments: ["not a url", "ftp://127.0.0.1/file", "http://127.0.0.1:70000/", "http://exa mple/", "file:///etc/passwd"])
    func invalidURLsFailBeforeAnyIO(url: String) async throws {
        let transport = try CurlTransport()
        await #expect(throws: HTTPError.invalidURL(url)) { try await transport.send(HTTPRequest(url: url)) }
        await #expect(throws: HTTPError.invalidURL(url)) { try await transport.stream(HTTPRequest(url: url)) }
        #expect(transport.statistics.finishedTransfers == 0)
    }

    @Test func connectTimeoutCoversAStalledTLSHandshake() async throws {
        try await withTestServer { server in
            var options = CurlTransport.Options()
            options.connectTimeout = .milliseconds(300)
            let transport = try CurlTransport(options: options)
            let port = try await transport.send(HTTPRequest(url: server.url("/silent-port"))).bodyText
            let url = "https://127.0.0.1:\(port)/"
            let started = ContinuousClock.now
            await #expect(throws: HTTPError.timedOut(url: url)) { try await transport.send(HTTPRequest(url: url, timeout: nil)) }
            // Far below the 30 s default: the option took effect.
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func bodyCutShortIsAConnectionError() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            await #expect { try await transport.send(HTTPRequest(url: server.url("/truncated"))) } throws: { error in
                if case HTTPError.connection = error { true } else { false }
            }
            let response = try await transport.stream(HTTPRequest(url: server.url("/truncated")))
            #expect(response.status == 200)
            var received: [UInt8] = []
            await #expect {
                for try await chunk in response.body { received += chunk }
            } throws: { error in
                if case HTTPError.connection = error { true } else { false }
            }
            #expect(received == Array("only ten b".utf8))
        }
    }

    @Test func unresolvableHostIsAConnectionError() async throws {
        await #expect {
            try await CurlTransport().send(HTTPRequest(url: "http://no-such-host.invalid/", timeout: .seconds(10)))
        } throws: { error in
            if case HTTPError.connection = error { true } else { false }
        }
    }

    @Test func transportsCanBeCreatedAndReleasedRepeatedly() async throws {
        try await withTestServer { server in
            for _ in 0..<20 {
                let transport = try CurlTransport()
                #expect(try await transport.send(HTTPRequest(url: server.url("/small"))).bodyText == "ok")
            }
        }
    }

    @Test func emptyHeaderValuesAreSentAsEmpty() async throws {
        try await withTestServer { server in
            let echo = try Echo(try await CurlTransport().send(HTTPRequest(url: server.url("/echo"), headers: ["X-Empty": ""])))
            #expect(echo.header("X-Empty") == "")
        }
    }
}
