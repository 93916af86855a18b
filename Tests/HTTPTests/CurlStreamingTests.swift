import Foundation
import HTTP
import TestSupport
import Testing

/// Streaming responses from `CurlTransport` against the real Python server.
@Suite struct CurlStreamingTests {
    private func text(_ line: [UInt8]) -> String { String(decoding: line, as: UTF8.self) }

    @Test func returnsTheHeadWhileTheBodyIsStillComing() async throws {
        try await withTestServer { server in
            let response = try await CurlTransport().stream(HTTPRequest(url: server.url("/endless?interval=0.02"), timeout: nil))
            #expect(response.status == 200)
            #expect(response.headers["Transfer-Encoding"] == "chunked")
            var lines: [String] = []
            for try await line in response.lines {
                lines.append(text(line))
                if lines.count == 3 { break }
            }
            #expect(lines == ["tick 0", "tick 1", "tick 2"])
        }
    }

    @Test func assemblesLinesSplitAcrossChunks() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            let raw = try await transport.stream(HTTPRequest(url: server.url("/chunked-lines")))
            var chunks: [[UInt8]] = []
            for try await chunk in raw.body { chunks.append(chunk) }
            // The server cut lines mid-way: some chunk ends inside a line.
            #expect(chunks.count > 5)
            #expect(chunks.dropLast().contains { $0.last != UInt8(ascii: "\n") })

