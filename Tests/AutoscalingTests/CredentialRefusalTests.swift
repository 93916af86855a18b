import HTTP
import Testing
@testable import Autoscaling

/// A 401/403 from Prometheus reaches the caller as a typed error
/// (`ObjectSignals.credentialsRefused`), whatever the body or our message
/// says, so the operator re-reads a rotated Secret on the case, not on words.
@Suite struct CredentialRefusalTests {
    static let a = ObjectKey(namespace: "ml", name: "a-predictor")

    @Test(arguments: [
        (401, #"{"status":"error","errorType":"unauthorized","error":"bad token"}"#),
        (403, "<html><body>Forbidden by oauth2-proxy</body></html>"),
        (403, ""),
    ])
    func aRefusedBatchedQueryIsTypedWhateverItsBodySays(status: Int, body: String) async throws {
        let transport = CannedTransport([.respond(status, body), .respond(status, body)])
        let signals = await client(transport).readSignals(for: [Self.a: SignalOverrides()], skipping: [.gpuUtilization])
        let read = try #require(signals[Self.a])
        #expect(read.credentialsRefused)
        #expect(read.errors.count == 2, "p95 and request rate both failed")
        #expect(read.errors.allSatisfy { if case .unauthorized(status, _) = $0 { true } else { false } }, "\(read.errors)")
        #expect(read.gpuUtilization == .missing)
    }

    @Test func anObjectsOwnQueryCarriesItsRefusal() async {
        let rate = vector([(labels: #""namespace":"ml","name":"a-predictor""#, value: "4")])
        // The batched request rate answers; the object's own p95 query is refused.
        let transport = CannedTransport([.respond(200, rate), .respond(403, "forbidden")])
        let signals = await client(transport).readSignals(for: [Self.a: SignalOverrides(p95Latency: "my_p95")], skipping: [.gpuUtilization])
        #expect(signals[Self.a]?.requestRate == .value(4))
        #expect(signals[Self.a]?.credentialsRefused == true)
        #expect(signals[Self.a]?.errors == [.unauthorized(httpStatus: 403, message: "forbidden")])
    }

    @Test(arguments: [
        CannedTransport.Outcome.respond(400, #"{"status":"error","errorType":"bad_data","error":"upstream refused our credentials"}"#),
        .respond(502, "<html>refused our credentials</html>"),
        .fail(.timedOut(url: "http://prom.test:9090/api/v1/query")),
    ])
    func otherFailuresAreNotRefusalsEvenWhenTheirWordsSaySo(_ outcome: CannedTransport.Outcome) async {
        let transport = CannedTransport([outcome, outcome])
        let signals = await client(transport).readSignals(for: [Self.a: SignalOverrides()], skipping: [.gpuUtilization])
        let read = signals[Self.a]
        #expect(read?.credentialsRefused == false)
        #expect(read?.errors.count == 2, "the failures are still reported, typed")
        guard case .unavailable = read?.p95Latency else {
            Issue.record("expected p95 unavailable, got \(String(describing: read?.p95Latency))")
            return
        }
    }

    @Test func answersCarryNoErrors() async {
        let body = vector([(labels: #""namespace":"ml","name":"a-predictor""#, value: "0.2")])
        let signals = await client(CannedTransport([.respond(200, body), .respond(200, body)]))
            .readSignals(for: [Self.a: SignalOverrides()], skipping: [.gpuUtilization])
        #expect(signals[Self.a]?.errors == [])
        #expect(signals[Self.a]?.credentialsRefused == false)
    }

    @Test func theTypeDecidesNotTheReasonText() {
        let refusedInOtherWords = ObjectSignals(p95Latency: .unavailable("access denied"), gpuUtilization: .missing,
                                                requestRate: .unavailable("access denied"),
                                                errors: [.unauthorized(httpStatus: 403, message: "")])
        #expect(refusedInOtherWords.credentialsRefused)
        let wordsWithoutTheCase = SignalValue.unavailable("Prometheus refused our credentials (HTTP 401): bad token")
        #expect(!ObjectSignals(p95Latency: wordsWithoutTheCase, gpuUtilization: wordsWithoutTheCase, requestRate: wordsWithoutTheCase)
            .credentialsRefused)
        #expect(BatchedSignal(error: .unauthorized(httpStatus: 401, message: "x")).error?.refusedCredentials == true)
        #expect(PrometheusError.query(errorType: "bad_data", message: "refused our credentials", httpStatus: 400).refusedCredentials == false)
    }
}
