import ArgumentParser
import Foundation
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
        abstract: "Closed-loop HTTP/1.1 load against a v2 infer endpoint; prints throughput and latency percentiles.")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port = 8080
    @Option(help: "Request path, e.g. /v2/models/minilm/infer") var path: String
    @Option(help: "File holding the JSON request body.") var body: String
    @Option(help: "Concurrent workers (connections).") var concurrency = 1
    @Option(help: "Measured seconds.") var seconds = 10.0
    @Option(help: "Warm-up seconds (not measured).") var warmup = 2.0
    @Option(help: "Label printed with the figures.") var label = ""

    func run() async throws {
        guard concurrency > 0, seconds > 0 else { throw ValidationError("concurrency and seconds must be positive") }
        let payload = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: body)))
        let group = MultiThreadedEventLoopGroup.singleton
        let measureFrom = ContinuousClock.now + .milliseconds(Int(warmup * 1000))
        let end = measureFrom + .milliseconds(Int(seconds * 1000))
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(payload.readableBytes))
        let requestHead = head
        let (host, port) = (self.host, self.port)
        let (latencies, errors) = try await withThrowingTaskGroup(of: ([Double], Int).self) { tasks in
            for _ in 0..<concurrency {
                tasks.addTask {
                    let channel = try await ClientBootstrap(group: group)
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                                try channel.pipeline.syncOperations.addHandler(ResponseWaiter())
                            }
                        }
                        .connect(host: host, port: port).get()
                    defer { channel.close(promise: nil) }
                    var latencies: [Double] = []
                    var errors = 0
                    while ContinuousClock.now < end {
                        let sent = ContinuousClock.now
                        let promise = channel.eventLoop.makePromise(of: HTTPResponseStatus.self)
                        channel.writeAndFlush(RequestEnvelope(head: requestHead, body: payload, promise: promise), promise: nil)
                        let status = try? await promise.futureResult.get()
                        let done = ContinuousClock.now
                        guard sent >= measureFrom, done <= end else { continue }
                        if status == .ok {
                            let elapsed = done - sent
                            latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                        } else {
                            errors += 1
                        }
                    }
                    return (latencies, errors)
                }
            }
            var all: [Double] = []
            var errors = 0
            for try await (latencies, failed) in tasks {
                all += latencies
                errors += failed
            }
            return (all.sorted(), errors)
        }
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            return latencies[min(latencies.count - 1, max(0, Int((p * Double(latencies.count)).rounded(.up)) - 1))]
        }
        print(String(format: "%@ concurrency=%d requests=%d throughput_rps=%.1f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f errors=%d",
                     label, concurrency, latencies.count, Double(latencies.count) / seconds,
                     percentile(0.5), percentile(0.95), percentile(0.99), errors))
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
