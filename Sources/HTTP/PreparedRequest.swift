/// An `HTTPRequest` checked and translated into what the libcurl wrapper
/// sets on an easy handle. Building it is pure, so every rule below is
/// tested without a network.
struct PreparedRequest: Sendable {
    var method: HTTPMethod
    /// The URL curl fetches (its host rewritten when `serverName` is set).
    var url: String
    /// The URL as the caller gave it, for error messages.
    var originalURL: String
    /// A `CURLOPT_CONNECT_TO` entry `name:port:host:port`, or nil.
    var connectTo: String?
    /// Header lines in curl's syntax (`Name: value`, `Name;` for an empty
    /// value, `Name:` to suppress a header curl would add on its own).
    var headerLines: [String]
    /// Bytes to send, nil for none.
    var body: [UInt8]?
    /// Whole-transfer timeout; 0 means none.
    var timeoutMilliseconds: Int
    /// `CURLOPT_AWS_SIGV4` with `CURLOPT_USERNAME`/`CURLOPT_PASSWORD`, or nil.
    var awsSigV4: AWSSigV4?

    init(_ request: HTTPRequest, serverName: String?) throws(HTTPError) {
        let parsed = try RequestURL(parsing: request.url)
        method = request.method
        originalURL = request.url
        url = request.url
        connectTo = nil

        var headers = request.headers
        for field in headers {
            guard Self.isToken(field.name) else { throw .other("invalid header field name '\(field.name)'") }
            guard !field.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw .other("invalid value for header field '\(field.name)'")
            }
        }
        // tls-server-name: curl verifies (and sends as SNI) the URL's host, so
        // the URL names `serverName` and CONNECT_TO routes that name to the
        // real address. The Host header keeps the original authority, as Go's
        // client does with tls.Config.ServerName.
        if parsed.scheme == "https", let serverName, !serverName.isEmpty, serverName != parsed.host {
            url = parsed.replacingHost(with: serverName)
            connectTo = "\(serverName):\(parsed.port):\(parsed.host):\(parsed.port)"
            if headers["Host"] == nil { headers["Host"] = parsed.authority }
        }

        switch (request.body, request.method) {
        case (let bytes?, _): body = bytes
        case (nil, .post), (nil, .put), (nil, .patch): body = []
        default: body = nil
        }

        var lines: [String] = []
        for field in headers {
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        // No `Expect: 100-continue` round trip unless asked for; no form
        // content type invented for bodies sent without one. Not on signed
        // requests: libcurl 7.88's SigV4 signs such suppression lines as empty
        // headers it then does not send, and the store rejects the signature
        // (for a GET without a body curl would send neither anyway).
        let suppress = request.awsSigV4 == nil
        if suppress && headers["Expect"] == nil { lines.append("Expect:") }
        if suppress && body != nil && headers["Content-Type"] == nil { lines.append("Content-Type:") }
        headerLines = lines

        timeoutMilliseconds = request.timeout.map(Self.milliseconds) ?? 0
        if let signing = request.awsSigV4 {
            guard !signing.accessKeyID.isEmpty, !signing.secretAccessKey.isEmpty else {
                throw .other("AWS SigV4 signing needs an access key id and a secret access key")
            }
            let fields = [signing.parameter, signing.accessKeyID, signing.secretAccessKey]
            guard !fields.contains(where: { $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }) else {
                throw .other("AWS SigV4 parameter or credentials contain control characters")
            }
        }
        awsSigV4 = request.awsSigV4
    }

    /// Rounds up so that a positive timeout never becomes "none" (0), and a
    /// zero or negative one expires at once.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, duration > .zero else { return 1 }
        let cap = Int(Int32.max)
        guard seconds < Int64(cap / 1000) else { return cap }
        let fraction = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return max(1, Int(seconds) * 1000 + Int(fraction))
    }

    /// RFC 9110 token characters.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
        }
    }
}
