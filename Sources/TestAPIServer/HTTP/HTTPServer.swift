import JSONValue
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The test API server: an HTTP/1.1 server on 127.0.0.1 serving the
/// Kubernetes REST protocol from an in-memory `Cluster`.
public final class TestAPIServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String = "127.0.0.1"
        /// 0 picks a free port.
        public var port: Int = 0
        public var cluster: Cluster.Configuration = .init()
        public var access: AccessControl = .init()
        /// How often watches with `allowWatchBookmarks` get a BOOKMARK.
        public var bookmarkInterval: TimeAmount = .seconds(5)
        /// Watch length when the client sends no `timeoutSeconds` (the real
        /// server picks 30-60 minutes).
        public var defaultWatchTimeout: TimeAmount = .minutes(30)
        public var threads: Int = 2
        public init() {}
    }

    public let cluster: Cluster
    public let faults = Faults()
    public let requestLog = RequestLog()
    let configuration: Configuration
    let group: MultiThreadedEventLoopGroup
    let channelBox = NIOLockedValueBox<Channel?>(nil)

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.cluster = Cluster(configuration: configuration.cluster)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
    }

    /// The port actually bound (after `start`).
    public var port: Int { channelBox.withLockedValue { $0 }?.localAddress?.port ?? 0 }
    public var baseURL: String { "http://\(configuration.host):\(port)" }

    /// Binds and starts serving; returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        let router = APIRouter(cluster: cluster, access: configuration.access, faults: faults, log: requestLog,
                               serverAddress: "\(configuration.host):\(configuration.port)")
        let settings = HandlerSettings(bookmarkInterval: configuration.bookmarkInterval,
                                       defaultWatchTimeout: configuration.defaultWatchTimeout)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPHandler(router: router, settings: settings))
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        channelBox.withLockedValue { $0 = channel }
        if (configuration.cluster.simulateDeployments && configuration.cluster.deploymentReadyDelay > 0)
            || configuration.cluster.namespaceDeletionDelay > 0 {
            let cluster = self.cluster
            _ = group.next().scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { _ in
                cluster.advanceSimulation()
            }
        }
        return channel.localAddress?.port ?? 0
    }

    public func shutdown() async throws {
        cluster.dropWatches()
        if let channel = channelBox.withLockedValue({ $0 }) { try? await channel.close() }
        try await group.shutdownGracefully()
    }
}

struct HandlerSettings: Sendable {
    var bookmarkInterval: TimeAmount
    var defaultWatchTimeout: TimeAmount
}

/// One connection: collects a request, routes it, writes the answer or
/// streams a watch (chunked, one JSON event per line).
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maxBody = 8 * 1024 * 1024

    let router: APIRouter
    let settings: HandlerSettings
    var head: HTTPRequestHead?
    var body: [UInt8] = []
    var bodyTooLarge = false
    var watchID: Int?
    var watchTimers: [Scheduled<Void>] = []
    var bookmarkTask: RepeatedTask?
    var keepAlive = true
    /// True between a watch's response head and its end.
    var streaming = false

    init(router: APIRouter, settings: HandlerSettings) {
        self.router = router
        self.settings = settings
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll(keepingCapacity: true)
            bodyTooLarge = false
            // libcurl sends `Expect: 100-continue` with larger bodies and waits a second without this.
            if h.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .continue))), promise: nil)
            }
        case .body(var buffer):
            if body.count + buffer.readableBytes > Self.maxBody { bodyTooLarge = true; return }
            if let bytes = buffer.readBytes(length: buffer.readableBytes) { body.append(contentsOf: bytes) }
        case .end:
            guard let head else { return }
            self.head = nil
            keepAlive = head.isKeepAlive
            if bodyTooLarge {
                write(context, .error(APIError(code: 413, reason: "RequestEntityTooLarge", message: "the request body is larger than 8 MiB")))
                return
            }
            var headers: [String: String] = [:]
            for (name, value) in head.headers {
                let key = name.lowercased()
                headers[key] = headers[key].map { "\($0),\(value)" } ?? value  // repeated headers join, as HTTP allows
            }
            let request = APIRequest(method: head.method.rawValue, target: head.uri, headers: headers, body: body)
            let latency = router.faults.latencyMilliseconds
            if latency > 0 && !request.path.hasPrefix("/testapi/") {
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(latency))) {
                    let (handler, context) = bound.value
                    handler.respond(context, request)
                }
            } else {
                respond(context, request)
            }
        }
    }

    func respond(_ context: ChannelHandlerContext, _ request: APIRequest) {
        switch router.handle(request) {
        case .watch(let watch): startWatch(context, watch)
        case let response: write(context, response)
        }
    }

    func write(_ context: ChannelHandlerContext, _ response: APIResponse) {
        guard case .body(let status, let contentType, let bytes, let extra) = response else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(bytes.count))
        for (name, value) in extra { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let close = !keepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
            if close { channel.close(promise: nil) }
        }
    }

    // MARK: watch

    func startWatch(_ context: ChannelHandlerContext, _ watch: WatchRequest) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let sink: @Sendable (WatchOutput) -> Void = { output in
            loop.execute {
                let (handler, context) = bound.value
                handler.watchOutput(context, output)
            }
        }
        // Events the cluster replays now reach the sink through `loop.execute`,
        // so they run after this method has written the response head.
        do {
            watchID = try router.cluster.watch(watch.type, namespace: watch.namespace, labelSelector: watch.labelSelector,
                                               fieldSelector: watch.fieldSelector, resourceVersion: watch.resourceVersion,
                                               render: watch.tableView.map { view in
                                                   let clock = router.cluster.configuration.now
                                                   return { object in TableView(type: watch.type, now: clock()).table([object], listMetadata: ["resourceVersion": object[path: "metadata", "resourceVersion"] ?? ""]) }
                                               }, sink: sink)
        } catch {
            write(context, .error(error))
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        streaming = true
        // timeoutSeconds <= 0 means "server default", as for the real server.
        let timeout = watch.timeoutSeconds.flatMap { $0 > 0 ? TimeAmount.seconds(Int64($0)) : nil } ?? settings.defaultWatchTimeout
        watchTimers.append(loop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            handler.watchOutput(context, .end)
        })
        if watch.allowBookmarks, let id = watchID {
            let cluster = router.cluster
            bookmarkTask = loop.scheduleRepeatedTask(initialDelay: settings.bookmarkInterval, delay: settings.bookmarkInterval) { _ in
                cluster.sendBookmark(id)
            }
        }
    }

    func watchOutput(_ context: ChannelHandlerContext, _ output: WatchOutput) {
        guard streaming, context.channel.isActive else { return }
        switch output {
        case .event(let line):
            var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 1)
            buffer.writeString(line)
            buffer.writeInteger(UInt8(ascii: "\n"))
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end:
            streaming = false
            stopWatch()
            let close = !keepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
                if close { channel.close(promise: nil) }
            }
        case .drop:
            streaming = false
            stopWatch()
            context.close(promise: nil)
        }
    }

    func stopWatch() {
        if let id = watchID { router.cluster.cancelWatch(id) }
        watchID = nil
        for timer in watchTimers { timer.cancel() }
        watchTimers.removeAll()
        bookmarkTask?.cancel()
        bookmarkTask = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopWatch()
        context.fireChannelInactive()
    }
}
