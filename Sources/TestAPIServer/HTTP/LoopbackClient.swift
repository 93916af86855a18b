import JSONValue
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client for 127.0.0.1, used by this module's tests and
/// benchmark (one connection per request; watches stream line by line).
/// Product code talks to the server through the libcurl `HTTPTransport`.
public struct LoopbackClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var json: JSON? { try? JSON.parse(body) }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    public struct ClientError: Error, CustomStringConvertible {
        public var description: String
    }

    let host: String
    let port: Int
    let group: any EventLoopGroup

    public init(host: String = "127.0.0.1", port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.group = group
    }

    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    private func connect() async throws -> Channel {
        try await ClientBootstrap(group: group).connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try Channel(wrappingChannelSynchronously: channel)
            }
        }
    }

    private func send(_ outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>, _ method: String, _ target: String,
                      _ body: [UInt8]?, _ headers: [(String, String)]) async throws {
        var h = HTTPHeaders()
        h.add(name: "Host", value: "\(host):\(port)")
        h.add(name: "Connection", value: "close")
        h.add(name: "User-Agent", value: "testapi-client/1.0")
        for (name, value) in headers { h.replaceOrAdd(name: name, value: value) }
        if let body { h.add(name: "Content-Length", value: String(body.count)) }
        // One write: the server may answer (and close) as soon as it has the
        // head of a body-less request, before a separate `.end` write.
        var parts: [HTTPClientRequestPart] = [.head(HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target, headers: h))]
        if let body { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
    }

    /// Sends one request and reads the whole answer.
    public func request(_ method: String, _ target: String, json: JSON? = nil, body: [UInt8]? = nil,
                        contentType: String = "application/json", headers: [(String, String)] = []) async throws -> Response {
        let payload = json.map { $0.serializedBytes() } ?? body
        var all = headers
        if payload != nil { all.append(("Content-Type", contentType)) }
        let channel = try await connect()
        return try await channel.executeThenClose { inbound, outbound in
            try await send(outbound, method, target, payload, all)
            var response = Response(status: 0, headers: [], body: [])
            for try await part in inbound {
                switch part {
                case .head(let head):
                    response.status = Int(head.status.code)
                    response.headers = head.headers.map { ($0.name, $0.value) }
                case .body(var buffer):
                    response.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                case .end:
                    return response
                }
            }
            throw ClientError(description: "connection closed before the response ended (\(method) \(target))")
        }
    }

    /// Opens a streaming request (a watch) and hands its lines to `body`.
    public func stream<T: Sendable>(_ target: String, headers: [(String, String)] = [],
                                    _ body: (inout LineStream) async throws -> T) async throws -> T {
        let channel = try await connect()
        return try await channel.executeThenClose { inbound, outbound in
            try await send(outbound, "GET", target, nil, headers)
            var lines = LineStream(iterator: inbound.makeAsyncIterator())
            try await lines.readHead()
            return try await body(&lines)
        }
    }
}

/// The lines of a streamed response body; events may span chunks.
public struct LineStream {
    var iterator: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    var buffer: [UInt8] = []
    var ended = false
    public private(set) var status = 0
    public private(set) var headers: [(String, String)] = []

    init(iterator: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator) { self.iterator = iterator }

    mutating func readHead() async throws {
        while status == 0 {
            guard let part = try await iterator.next() else { ended = true; return }
            if case .head(let head) = part {
                status = Int(head.status.code)
                headers = head.headers.map { ($0.name, $0.value) }
            }
        }
    }

    /// The next line, or nil when the response ended or the connection closed.
    public mutating func nextLine() async throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            if ended {
                guard !buffer.isEmpty else { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            switch try await iterator.next() {
            case .body(var chunk)?: buffer += chunk.readBytes(length: chunk.readableBytes) ?? []
            case .end?, nil: ended = true
            case .head?: break
            }
        }
    }

    /// The next line parsed as JSON (a watch event), or nil at the end.
    public mutating func nextEvent() async throws -> JSON? {
        guard let line = try await nextLine() else { return nil }
        return try JSON.parse(line)
    }
}
