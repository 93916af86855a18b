@testable import HTTP
import TestSupport
import Testing

/// The curl thread lives as long as its transport or its running transfers.
@Suite struct TransportLifetimeTests {
    @Test func threadStopsWhenTheTransportIsReleasedAndIdle() async throws {
        try await withTestServer { server in
            var transport: CurlTransport? = try CurlTransport()
            let engine = try #require(transport?.engine)
            _ = try await transport?.send(HTTPRequest(url: server.url("/small")))
            #expect(!engine.isClosed)
            transport = nil
            #expect(await eventually(timeout: .seconds(20)) { engine.isClosed })
        }
    }

    @Test func streamsKeepWorkingAfterTheTransportIsReleased() async throws {
        try await withTestServer { server in
            var transport: CurlTransport? = try CurlTransport()
            let engine = try #require(transport?.engine)
            do {
                let response = try #require(try await transport?.stream(HTTPRequest(url: server.url("/endless?interval=0.02"), timeout: nil)))
                transport = nil
                var lines = response.lines.makeAsyncIterator()
                for expected in 0..<5 {
                    #expect(try await lines.next().map { String(decoding: $0, as: UTF8.self) } == "tick \(expected)")
                }
                try await Task.sleep(for: .milliseconds(100))
                #expect(!engine.isClosed)
            }
            #expect(await eventually(timeout: .seconds(20)) { engine.isClosed })
        }
    }
}
