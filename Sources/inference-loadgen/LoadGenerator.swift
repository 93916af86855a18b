import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOCore
import NIOHTTP1
import NIOPosix

/// Closed-loop load: `concurrency` workers, each on its own keep-alive connection, send a
/// request, wait for the answer and send the next, for `seconds` after a warm-up.
/// Prints one line of figures.
@main
struct LoadGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference-loadgen",
        abstract: "Closed-loop HTTP/1.1 or gRPC load against a v2 infer endpoint; prints throughput and latency percentiles.")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port = 8080
    @Option(help: "Request path, e.g. /v2/models/minilm/infer (HTTP only).") var path: String?
    @Option(help: "File holding the request body (JSON, or the binary tensor extension's JSON header and raw bytes; with --grpc a serialized ModelInferRequest).")
    var body: String
    @Flag(help: "Call inference.GRPCInferenceService/ModelInfer over one HTTP/2 connection that every worker shares, as gRPC clients do.")
    var grpc = false
    @Option(help: "Extra request header NAME:VALUE (repeatable), e.g. Inference-Header-Content-Length:123 for a binary body.")
    var header: [String] = []
    @Option(help: "Concurrent workers (connections).") var concurrency = 1
    @Option(help: "Measured seconds.") var seconds = 10.0
    @Option(help: "Warm-up seconds (not measured).") var warmup = 2.0
    @Option(help: "Label printed with the figures.") var label = ""

    func run() async throws {
        guard concurrency > 0, seconds > 0 else { throw ValidationError("concurrency and seconds must be positive") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: body))
        let measureFrom = ContinuousClock.now + .milliseconds(Int(warmup * 1000))
        let end = measureFrom + .milliseconds(Int(seconds * 1000))
        let tally: Tally
        if grpc {
            tally = try await GRPCLoad(host: host, port: port, message: Array(bytes), concurrency: concurrency).run(measureFrom: measureFrom, end: end)
        } else {
            guard let path else { throw ValidationError("--path is required for HTTP load") }
            tally = try await http(path: path, payload: ByteBuffer(bytes: bytes), measureFrom: measureFrom, end: end)
        }
        let latencies = tally.latencies
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            return latencies[min(latencies.count - 1, max(0, Int((p * Double(latencies.count)).rounded(.up)) - 1))]
        }
        // The load generator shares the machine with the server: its own CPU time says how much it took.
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        print(String(format: "%@ concurrency=%d requests=%d throughput_rps=%.1f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f errors=%d rejected_429=%d other_status=%d transport_errors=%d client_cpu_s=%.2f",
                     label, concurrency, latencies.count, Double(latencies.count) / seconds,
                     percentile(0.5), percentile(0.95), percentile(0.99), tally.errors,
                     tally.rejected, tally.otherStatus, tally.transportErrors, cpu))
    }

    func http(path: String, payload: ByteBuffer, measureFrom: ContinuousClock.Instant, end: ContinuousClock.Instant) async throws -> Tally {
        let group = MultiThreadedEventLoopGroup.singleton
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        let extra = try header.map { field -> (String, String) in
            guard let colon = field.firstIndex(of: ":"), colon != field.startIndex else {
                throw ValidationError("--header '\(field)' is not NAME:VALUE")
            }
            return (String(field[..<colon]), String(field[field.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        let binary = extra.contains { $0.0.lowercased() == "inference-header-content-length" }
        head.headers.add(name: "Content-Type", value: binary ? "application/octet-stream" : "application/json")
        for (name, value) in extra { head.headers.add(name: name, value: value) }
        head.headers.add(name: "Content-Length", value: String(payload.readableBytes))
        let requestHead = head
        let (host, port) = (self.host, self.port)
        let connect: @Sendable () async throws -> any Channel = {
            try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseWaiter())
                    }
                }
                .connect(host: host, port: port).get()
        }
        return try await withThrowingTaskGroup(of: Tally.self) { tasks in
            for _ in 0..<concurrency {
                tasks.addTask {
                    // The first connection must succeed (the server is up);
                    // a connection lost later is counted and replaced.
                    var channel: any Channel = try await connect()
                    var tally = Tally()
                    while ContinuousClock.now < end {
                        if !channel.isActive {
                            channel.close(promise: nil)
                            guard let fresh = try? await connect() else {
                                if ContinuousClock.now >= measureFrom { tally.transportErrors += 1 }
                                try? await Task.sleep(for: .milliseconds(20))
                                continue
                            }
                            channel = fresh
                        }
                        let sent = ContinuousClock.now
                        let response = channel.eventLoop.makePromise(of: HTTPResponseStatus.self)
                        let written = channel.eventLoop.makePromise(of: Void.self)
                        // A write that fails never reaches the handler: fail the response too.
                        written.futureResult.whenFailure { response.fail($0) }
                        channel.writeAndFlush(RequestEnvelope(head: requestHead, body: payload, promise: response), promise: written)
                        let status = try? await response.futureResult.get()
                        let done = ContinuousClock.now
                        guard sent >= measureFrom, done <= end else { continue }
                        tally.add(status, milliseconds: Double((done - sent).components.seconds) * 1000
                                  + Double((done - sent).components.attoseconds) / 1e15)
                    }
                    channel.close(promise: nil)
                    return tally
                }
            }
            var all = Tally()
            for try await one in tasks { all.merge(one) }
            all.latencies.sort()
            return all
        }
    }
}

