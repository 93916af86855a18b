/// The production `HTTPTransport`, over libcurl.
///
/// One dedicated thread per transport runs curl's multi interface; requests
/// reach it through a lock-protected queue, and completions resume the
/// waiting tasks, so Swift's cooperative pool never blocks on the network.
/// The multi handle keeps its connection cache (keep-alive reuse), HTTP/2 is
/// negotiated over TLS when the server offers it (streams multiplexed on one
/// connection), and compressed bodies (gzip, deflate, br, zstd as built) are
/// decoded. Redirects are not followed unless `Options.followRedirects`.
/// Streaming bodies are pulled: the transfer pauses when `streamBufferLimit`
/// bytes wait unread. Cancelling the task that iterates a body, or
/// dropping the body, aborts the transfer; the iteration then ends (nil, as
/// any `AsyncThrowingStream` does on cancellation) or throws
/// `HTTPError.cancelled` when it was waiting for data.
/// Releasing the transport stops its thread once the transfers still
/// running (streams handed out) have ended.
///
/// TLS follows the kubeconfig model: `caPEM` replaces the system trust
/// store, a client certificate/key pair authenticates us, and `serverName`
/// (`tls-server-name`) is the name the server certificate is verified
/// against and sent as SNI while the connection still goes to the URL's
/// host: the URL handed to curl names `serverName`, `CURLOPT_CONNECT_TO`
/// routes it to the real host and port, and the `Host` header keeps the
/// original authority.
public final class CurlTransport: HTTPTransport {
    public struct Options: Sendable {
        /// Time to establish a connection (TCP and TLS). 30 s, as client-go's dialer.
        public var connectTimeout: Duration = .seconds(30)
        public var userAgent: String = "inference-operator"
        /// Open connections in total; 0 means no limit. Transfers beyond it
        /// wait for a free connection (HTTP/2 multiplexes them instead).
        public var maxConnections: Int = 0
        /// Open connections per host; 0 means no limit.
        public var maxConnectionsPerHost: Int = 0
        /// Connections kept open for reuse (`CURLMOPT_MAXCONNECTS`). curl's
        /// own default, four per transfer currently running, shrinks between
        /// bursts and closes connections the next burst needs again.
        public var connectionCacheSize: Int = 256
        /// Bytes a streaming body may hold unread before the transfer pauses
        /// (resumed at half). 1 MiB: several large watch events, bounded
        /// memory with hundreds of open watches.
        public var streamBufferLimit: Int = 1 << 20
        public var followRedirects: Bool = false
        /// TCP keep-alive probe interval; 0 disables. 30 s, as client-go's dialer.
        public var tcpKeepAlive: Duration = .seconds(30)

        public init() {}
    }

    public let tls: TLSConfiguration
    public let options: Options
    let engine: CurlEngine
    private let counters = TransportCounters()

    /// Throws `HTTPError.tls` for an unusable `serverName`, `.other` when
    /// libcurl cannot be set up.
    public init(tls: TLSConfiguration = TLSConfiguration(), options: Options = Options()) throws(HTTPError) {
        if let serverName = tls.serverName {
            guard !serverName.isEmpty, serverName.unicodeScalars.allSatisfy({
                $0.isASCII && $0.value > 0x20 && !":/?#[]@".unicodeScalars.contains($0)
            }) else { throw .tls("invalid server name '\(serverName)'") }
        }
        if (tls.clientCertificatePEM == nil) != (tls.clientKeyPEM == nil) {
            throw .tls("a client certificate needs its key, and a key its certificate")
        }
        self.tls = tls
        self.options = options
        let settings = EngineSettings(
            tls: tls,
            connectTimeoutMilliseconds: PreparedRequest.milliseconds(options.connectTimeout),
            userAgent: options.userAgent,
            maxConnections: max(0, options.maxConnections),
            maxConnectionsPerHost: max(0, options.maxConnectionsPerHost),
            connectionCacheSize: max(1, options.connectionCacheSize),
            followRedirects: options.followRedirects,
            tcpKeepAliveSeconds: options.tcpKeepAlive > .zero ? max(1, Int(options.tcpKeepAlive.components.seconds)) : 0)
        engine = try CurlEngine(settings: settings, counters: counters)
    }

    deinit { engine.shutdownWhenIdle() }

    /// A snapshot of this transport's counters.
    public var statistics: TransportStatistics { counters.snapshot }

    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let prepared = try PreparedRequest(request, serverName: tls.serverName)
        let sink = BufferedResponseSink()
        let id = engine.makeID()
        let engine = self.engine
        let result = await withTaskCancellationHandler {
            engine.start(id, prepared, sink: sink)
            return await sink.response()
        } onCancel: {
            sink.cancel()
            engine.cancel(id)
        }
        return try result.get()
    }

    public func stream(_ request: HTTPRequest) async throws(HTTPError) -> HTTPStreamingResponse {
        let prepared = try PreparedRequest(request, serverName: tls.serverName)
        let id = engine.makeID()
        let engine = self.engine
        let buffer = BodyBuffer(
            limit: options.streamBufferLimit, counters: counters,
            resumeTransfer: { engine.resume(id) }, cancelTransfer: { engine.cancel(id) })
        let sink = StreamingResponseSink(buffer: buffer)
        let head = await withTaskCancellationHandler {
            engine.start(id, prepared, sink: sink)
            return await sink.head()
        } onCancel: {
            sink.cancel()
            engine.cancel(id)
        }
        switch head {
        case .success(let head):
            return HTTPStreamingResponse(status: head.status, headers: head.headers, body: BodyStreamOwner.stream(over: buffer))
        case .failure(let error):
            buffer.abandon()
            throw error
        }
    }
}
