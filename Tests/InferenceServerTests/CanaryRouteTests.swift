import Foundation
import InferenceServer
import ONNXRuntime
import TestSupport
import Testing

/// The header route of a canary, between two real `inference-server`
/// processes serving two versions of a model under one name: the stable
/// `scale` (y = 2x) with `--canary-url`, and the candidate (y = 3x) with
/// `--model-version canary`. Requests with `X-Canary: true` get the
/// candidate's answer; without the candidate they are served by the stable one.
@Suite(.serialized, .disabled(if: !FileManager.default.isExecutableFile(atPath: ServeHelpTests.binary), "skipped: build inference-server first (make test does)"))
struct CanaryRouteTests {
    static let body = #"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#

    static func start(_ model: String, port: Int, extra: [String]) async throws -> ManagedProcess {
        let process = try ManagedProcess(ServeHelpTests.binary, [
            "serve", "--model", Fixtures.path(model), "--model-name", "scale", "--http-host", "127.0.0.1", "--http-port", String(port),
            "--intra-op-threads", "1", "--ort-library", try ortLibrary(),
        ] + extra, logName: model)
        let ready = await eventually(timeout: .seconds(60)) {
            (try? await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/v2/health/ready"]))?.status == 0
        }
        guard ready else { throw CanaryRouteError(description: "\(model) not ready: \(process.log.suffix(2000))") }
        return process
    }

    static func ortLibrary() throws -> String {
        guard case .success(let runtime) = Fixtures.runtime else { throw CanaryRouteError(description: "no ONNX Runtime (make bootstrap)") }
        return runtime.libraryPath
    }

    /// POSTs the request; returns the output data, the X-Model-Version header and the status.
    static func infer(port: Int, headers: [String] = []) async throws -> (data: String, version: String?, status: Int) {
        let result = try await Subprocess.run("/usr/bin/curl", [
            "-s", "-D", "-", "-H", "Content-Type: application/json", "--data", body,
        ] + headers.flatMap { ["-H", $0] } + ["http://127.0.0.1:\(port)/v2/models/scale/infer"])
        let text = result.output
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let version = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-model-version:") }
            .map { String($0.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) }
        let data = text.range(of: #""data":\[[^\]]*\]"#, options: .regularExpression).map { String(text[$0]) } ?? text
        return (data, version, status)
    }

    @Test func xCanaryRequestsReachTheCandidateAndFallBackToStableWithoutIt() async throws {
        let candidatePort = try freePort()
        let stablePort = try freePort()
        let candidate = try await Self.start("scale3", port: candidatePort, extra: ["--model-version", "canary"])
        let stable = try await Self.start("scale", port: stablePort, extra: ["--canary-url", "http://127.0.0.1:\(candidatePort)"])

        let plain = try await Self.infer(port: stablePort)
        #expect(plain.status == 200 && plain.data == #""data":[2.0,4.0,6.0]"# && plain.version == nil, "\(plain)")
        for value in ["true", "True"] {
            let routed = try await Self.infer(port: stablePort, headers: ["X-Canary: \(value)"])
            #expect(routed.status == 200 && routed.data == #""data":[3.0,6.0,9.0]"# && routed.version == "canary", "\(routed)")
        }
        let notAsked = try await Self.infer(port: stablePort, headers: ["X-Canary: false"])
        #expect(notAsked.data == #""data":[2.0,4.0,6.0]"#, "\(notAsked)")
        // Already forwarded once: served where it arrived, never bounced again.
        let forwarded = try await Self.infer(port: stablePort, headers: ["X-Canary: true", "X-Canary-Forwarded: 1"])
        #expect(forwarded.data == #""data":[2.0,4.0,6.0]"#, "\(forwarded)")
        // The candidate's own requests are counted in its series, labelled version="canary".
        let candidateMetrics = try await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(candidatePort)/metrics"]).output
        #expect(candidateMetrics.contains(#"inference_request_duration_seconds_count{model="scale",version="canary",protocol="http",outcome="success"} 2"#),
                "\(candidateMetrics.prefix(3000))")

        // No candidate (no canary, or none ready): the stable version answers.
        await candidate.stop()
        let fallback = try await Self.infer(port: stablePort, headers: ["X-Canary: true"])
        #expect(fallback.status == 200 && fallback.data == #""data":[2.0,4.0,6.0]"# && fallback.version == nil, "\(fallback)")
        let stableMetrics = try await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(stablePort)/metrics"]).output
        #expect(stableMetrics.contains(#"inference_canary_route_requests_total{outcome="forwarded"} 2"#), "\(stableMetrics.prefix(3000))")
        #expect(stableMetrics.contains(#"inference_canary_route_requests_total{outcome="unreachable"} 1"#))
        await stable.stop()
    }
}

struct CanaryRouteError: Error, CustomStringConvertible {
    let description: String
}