/// gRPC load: `concurrency` workers calling ModelInfer with the same serialized request on one
/// shared client (one HTTP/2 connection, as perf_analyzer's shared channel). The message is sent
/// as it is read from the file and the answer only counted, so no protobuf work is measured here.
struct GRPCLoad {
    let host: String
    let port: Int
    let message: [UInt8]
    let concurrency: Int
    static let method = MethodDescriptor(fullyQualifiedService: "inference.GRPCInferenceService", method: "ModelInfer")

    func run(measureFrom: ContinuousClock.Instant, end: ContinuousClock.Instant) async throws -> Tally {
        let transport = try HTTP2ClientTransport.Posix(target: .ipv4(host: host, port: port), transportSecurity: .plaintext,
                                                      config: .defaults { config in
                                                          config.connection.maxIdleTime = nil
                                                          // As grpc's clients grow theirs by BDP probing (and as the server's).
                                                          config.http2.targetWindowSize = 8 << 20
                                                          config.http2.maxFrameSize = 1 << 16
                                                      })
        let (message, concurrency) = (self.message, self.concurrency)
        return try await withGRPCClient(transport: transport) { client in
            try await withThrowingTaskGroup(of: Tally.self) { tasks in
                for _ in 0..<concurrency {
                    tasks.addTask {
                        var tally = Tally()
                        while ContinuousClock.now < end {
                            let sent = ContinuousClock.now
                            var status: HTTPResponseStatus?
                            do {
                                _ = try await client.unary(request: ClientRequest(message: message), descriptor: Self.method,
                                                           serializer: BytesSerializer(), deserializer: ByteCounter(), options: .defaults) {
                                    try $0.message
                                }
                                status = .ok
                            } catch let error as RPCError {
                                // UNAVAILABLE is the server's overload answer (HTTP's 429).
                                status = error.code == .unavailable ? .tooManyRequests : .internalServerError
                            } catch {
                                status = nil
                            }
                            let done = ContinuousClock.now
                            guard sent >= measureFrom, done <= end else { continue }
                            tally.add(status, milliseconds: Double((done - sent).components.seconds) * 1000
                                      + Double((done - sent).components.attoseconds) / 1e15)
                        }
                        return tally
                    }
                }
                var all = Tally()
                for try await one in tasks { all.merge(one) }
                all.latencies.sort()
                return all
            }
        }
    }
}

/// Sends bytes already serialized.
struct BytesSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}

/// Reads an answer's size only.
struct ByteCounter: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Int {
        serializedMessageBytes.withUnsafeBytes { $0.count }
    }
}

/// What one client saw in the measured window: latencies of 200s, and the
/// rest by kind.
struct Tally {
    var latencies: [Double] = []
    /// 429: the server refused for overload.
    var rejected = 0
    /// Any other status than 200 and 429.
    var otherStatus = 0
    /// No answer: the connection failed or closed.
    var transportErrors = 0

    var errors: Int { rejected + otherStatus + transportErrors }

    mutating func add(_ status: HTTPResponseStatus?, milliseconds: Double) {
        switch status {
        case .ok?: latencies.append(milliseconds)
        case .tooManyRequests?: rejected += 1
        case .some: otherStatus += 1
        case nil: transportErrors += 1
        }
    }

    mutating func merge(_ other: Tally) {
        latencies += other.latencies
        rejected += other.rejected
        otherStatus += other.otherStatus
        transportErrors += other.transportErrors
    }
}

/// One request, carrying the promise its response completes.
struct RequestEnvelope {
    let head: HTTPRequestHead
    let body: ByteBuffer
    let promise: EventLoopPromise<HTTPResponseStatus>
}

/// Writes a request and completes its promise when the response has fully arrived.
final class ResponseWaiter: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = RequestEnvelope
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<HTTPResponseStatus>?
    private var status: HTTPResponseStatus = .ok

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let envelope = unwrapOutboundIn(data)
        pending = envelope.promise
        context.write(wrapOutboundOut(.head(envelope.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(envelope.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = head.status
        case .body: break
        case .end:
            pending?.succeed(status)
            pending = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(ChannelError.ioOnClosedChannel)
        pending = nil
    }
}
