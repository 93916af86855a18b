import HTTP
import Synchronization
import Testing
@testable import Autoscaling

/// Answers every request with the next scripted outcome and records requests.
final class CannedTransport: HTTPTransport {
    enum Outcome: Sendable {
        case respond(Int, String)
        case fail(HTTPError)
    }

    private let script: Mutex<[Outcome]>
    private let log = Mutex<[HTTPRequest]>([])

    init(_ outcomes: [Outcome]) { script = Mutex(outcomes) }
    convenience init(status: Int = 200, _ body: String) { self.init([.respond(status, body)]) }

    var requests: [HTTPRequest] { log.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        log.withLock { $0.append(request) }
        let next: Outcome? = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        switch next {
        case .respond(let status, let body): return HTTPResponse(status: status, body: Array(body.utf8))
        case .fail(let error): throw error
        case nil: throw .other("no scripted response left")
        }
    }

    func stream(_ request: HTTPRequest) async throws(HTTPError) -> HTTPStreamingResponse {
        throw .other("streaming not scripted")
    }
}

func vector(_ samples: [(labels: String, value: String)]) -> String {
    let items = samples.map { "{\"metric\":{\($0.labels)},\"value\":[1700000000.5,\"\($0.value)\"]}" }
    return "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[\(items.joined(separator: ","))]}}"
}

func client(_ transport: CannedTransport) -> PrometheusClient {
    PrometheusClient(configuration: PrometheusConfiguration(baseURL: "http://prom.test:9090/"), transport: transport)
}

@Suite struct PrometheusAnswers {
    @Test(arguments: [
        ("0.231", SignalValue.value(0.231)),
        ("NaN", .noData),
        ("+Inf", .value(.infinity)),
        ("-Inf", .unavailable("query returned -Inf")),
        ("0", .value(0)),
    ])
    func sampleValuesMapToDistinctStates(text: String, expected: SignalValue) async {
        let transport = CannedTransport(vector([(labels: "", value: text)]))
        #expect(await client(transport).signal("q") == expected)
    }

    @Test func emptyVectorIsMissing() async {
        #expect(await client(CannedTransport(vector([]))).signal("q") == .missing)
    }

    @Test func scalarIsAValue() async {
        let body = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,\"3.5\"]}}"
        #expect(await client(CannedTransport(body)).signal("q") == .value(3.5))
    }

    @Test func severalSeriesForOneObjectAreUnavailable() async {
        let body = vector([(labels: "\"pod\":\"a\"", value: "1"), (labels: "\"pod\":\"b\"", value: "2")])
        #expect(await client(CannedTransport(body)).signal("q") == .unavailable("query returned 2 series, expected 1"))
    }

    @Test func errorStatusCarriesErrorType() async {
        let body = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error at char 5\"}"
        let transport = CannedTransport(status: 400, body)
        await #expect(throws: PrometheusError.query(errorType: "bad_data", message: "parse error at char 5", httpStatus: 400)) {
            _ = try await client(transport).query("sum(")
        }
        #expect(await client(CannedTransport(status: 400, body)).signal("sum(") == .unavailable("bad_data: parse error at char 5"))
    }

    @Test func timeoutIsUnavailable() async {
        let transport = CannedTransport([.fail(.timedOut(url: "http://prom.test:9090/api/v1/query"))])
        let signal = await client(transport).signal("q")
        guard case .unavailable(let why) = signal else {
            Issue.record("expected unavailable, got \(signal)")
            return
        }
        #expect(why.contains("timed out"))
    }

    @Test(arguments: [
        (200, "<html>proxy error</html>", "not JSON"),
        (200, "{\"data\":{}}", "no \"status\""),
        (200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"abc\"]}]}}", "not a number"),
        (200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{}}]}}", "has no value"),
    ])
    func malformedAnswersAreBadResponses(status: Int, body: String, fragment: String) async {
        do {
            _ = try await client(CannedTransport(status: status, body)).query("q")
            Issue.record("expected an error")
        } catch {
            guard case .badResponse(let message) = error else {
                Issue.record("expected badResponse, got \(error)")
                return
            }
            #expect(message.contains(fragment))
        }
    }

    @Test func unauthorizedIsItsOwnError() async {
        await #expect(throws: PrometheusError.unauthorized(httpStatus: 401, message: "Unauthorized")) {
            _ = try await client(CannedTransport(status: 401, "Unauthorized")).query("q")
        }
    }
}

@Suite struct PrometheusRequests {
    @Test func instantQueryIsAFormEncodedPost() async throws {
        let transport = CannedTransport(vector([]))
        let config = PrometheusConfiguration(baseURL: "https://prom.test/prefix/", authentication: .bearer("tok en"),
                                             timeout: .milliseconds(2500))
        _ = try await PrometheusClient(configuration: config, transport: transport)
            .query("sum by (namespace) (rate(x[1m])) > 0.5 & y", time: 1700000000.25)
        let request = try #require(transport.requests.first)
        #expect(request.method == .post)
        #expect(request.url == "https://prom.test/prefix/api/v1/query")
        #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(request.headers["Authorization"] == "Bearer tok en")
        #expect(request.timeout == .milliseconds(2500))
        let body = String(decoding: request.body ?? [], as: UTF8.self)
        #expect(body == "query=sum+by+%28namespace%29+%28rate%28x%5B1m%5D%29%29+%3E+0.5+%26+y&time=1700000000.250&timeout=2.5s")
    }

