import HTTP
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

/// The header route of a canary rollout: an infer request carrying
/// `X-Canary: true` is forwarded to the candidate (`--canary-url`, the
/// operator's `{name}-canary` Service) and its answer returned as is. The
/// route is inert unless a canary runs: without the candidate's Service, or
/// with no ready candidate pod behind it, the connection fails at once and
/// the request is served here. A forwarded request is marked
/// `X-Canary-Forwarded`, so it is never forwarded twice.
public struct CanaryRoute: Sendable {
    public static let header = "x-canary"
    public static let forwardedHeader = "x-canary-forwarded"
    /// The headers an answer keeps on the way back.
    static let answerHeaders = ["content-type", "inference-header-content-length", ModelVersionHeader.name]

    public let baseURL: String
    let transport: any HTTPTransport
    let timeout: Duration
    let forwarded: Counter
    let unreachable: Counter

    public init(baseURL: String, transport: any HTTPTransport, registry: PrometheusCollectorRegistry, timeout: Duration = .seconds(30)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
        self.timeout = timeout
        let descriptor = { (outcome: String) in
            registry.makeCounter(
                descriptor: .init(metricName: "inference_canary_route_requests", unitName: "total",
                                  helpText: "Requests with X-Canary: true, by whether the candidate answered (forwarded) or could not be reached (unreachable: served here)."),
                labels: [("outcome", outcome)])
        }
        forwarded = descriptor("forwarded")
        unreachable = descriptor("unreachable")
    }

    /// Whether this request asks for the candidate and has not been forwarded already.
    static func wants(_ headers: HTTPFields) -> Bool {
        let asked = headers.first { $0.name.canonicalName == header }?.value.lowercased() == "true"
        let already = headers.contains { $0.name.canonicalName == forwardedHeader }
        return asked && !already
    }

    /// The candidate's answer, or nil when it could not be reached (the caller serves the request itself).
    func forward(path: String, headers: HTTPFields, body: ByteBuffer) async -> Response? {
        var outgoing: HTTP.HTTPHeaders = [Self.forwardedHeader: "1"]
        for field in headers where ["content-type", "inference-header-content-length", "traceparent", "tracestate"].contains(field.name.canonicalName) {
            outgoing.add(field.name.canonicalName, field.value)
        }
        let request = HTTP.HTTPRequest(method: .post, url: baseURL + path, headers: outgoing, body: Array(buffer: body), timeout: timeout)
        let answer: HTTP.HTTPResponse
        do {
            answer = try await transport.send(request)
        } catch {
            unreachable.increment()
            return nil
        }
        forwarded.increment()
        var fields = HTTPFields()
        for name in Self.answerHeaders {
            if let value = answer.headers[name], let field = HTTPField.Name(name) { fields[field] = value }
        }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// `X-Model-Version`: which version answered (`--model-version`), on every infer answer of a labelled server.
enum ModelVersionHeader {
    static let name = "x-model-version"
}
