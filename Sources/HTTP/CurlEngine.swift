// The only file that touches libcurl: the multi handle, easy handles, header
// lists, C callbacks and the dedicated thread that drives them. Everything
// here is reached through `CurlEngine`'s safe API (start, cancel, resume,
// shutdown); the rest of the module is plain Swift.
import CCurl
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Locking

/// Identifies one transfer between the caller's side and the curl thread.
typealias TransferID = UInt64

/// Drives every transfer of one `CurlTransport` on a single OS thread with
/// the curl multi interface (`curl_multi_poll` + `curl_multi_wakeup`), so no
/// Swift concurrency thread ever blocks on the network. Callers hand work
/// over through a lock-protected command queue and wake the thread.
final class CurlEngine: Sendable {
    fileprivate enum Command: Sendable {
        case start(TransferID, PreparedRequest, any TransferSink)
        case cancel(TransferID)
        case resume(TransferID)
        case shutdown
    }

    private struct Queue {
        var commands: [Command] = []
        /// Set by the curl thread when it stopped; the multi handle is gone.
        var closed = false
        /// The transport is gone; the thread ends when its transfers have.
        var shutdownRequested = false
        var nextID: TransferID = 1
    }

    private let queue = Locked(Queue())
    /// Used by the curl thread and by `curl_multi_wakeup` (thread-safe in
    /// libcurl); `queue.closed` guards its lifetime.
    nonisolated(unsafe) private let multi: UnsafeMutableRawPointer
    private let settings: EngineSettings
    let counters: TransportCounters