            let response = try await transport.stream(HTTPRequest(url: server.url("/chunked-lines")))
            var lines: [String] = []
            for try await line in response.lines { lines.append(text(line)) }
            #expect(lines == [
                #"{"n":1,"text":"alpha"}"#, #"{"n":2,"text":"bravo charlie delta"}"#,
                #"{"n":3,"text":""# + String(repeating: "x", count: 300) + #""}"#,
                #"{"n":4,"text":"echo"}"#, #"{"n":5,"text":"no trailing newline"}"#,
            ])
        }
    }

    @Test func nonSuccessStatusesStreamTheirBodyToo() async throws {
        try await withTestServer { server in
            let response = try await CurlTransport().stream(HTTPRequest(url: server.url("/status/410")))
            #expect(response.status == 410)
            var body: [UInt8] = []
            for try await chunk in response.body { body += chunk }
            #expect(text(body) == "status 410")
        }
    }

    @Test func cancellingTheConsumingTaskAbortsTheTransferPromptly() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            let response = try await transport.stream(HTTPRequest(url: server.url("/endless?interval=0.02"), timeout: nil))
            let consumer = Task {
                var count = 0
                for try await _ in response.lines { count += 1 }
                return count
            }
            #expect(try await eventually(timeout: .seconds(20)) { try await ServerStats.fetch(server).open_streams == 1 })
            let cancelledAt = ContinuousClock.now
            consumer.cancel()
            // Cancelled while waiting for a chunk: HTTPError.cancelled; between
            // chunks: the stream ends, as every AsyncThrowingStream does.
            let outcome = await consumer.result
            if case .failure(let error) = outcome { #expect(error as? HTTPError == .cancelled) }
            #expect(ContinuousClock.now - cancelledAt < .seconds(20))  // the stream never ends by itself
            #expect(await eventually(timeout: .seconds(10)) { transport.statistics.activeTransfers == 0 })
            #expect(try await eventually(timeout: .seconds(30)) { try await ServerStats.fetch(server).open_streams == 0 })  // /endless never ends by itself
        }
    }

    @Test func droppingTheStreamAbortsTheTransfer() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            do {
                let response = try await transport.stream(HTTPRequest(url: server.url("/endless?interval=0.02"), timeout: nil))
                var lines = response.lines.makeAsyncIterator()
                #expect(try await lines.next().map(text) == "tick 0")
            }
            #expect(await eventually(timeout: .seconds(10)) { transport.statistics.activeTransfers == 0 })
            #expect(try await eventually(timeout: .seconds(30)) { try await ServerStats.fetch(server).open_streams == 0 })  // /endless never ends by itself
        }
    }

    @Test func cancellingWhileWaitingForTheHeadThrowsCancelled() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            // The head comes after 60 s; cancellation must end the wait long before.
            let task = Task { try await transport.stream(HTTPRequest(url: server.url("/slow?seconds=60"), timeout: nil)) }
            try await Task.sleep(for: .milliseconds(200))
            let cancelledAt = ContinuousClock.now
            task.cancel()
            await #expect(throws: HTTPError.cancelled) { try await task.value }
            #expect(ContinuousClock.now - cancelledAt < .seconds(30))
            #expect(await eventually(timeout: .seconds(20)) { transport.statistics.activeTransfers == 0 })
        }
    }

    @Test func timeoutEndsAStreamingBodyWithTimedOut() async throws {
        try await withTestServer { server in
            let url = server.url("/endless?interval=0.05")
            let response = try await CurlTransport().stream(HTTPRequest(url: url, timeout: .milliseconds(500)))
            #expect(response.status == 200)
            var lines = 0
            await #expect(throws: HTTPError.timedOut(url: url)) {
                for try await _ in response.lines { lines += 1 }
            }
            #expect(lines > 0)
        }
    }

    @Test func errorsBeforeTheHeadAreThrownByStream() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            let port = try await transport.send(HTTPRequest(url: server.url("/closed-port"))).bodyText
            await #expect {
                try await transport.stream(HTTPRequest(url: "http://127.0.0.1:\(port)/endless"))
            } throws: { error in
                if case HTTPError.connection = error { true } else { false }
            }
        }
    }

    /// A consumer slower than the network: the transfer pauses at the buffer
    /// limit, the server is held back, and every byte still arrives in order.
    @Test func slowConsumerKeepsBufferedBytesBounded() async throws {
        try await withTestServer { server in
            var options = CurlTransport.Options()
            options.streamBufferLimit = 64 * 1024
            let transport = try CurlTransport(options: options)
            let total = 32 * 1024 * 1024
            let response = try await transport.stream(HTTPRequest(url: server.url("/large?bytes=\(total)"), timeout: nil))
            var chunks = response.body.makeAsyncIterator()
            var received = 0
            var inOrder = true
            func take(_ chunk: [UInt8]) {
                // The server sends byte i as i % 251: check the chunk's ends.
                if chunk.first != UInt8(received % 251) || chunk.last != UInt8((received + chunk.count - 1) % 251) { inOrder = false }
                received += chunk.count
            }
            if let first = try await chunks.next() { take(first) }

            // Stall: the server can only fill the kernel's socket buffers.
            try await Task.sleep(for: .milliseconds(500))
            let sentWhileStalled = try await ServerStats.fetch(server).large_bytes_sent
            #expect(sentWhileStalled < total / 2)
            #expect(transport.statistics.bufferedBodyBytes <= options.streamBufferLimit + 64 * 1024)

            var slowChunks = 0
            while let chunk = try await chunks.next() {
                take(chunk)
                slowChunks += 1
                if slowChunks % 32 == 0 && slowChunks < 1024 { try await Task.sleep(for: .milliseconds(2)) }
            }
            #expect(received == total)
            #expect(inOrder)
            let stats = transport.statistics
            #expect(stats.pauses > 0)
            #expect(stats.peakBufferedBodyBytes <= options.streamBufferLimit + 64 * 1024)
            #expect(stats.bufferedBodyBytes == 0)
        }
    }

    @Test func manyConcurrentStreamsEachGetTheirOwnLines() async throws {
        try await withTestServer { server in
            let transport = try CurlTransport()
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let response = try await transport.stream(HTTPRequest(url: server.url("/endless?interval=0.01"), timeout: nil))
                        var seen = 0
                        for try await line in response.lines {
                            #expect(String(decoding: line, as: UTF8.self) == "tick \(seen)")
                            seen += 1
                            if seen == 10 { break }
                        }
                        return seen
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(counts == Array(repeating: 10, count: 20))
            #expect(await eventually(timeout: .seconds(10)) { transport.statistics.activeTransfers == 0 })
        }
    }
}
