import HTTP

/// How to reach Prometheus. TLS (a custom CA, client certificates) belongs
/// to the transport: build the `CurlTransport` with a `TLSConfiguration`
/// whose `caPEM` is the CA bundle.
public struct PrometheusConfiguration: Sendable, Hashable {
    public enum Authentication: Sendable, Hashable {
        case none
        /// `Authorization: Bearer <token>` (e.g. a service-account token
        /// in front of an OAuth proxy, or Grafana Cloud / AMP gateways).
        case bearer(String)
        /// `Authorization: Basic base64(user:password)`.
        case basic(username: String, password: String)
    }

    /// Base URL, e.g. `http://prometheus.monitoring:9090` (a path prefix
    /// such as `/prometheus` is kept).
    public var baseURL: String
    public var authentication: Authentication
    /// Whole-request timeout; also sent as the query `timeout` parameter so
    /// Prometheus gives up at the same time. Default 10 s: below the 15 s
    /// evaluation interval, so a slow query never overlaps the next one.
    public var timeout: Duration

    public init(baseURL: String, authentication: Authentication = .none, timeout: Duration = .seconds(10)) {
        self.baseURL = baseURL
        self.authentication = authentication
        self.timeout = timeout
    }
}

/// Credentials never print: logs and messages show only their kind.
extension PrometheusConfiguration.Authentication: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        switch self {
        case .none: return "none"
        case .bearer: return "bearer(<redacted>)"
        case .basic: return "basic(<redacted>)"
        }
    }
    public var debugDescription: String { description }
}

/// Instant queries against the Prometheus HTTP API over `HTTPTransport`.
public struct PrometheusClient: Sendable {
    public let configuration: PrometheusConfiguration
    let transport: any HTTPTransport

    public init(configuration: PrometheusConfiguration, transport: any HTTPTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    /// `POST /api/v1/query` with a form-encoded body. `time` is Unix
    /// seconds; nil lets Prometheus use its own now.
    public func query(_ promql: String, time: Double? = nil) async throws(PrometheusError) -> PrometheusResult {
        let request = makeRequest(promql, time: time)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw .transport(error.description)
        }
        return try PrometheusResult.parse(body: response.body, httpStatus: response.status)
    }

    /// One query for one object's signal: never throws, failures become
    /// `.unavailable`, an empty answer `.missing`.
    public func signal(_ promql: String, time: Double? = nil) async -> SignalValue {
        await signalReading(promql, time: time).value
    }

    /// `signal`, with the typed error when the query failed (what a caller
    /// acts on, e.g. `refusedCredentials`).
    func signalReading(_ promql: String, time: Double? = nil) async -> (value: SignalValue, error: PrometheusError?) {
        do {
            return (SignalValue(singleResult: try await query(promql, time: time)), nil)
        } catch {
            return (SignalValue(error: error), error)
        }
    }

    /// One grouped query for every object at once (see `BatchedSignal`).
    public func batchedSignal(_ promql: String, objectLabels: ObjectLabels = .init(), time: Double? = nil) async -> BatchedSignal {
        do {
            return BatchedSignal(result: try await query(promql, time: time), labels: objectLabels)
        } catch {
            return BatchedSignal(error: error)
        }
    }

    func makeRequest(_ promql: String, time: Double?) -> HTTPRequest {
        var form = [("query", promql)]
        if let time { form.append(("time", formatUnixTime(time))) }
        let seconds = Double(configuration.timeout.components.seconds)
            + Double(configuration.timeout.components.attoseconds) / 1e18
        if seconds > 0 { form.append(("timeout", formatNumber(seconds) + "s")) }
        var headers: HTTPHeaders = [
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        ]
        switch configuration.authentication {
        case .none: break
        case .bearer(let token): headers["Authorization"] = "Bearer \(token)"
        case .basic(let user, let password): headers["Authorization"] = "Basic \(base64(Array("\(user):\(password)".utf8)))"
        }
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        let body = form.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        return HTTPRequest(method: .post, url: base + "/api/v1/query", headers: headers,
                           body: Array(body.utf8), timeout: configuration.timeout)
    }
}

/// `application/x-www-form-urlencoded` value encoding: unreserved bytes as
/// they are, space as `+`, everything else `%XX`.
func formEncode(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    let hex = Array("0123456789ABCDEF".utf8)
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
             UInt8(ascii: "."), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        case UInt8(ascii: " "):
            out.append("+")
        default:
            out.append("%")
            out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
            out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
        }
    }
    return out
}

/// Unix time with millisecond precision, as Prometheus accepts it.
func formatUnixTime(_ time: Double) -> String {
    let millis = Int64((time * 1000).rounded())
    let whole = millis / 1000, frac = abs(millis % 1000)
    let fracText = String(frac)
    return "\(whole).\(String(repeating: "0", count: 3 - fracText.count))\(fracText)"
}

/// Standard base64 with padding (RFC 4648), for Basic authentication.
func base64(_ bytes: [UInt8]) -> String {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out = [UInt8]()
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
        let b0 = bytes[index]
        let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
        let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
        out.append(table[Int(b0 >> 2)])
        out.append(table[Int((b0 & 0x03) << 4 | b1 >> 4)])
        out.append(index + 1 < bytes.count ? table[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
        out.append(index + 2 < bytes.count ? table[Int(b2 & 0x3F)] : UInt8(ascii: "="))
        index += 3
    }
    return String(decoding: out, as: UTF8.self)
}
