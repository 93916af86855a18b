/// The seam between everything that speaks HTTP (the Kubernetes client, the
/// Prometheus client) and the wire. `CurlTransport` is the production
/// implementation; tests may substitute a scripted one.
public protocol HTTPTransport: Sendable {
    /// Sends a request and returns the whole response body.
    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse

    /// Sends a request and returns as soon as the status line and headers
    /// arrived; the body follows as a stream of byte chunks. Cancelling the
    /// consuming task or dropping the stream aborts the transfer.
    func stream(_ request: HTTPRequest) async throws(HTTPError) -> HTTPStreamingResponse
}

public enum HTTPMethod: String, Sendable, Hashable {
    case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE", head = "HEAD"
}

/// Header fields in order; names compare case-insensitively.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field of that name with one value (or removes them for nil).
    public subscript(name: String) -> String? {
        get { fields.first { $0.name.lowercased() == name.lowercased() }?.value }
        set {
            fields.removeAll { $0.name.lowercased() == name.lowercased() }
            if let newValue { fields.append((name, newValue)) }
        }
    }

    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.map { [$0.name.lowercased(), $0.value] } == rhs.fields.map { [$0.name.lowercased(), $0.value] }
    }
    public func hash(into hasher: inout Hasher) {
        for field in fields { hasher.combine(field.name.lowercased()); hasher.combine(field.value) }
    }
}

public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// Absolute URL, e.g. `https://10.0.0.1:6443/api/v1/namespaces/default/pods?limit=10`.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]?
    /// Whole-transfer timeout; nil means none (used by long watches).
    public var timeout: Duration?
    /// Signs the request with AWS Signature Version 4 (libcurl's `CURLOPT_AWS_SIGV4`); nil sends it unsigned.
    public var awsSigV4: AWSSigV4?

    public init(method: HTTPMethod = .get, url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil, timeout: Duration? = .seconds(30),
                awsSigV4: AWSSigV4? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.awsSigV4 = awsSigV4
    }
}

/// What libcurl needs to sign a request with AWS Signature Version 4. libcurl
/// (7.88) signs `host`, `x-amz-date` and every header the request carries
/// (so `x-amz-security-token` and `x-amz-content-sha256` set by the caller are
/// covered); it does not add `x-amz-content-sha256` itself, which S3 requires.
/// The description never shows the secret.
public struct AWSSigV4: Sendable, Hashable, CustomStringConvertible {
    /// `provider1:provider2:region:service`, e.g. `aws:amz:us-east-1:s3`.
    public var parameter: String
    public var accessKeyID: String
    public var secretAccessKey: String

    public init(region: String, service: String, accessKeyID: String, secretAccessKey: String) {
        parameter = "aws:amz:\(region):\(service)"
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    public var description: String { "AWSSigV4(\(parameter), credentials redacted)" }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// Body chunks as they arrive (not necessarily aligned to lines or frames).
    public var body: AsyncThrowingStream<[UInt8], any Error>

    public init(status: Int, headers: HTTPHeaders, body: AsyncThrowingStream<[UInt8], any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Transport-level failures: nothing (or not all) was received from the server.
public enum HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    case timedOut(url: String)
    case cancelled
    case tls(String)
    case connection(String)
    case other(String)

    public var description: String {
        switch self {
        case .invalidURL(let url): return "invalid URL: \(url)"
        case .timedOut(let url): return "request to \(url) timed out"
        case .cancelled: return "request cancelled"
        case .tls(let message): return "TLS error: \(message)"
        case .connection(let message): return "connection error: \(message)"
        case .other(let message): return "HTTP error: \(message)"
        }
    }
}

/// How a transport authenticates the server and itself.
public struct TLSConfiguration: Sendable, Hashable {
    /// PEM bundle of trusted CAs; nil uses the system trust store.
    public var caPEM: [UInt8]?
    /// Client certificate and key (PEM), for mutual TLS.
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// Skips verification of the server's certificate. Off by default.
    public var insecureSkipVerify: Bool
    /// Name to verify the server's certificate against (and send as SNI)
    /// instead of the URL's host, as kubeconfig's `tls-server-name`.
    public var serverName: String?

    public init(caPEM: [UInt8]? = nil, clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
                insecureSkipVerify: Bool = false, serverName: String? = nil) {
        self.caPEM = caPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
    }
}

extension HTTPStreamingResponse {
    /// Regroups the body into lines (split on `\n`, without the terminator),
    /// however the chunks fall. A final line without a newline is delivered too.
    public var lines: HTTPLineSequence { HTTPLineSequence(chunks: body) }
}

/// Lines of a chunked body, assembled across chunk boundaries.
public struct HTTPLineSequence: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let chunks: AsyncThrowingStream<[UInt8], any Error>

    public init(chunks: AsyncThrowingStream<[UInt8], any Error>) { self.chunks = chunks }

    public func makeAsyncIterator() -> Iterator { Iterator(chunks: chunks.makeAsyncIterator()) }

    public struct Iterator: AsyncIteratorProtocol {
        var chunks: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        /// Unconsumed bytes are `buffer[start...]`; no newline occurs in
        /// `buffer[start..<searchFrom]`. Consumed bytes are dropped in bulk.
        var buffer: [UInt8] = []
        var start = 0
        var searchFrom = 0
        var finished = false

        public mutating func next() async throws -> [UInt8]? {
            while true {
                if let newline = buffer[searchFrom...].firstIndex(of: 0x0A) {
                    let line = Array(buffer[start..<newline])
                    start = newline + 1
                    searchFrom = start
                    return line
                }
                if start > 0 {
                    buffer.removeFirst(start)
                    start = 0
                }
                searchFrom = buffer.count
                if finished {
                    guard !buffer.isEmpty else { return nil }
                    defer { buffer.removeAll(); searchFrom = 0 }
                    return buffer
                }
                if let chunk = try await chunks.next() {
                    buffer.append(contentsOf: chunk)
                } else {
                    finished = true
                }
            }
        }
    }
}