    @Test func basicAuthIsBase64OfUserColonPassword() async throws {
        let transport = CannedTransport(vector([]))
        let config = PrometheusConfiguration(baseURL: "http://p", authentication: .basic(username: "Aladdin", password: "open sesame"))
        _ = try await PrometheusClient(configuration: config, transport: transport).query("up")
        #expect(transport.requests.first?.headers["Authorization"] == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    }

    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64MatchesRFC4648(input: String, expected: String) {
        #expect(base64(Array(input.utf8)) == expected)
    }
}

@Suite struct BatchedQueries {
    let a = ObjectKey(namespace: "ns-a", name: "fast")
    let b = ObjectKey(namespace: "ns-b", name: "idle")
    let c = ObjectKey(namespace: "ns-c", name: "new")

    @Test func oneGroupedQuerySplitsPerObject() async {
        let body = vector([
            (labels: "\"namespace\":\"ns-a\",\"name\":\"fast\"", value: "0.375"),
            (labels: "\"namespace\":\"ns-b\",\"name\":\"idle\"", value: "NaN"),
            (labels: "\"namespace\":\"ns-x\"", value: "7"),  // no name label: ignored
        ])
        let batched = await client(CannedTransport(body)).batchedSignal("q")
        #expect(batched.signal(for: a) == .value(0.375))
        #expect(batched.signal(for: b) == .noData)
        #expect(batched.signal(for: c) == .missing)
    }

    @Test func duplicateSeriesMakeThatObjectUnavailable() {
        let result = PrometheusResult.vector([
            PrometheusSample(labels: ["namespace": "ns-a", "name": "fast", "pod": "1"], value: 1),
            PrometheusSample(labels: ["namespace": "ns-a", "name": "fast", "pod": "2"], value: 2),
        ])
        let batched = BatchedSignal(result: result, labels: ObjectLabels())
        guard case .unavailable(let why) = batched.signal(for: a) else {
            Issue.record("expected unavailable")
            return
        }
        #expect(why.contains("2 series"))
    }

    @Test func aFailedBatchFailsEveryObject() async {
        let batched = await client(CannedTransport([.fail(.connection("refused"))])).batchedSignal("q")
        #expect(batched.signal(for: a).isFailure)
        #expect(batched.signal(for: c).isFailure)
    }

    @Test func costIsOneQueryPerSignalPlusOnePerOverride() async {
        let objects: [ObjectKey: SignalOverrides] = [
            a: SignalOverrides(), b: SignalOverrides(),
            c: SignalOverrides(p95Latency: "my_p95{svc=\"new\"}"),
        ]
        let grouped = vector([(labels: "\"namespace\":\"ns-a\",\"name\":\"fast\"", value: "1")])
        let transport = CannedTransport([.respond(200, grouped), .respond(200, grouped), .respond(200, grouped),
                                         .respond(200, vector([(labels: "", value: "0.3")]))])
        let signals = await client(transport).readSignals(for: objects)
        #expect(transport.requests.count == 4)
        #expect(signals[a]?.p95Latency == .value(1))
        #expect(signals[b]?.p95Latency == .missing)
        #expect(signals[c]?.p95Latency == .value(0.3))
        #expect(signals[c]?.requestRate == .missing)
    }

    @Test func skippedSignalsAreNotQueriedAndReadAsMissing() async {
        let objects: [ObjectKey: SignalOverrides] = [a: SignalOverrides(), c: SignalOverrides(gpuUtilization: "my_gpu")]
        let grouped = vector([(labels: "\"namespace\":\"ns-a\",\"name\":\"fast\"", value: "1")])
        let transport = CannedTransport([.respond(200, grouped), .respond(200, grouped)])
        let signals = await client(transport).readSignals(for: objects, skipping: [.gpuUtilization])
        #expect(transport.requests.count == 2)  // p95 and rate; neither the batched nor the per-object GPU query
        #expect(signals[a]?.gpuUtilization == .missing && signals[c]?.gpuUtilization == .missing)
        #expect(signals[a]?.requestRate == .value(1))
    }

    @Test func defaultQueriesNameTheAssumedMetrics() {
        let q = SignalQueries()
        #expect(q.p95Latency() == "histogram_quantile(0.95, sum by (le, namespace, name) (rate(inference_request_duration_seconds_bucket[1m])))")
        #expect(q.requestRate() == "sum by (namespace, name) (rate(inference_request_duration_seconds_count[1m]))")
        #expect(q.p95Latency(for: a).contains("inference_request_duration_seconds_bucket{namespace=\"ns-a\", name=\"fast\"}[1m]"))
        let gpu = q.gpuUtilization()
        #expect(gpu.contains("DCGM_FI_DEV_GPU_UTIL{exported_pod!=\"\"}"))
        #expect(gpu.contains("DCGM_FI_DEV_GPU_UTIL{pod!=\"\", exported_pod=\"\"}"))
        #expect(gpu.hasSuffix("or (avg by (namespace, name) (inference_gpu_utilization_percent))"))
    }

    @Test func labelValuesAreEscaped() {
        #expect(escapeLabelValue("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }
}