    init(settings: EngineSettings, counters: TransportCounters) throws(HTTPError) {
        guard CurlGlobal.initialized else { throw .other("curl_global_init failed") }
        guard let multi = curl_multi_init() else { throw .other("curl_multi_init failed") }
        self.multi = multi
        self.settings = settings
        self.counters = counters
        if settings.maxConnections > 0 {
            _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, settings.maxConnections)
        }
        if settings.maxConnectionsPerHost > 0 {
            _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, settings.maxConnectionsPerHost)
        }
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, settings.connectionCacheSize)

        let loop = Unmanaged.passRetained(CurlLoop(engine: self, multi: multi)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<CurlLoop>.fromOpaque(context).takeRetainedValue().run()
            return nil
        }, loop)
        guard created == 0 else {
            Unmanaged<CurlLoop>.fromOpaque(loop).release()
            curl_multi_cleanup(multi)
            throw .other("could not start the curl thread (error \(created))")
        }
        pthread_detach(thread)
    }

    /// True once the curl thread has stopped and freed the multi handle.
    var isClosed: Bool { queue.withLock { $0.closed } }

    // MARK: safe API

    func makeID() -> TransferID {
        queue.withLock { queue in
            defer { queue.nextID += 1 }
            return queue.nextID
        }
    }

    /// Starts a transfer; the sink hears about it on the curl thread.
    func start(_ id: TransferID, _ request: PreparedRequest, sink: any TransferSink) {
        if !enqueue(.start(id, request, sink)) { sink.finished(.cancelled) }
    }

    /// Aborts a transfer; its sink gets `finished(.cancelled)`.
    func cancel(_ id: TransferID) { _ = enqueue(.cancel(id)) }

    /// Continues a transfer paused for a slow consumer.
    func resume(_ id: TransferID) { _ = enqueue(.resume(id)) }

    /// Lets the thread stop once no transfer runs any more (streams handed
    /// out keep working after their transport is released).
    func shutdownWhenIdle() {
        queue.withLock { queue in
            guard !queue.closed, !queue.shutdownRequested else { return }
            queue.shutdownRequested = true
            queue.commands.append(.shutdown)
            curl_multi_wakeup(multi)
        }
    }

    private func enqueue(_ command: Command) -> Bool {
        queue.withLock { queue in
            guard !queue.closed else { return false }
            queue.commands.append(command)
            curl_multi_wakeup(multi)
            return true
        }
    }

    fileprivate func takeCommands() -> [Command] {
        queue.withLock { queue in
            defer { queue.commands = [] }
            return queue.commands
        }
    }

    /// Called by the curl thread as it stops; returns what was still queued.
    fileprivate func close() -> [Command] {
        queue.withLock { queue in
            queue.closed = true
            defer { queue.commands = [] }
            return queue.commands
        }
    }

    // MARK: the curl thread

    /// State owned by the curl thread alone.
    private final class CurlLoop {
        let engine: CurlEngine
        let multi: UnsafeMutableRawPointer
        let share: UnsafeMutableRawPointer?
        var transfers: [TransferID: Transfer] = [:]

        init(engine: CurlEngine, multi: UnsafeMutableRawPointer) {
            self.engine = engine
            self.multi = multi
            // TLS sessions shared between this transport's handles (only this
            // thread uses them, so no lock callbacks are needed).
            share = curl_share_init()
            if let share {
                _ = ccurl_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_SSL_SESSION.rawValue))
            }
        }

        func run() {
            var stopping = false
            while true {
                for command in engine.takeCommands() {
                    switch command {
                    case .start(let id, let request, let sink): start(id, request, sink)
                    case .cancel(let id): finish(id, error: .cancelled)
                    case .resume(let id): unpause(id)
                    case .shutdown: stopping = true
                    }
                }
                if stopping && transfers.isEmpty { break }
                var running: Int32 = 0
                _ = curl_multi_perform(multi, &running)
                collectFinished()
                if stopping && transfers.isEmpty { break }
                _ = curl_multi_poll(multi, nil, 0, 1000, nil)
            }
            for id in Array(transfers.keys) { finish(id, error: .cancelled) }
            for command in engine.close() {
                if case .start(_, _, let sink) = command { sink.finished(.cancelled) }
            }
            curl_multi_cleanup(multi)
            if let share { curl_share_cleanup(share) }
        }

        private func start(_ id: TransferID, _ request: PreparedRequest, _ sink: any TransferSink) {
            guard !sink.isAbandoned else { return sink.finished(.cancelled) }
            guard let easy = curl_easy_init() else { return sink.finished(.other("curl_easy_init failed")) }
            let transfer = Transfer(id: id, easy: easy, url: redactingUserInfo(request.originalURL), sink: sink, followsRedirects: engine.settings.followRedirects)
            do throws(HTTPError) {
                try transfer.configure(request, settings: engine.settings, share: share)
            } catch {
                transfer.cleanup()
                return sink.finished(error)
            }
            guard curl_multi_add_handle(multi, easy) == CURLM_OK else {
                transfer.cleanup()
                return sink.finished(.other("curl_multi_add_handle failed"))
            }
            transfers[id] = transfer
            engine.counters.update { $0.activeTransfers += 1 }
        }

        private func unpause(_ id: TransferID) {
            guard let transfer = transfers[id] else { return }
            // May call the write callback right away with what curl kept.
            _ = curl_easy_pause(transfer.easy, ccurl_pause_continue)
        }

        private func collectFinished() {
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                var context: UnsafeMutableRawPointer?
                _ = ccurl_easy_getinfo_private(easy, &context)
                guard let context else { continue }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                finish(transfer.id, error: transfer.error(for: message.pointee.data.result))
            }
        }

        /// Removes a transfer from the multi handle, frees its C resources
        /// and tells its sink (nil error: completed).
        private func finish(_ id: TransferID, error: HTTPError?) {
            guard let transfer = transfers.removeValue(forKey: id) else { return }
            _ = curl_multi_remove_handle(multi, transfer.easy)
            var connects = 0
            _ = ccurl_easy_getinfo_long(transfer.easy, CURLINFO_NUM_CONNECTS, &connects)
            transfer.cleanup()
            engine.counters.update {
                $0.activeTransfers -= 1
                $0.finishedTransfers += 1
                $0.connectionsOpened += connects
            }
            transfer.complete(error)
        }
    }
}

/// What every easy handle of one transport shares (from `CurlTransport`'s
/// TLS configuration and options).
struct EngineSettings: Sendable {
    var tls: TLSConfiguration
    var connectTimeoutMilliseconds: Int
    var userAgent: String
    var maxConnections: Int
    var maxConnectionsPerHost: Int
    var connectionCacheSize: Int
    var followRedirects: Bool
    var tcpKeepAliveSeconds: Int
}

private enum CurlGlobal {
    /// `curl_global_init` once per process, before the first handle.
    static let initialized: Bool = curl_global_init(ccurl_global_all) == CURLE_OK
}

