import HTTP
import JSONValue
import KubeAPI
import Testing
import TestSupport
@testable import KubeClient

@Suite struct ErrorMappingTests {
    static func status(_ code: Int, _ reason: String, details: String = "") -> String {
        #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"msg \#(code)","reason":"\#(reason)","code":\#(code)\#(details)}"#
    }

    @Test(arguments: [
        (404, "NotFound", "notFound"),
        (409, "Conflict", "conflict"),
        (409, "AlreadyExists", "alreadyExists"),
        (410, "Expired", "gone"),
        (401, "Unauthorized", "unauthorized"),
        (403, "Forbidden", "forbidden"),
        (400, "BadRequest", "badRequest"),
        (500, "InternalError", "server"),
        (405, "MethodNotAllowed", "unexpected"),
    ])
    func statusBodiesMapToActionableCases(code: Int, reason: String, expected: String) async {
        let transport = ScriptedTransport(status: code, json: Self.status(code, reason))
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://x"), transport: transport)
        do {
            _ = try await client.get(.pods, name: "p")
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error).hasPrefix(reason))
            #expect(error.status?.message == "msg \(code)")
            #expect("\(error)".contains("msg \(code)"))
            let name: String = switch error {
            case .notFound: "notFound"
            case .conflict: "conflict"
            case .alreadyExists: "alreadyExists"
            case .gone: "gone"
            case .unauthorized: "unauthorized"
            case .forbidden: "forbidden"
            case .badRequest: "badRequest"
            case .server: "server"
            case .unexpected: "unexpected"
            default: "other"
            }
            #expect(name == expected)
        }
    }

    @Test func invalidCarriesFieldCauses() {
        let body = Self.status(422, "Invalid", details: #","details":{"causes":[{"reason":"FieldValueInvalid","message":"must be >= 1","field":"spec.replicas.min"}]}"#)
        let error = KubeAPIError.from(status: 422, headers: [:], body: Array(body.utf8))
        guard case .invalid(_, let causes) = error else { Issue.record("not invalid: \(error)"); return }
        #expect(causes.first?.field == "spec.replicas.min")
        #expect(error.description.contains("spec.replicas.min: must be >= 1"))
    }

    @Test func tooManyRequestsHonoursRetryAfterHeader() {
        let error = KubeAPIError.from(status: 429, headers: ["Retry-After": "3"], body: Array(Self.status(429, "TooManyRequests").utf8))
        guard case .tooManyRequests(_, let retryAfter) = error else { Issue.record("wrong case"); return }
        #expect(retryAfter == .seconds(3))
        #expect(error.isRetryable)
    }

    @Test func tooManyRequestsFallsBackToDetailsRetryAfterSeconds() {
        let body = Self.status(429, "TooManyRequests", details: #","details":{"retryAfterSeconds":7}"#)
        guard case .tooManyRequests(_, let retryAfter) = KubeAPIError.from(status: 429, headers: [:], body: Array(body.utf8)) else {
            Issue.record("wrong case"); return
        }
        #expect(retryAfter == .seconds(7))
    }

    @Test func nonStatusBodiesStillMapByCode() {
        let error = KubeAPIError.from(status: 502, headers: [:], body: Array("<html>bad gateway</html>".utf8))
        guard case .server(let status, _) = error else { Issue.record("wrong case"); return }
        #expect(status.code == 502)
        #expect(status.message?.contains("bad gateway") == true)
    }

    @Test func transportFailuresAreWrapped() async {
        let transport = ScriptedTransport { _, _ in .failure(.connection("refused")) }
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://x"), transport: transport)
        await #expect {
            _ = try await client.get(.pods, name: "p")
        } throws: { error in
            if case .transport(.connection("refused")) = error as? KubeAPIError { return true }
            return false
        }
    }

    @Test func undecodableSuccessBodiesAreDecodingErrors() async {
        let transport = ScriptedTransport(json: "{not json")
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://x"), transport: transport)
        await #expect {
            _ = try await client.get(.pods, name: "p")
        } throws: { error in
            if case .decoding(let message) = error as? KubeAPIError { return message.contains("/api/v1/namespaces/default/pods/p") }
            return false
        }
    }
}