/// One easy handle with its header list, error buffer and response parser.
/// Lives on the curl thread; callbacks reach it through an unretained
/// pointer, valid because the loop's dictionary owns it until cleanup.
private final class Transfer {
    let id: TransferID
    let easy: UnsafeMutableRawPointer
    let url: String
    let sink: any TransferSink
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var parser: ResponseHeadParser
    private var headDelivered = false
    /// Set when a callback aborted the transfer on the consumer's behalf.
    private var aborted = false
    private var cleanedUp = false

    init(id: TransferID, easy: UnsafeMutableRawPointer, url: String, sink: any TransferSink, followsRedirects: Bool) {
        self.id = id
        parser = ResponseHeadParser(followsRedirects: followsRedirects)
        self.easy = easy
        self.url = url
        self.sink = sink
        errorBuffer = .allocate(capacity: Int(ccurl_error_size))
        errorBuffer.initialize(repeating: 0, count: Int(ccurl_error_size))
    }

    func configure(_ request: PreparedRequest, settings: EngineSettings, share: UnsafeMutableRawPointer?) throws(HTTPError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        try set(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer), "ERRORBUFFER")
        try set(ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context), "PRIVATE")
        try set(ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url), "URL")
        try set(ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS_STR")
        try set(ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        try set(ccurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)), "HTTP_VERSION")
        if request.url.lowercased().hasPrefix("https:") {
            // Wait for a connection that may turn out to multiplex (HTTP/2)
            // rather than open one per concurrent request.
            try set(ccurl_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1), "PIPEWAIT")
        }
        try set(ccurl_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""), "ACCEPT_ENCODING")
        try set(ccurl_easy_setopt_long(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1), "SUPPRESS_CONNECT_HEADERS")
        try set(ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, settings.followRedirects ? 1 : 0), "FOLLOWLOCATION")
        try set(ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeoutMilliseconds), "CONNECTTIMEOUT_MS")
        try set(ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds), "TIMEOUT_MS")
        if settings.tcpKeepAliveSeconds > 0 {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1), "TCP_KEEPALIVE")
            try set(ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPIDLE, settings.tcpKeepAliveSeconds), "TCP_KEEPIDLE")
            try set(ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPINTVL, settings.tcpKeepAliveSeconds), "TCP_KEEPINTVL")
        }
        if !settings.userAgent.isEmpty {
            try set(ccurl_easy_setopt_string(easy, CURLOPT_USERAGENT, settings.userAgent), "USERAGENT")
        }
        if let share { try set(ccurl_easy_setopt_share(easy, share), "SHARE") }

        try set(ccurl_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let length = size * count
            let line = data.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
            Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().received(headerLine: line)
            return length
        }, "HEADERFUNCTION")
        try set(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context), "HEADERDATA")
        try set(ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let length = size * count
            let chunk = data.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
            return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().received(body: chunk)
        }, "WRITEFUNCTION")
        try set(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context), "WRITEDATA")

        try configureMethod(request)
        for line in request.headerLines { headerList = curl_slist_append(headerList, line) }
        if headerList == nil && !request.headerLines.isEmpty { throw .other("curl_slist_append failed") }
        try set(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList), "HTTPHEADER")
        if let connectTo = request.connectTo {
            // curl copies nothing from CONNECT_TO's list; it lives with the header list.
            connectToList = curl_slist_append(nil, connectTo)
            try set(ccurl_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, connectToList), "CONNECT_TO")
        }
        try configureTLS(settings.tls)
        if let signing = request.awsSigV4 {
            // Separate user name and password options: a secret may contain ':'.
            try set(ccurl_easy_setopt_string(easy, CURLOPT_AWS_SIGV4, signing.parameter), "AWS_SIGV4")
            try set(ccurl_easy_setopt_string(easy, CURLOPT_USERNAME, signing.accessKeyID), "USERNAME")
            try set(ccurl_easy_setopt_string(easy, CURLOPT_PASSWORD, signing.secretAccessKey), "PASSWORD")
        }
    }

    private var connectToList: UnsafeMutablePointer<curl_slist>?

    private func configureMethod(_ request: PreparedRequest) throws(HTTPError) {
        switch request.method {
        case .get: try set(ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1), "HTTPGET")
        case .head: try set(ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1), "NOBODY")
        case .post: try set(ccurl_easy_setopt_long(easy, CURLOPT_POST, 1), "POST")
        case .put, .patch, .delete: break
        }
        if request.method != .get && request.method != .head && request.method != .post {
            try set(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue), "CUSTOMREQUEST")
        }
        if let body = request.body {
            if request.method == .get || request.method == .head {
                try set(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue), "CUSTOMREQUEST")
            }
            try set(ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "POSTFIELDSIZE_LARGE")
            // COPYPOSTFIELDS copies the bytes, so nothing must outlive this call.
            let code = body.withUnsafeBytes { raw in
                raw.baseAddress.map { ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0)) }
                    ?? ccurl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "")
            }
            try set(code, "COPYPOSTFIELDS")
        }
    }

    private func configureTLS(_ tls: TLSConfiguration) throws(HTTPError) {
        if tls.insecureSkipVerify {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0), "SSL_VERIFYPEER")
            try set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0), "SSL_VERIFYHOST")
        } else {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1), "SSL_VERIFYPEER")
            try set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2), "SSL_VERIFYHOST")
        }
        if let ca = tls.caPEM {
            try setBlob(CURLOPT_CAINFO_BLOB, ca, "CAINFO_BLOB")
            // Only the given CAs are trusted, not also the system directory.
            try set(ccurl_easy_setopt_string(easy, CURLOPT_CAPATH, nil), "CAPATH")
        }
        if let certificate = tls.clientCertificatePEM {
            try setBlob(CURLOPT_SSLCERT_BLOB, certificate, "SSLCERT_BLOB")
            try set(ccurl_easy_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM"), "SSLCERTTYPE")
        }
        if let key = tls.clientKeyPEM {
            try setBlob(CURLOPT_SSLKEY_BLOB, key, "SSLKEY_BLOB")
            try set(ccurl_easy_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM"), "SSLKEYTYPE")
        }
    }

    /// Blobs are copied by curl (`CURL_BLOB_COPY`).
    private func setBlob(_ option: CURLoption, _ bytes: [UInt8], _ name: String) throws(HTTPError) {
        var copy = bytes
        let code = copy.withUnsafeMutableBytes { raw in
            var blob = curl_blob(data: raw.baseAddress, len: raw.count, flags: ccurl_blob_copy)
            return ccurl_easy_setopt_blob(easy, option, &blob)
        }
        try set(code, name)
    }

    private func set(_ code: CURLcode, _ option: String) throws(HTTPError) {
        guard code == CURLE_OK else {
            throw .other("curl rejected option \(option): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    // MARK: callbacks (curl thread)

    func received(headerLine line: [UInt8]) {
        guard !headDelivered, let head = parser.consume(line: line) else { return }
        headDelivered = true
        sink.headComplete(head)
    }

    func received(body chunk: [UInt8]) -> Int {
        if aborted { return 0 }
        if chunk.isEmpty { return 0 }
        deliverPartialHeadIfNeeded()
        switch sink.body(chunk) {
        case .accepted: return chunk.count
        case .pause: return ccurl_write_pause
        case .abort:
            aborted = true
            return 0
        }
    }

    private func deliverPartialHeadIfNeeded() {
        guard !headDelivered, let head = parser.partialHead else { return }
        headDelivered = true
        sink.headComplete(head)
    }

    func complete(_ error: HTTPError?) {
        if error == nil { deliverPartialHeadIfNeeded() }
        sink.finished(error == nil && !headDelivered ? .other("no HTTP response from \(url)") : error)
    }

    // MARK: errors

    func error(for code: CURLcode) -> HTTPError? {
        if code == CURLE_OK { return nil }
        if aborted { return .cancelled }
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(url: url)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidURL(url)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            return .tls(detail)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR:
            // TLS 1.3 servers reject a missing client certificate after the
            // handshake, so curl sees a failed read carrying an SSL alert.
            return detail.contains("SSL") ? .tls(detail) : .connection(detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_GOT_NOTHING,
             CURLE_WEIRD_SERVER_REPLY, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .connection(detail)
        default:
            return .other(detail)
        }
    }

    /// Frees the easy handle and lists; the handle must be out of the multi.
    func cleanup() {
        guard !cleanedUp else { return }
        cleanedUp = true
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectToList)
        headerList = nil
        connectToList = nil
    }

    deinit {
        cleanup()
        errorBuffer.deallocate()
    }
}
