import ChildProcess
import TestSupport
import Foundation
import HTTP
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Autoscaling

/// Runs a real Prometheus (Debian package `prometheus`) on 127.0.0.1 that
/// scrapes a real metrics endpoint (Fixtures/metrics_server.py) every
/// second, and checks the client, the default queries and the signal
/// mapping against its answers.
@Suite(.serialized) struct RealPrometheus {
    static let binary = "/usr/bin/prometheus"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: RealPrometheus.binary), "needs the prometheus package (make bootstrap)"),
          .timeLimit(.minutes(2)))
    func defaultQueriesAgainstARealPrometheus() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("prom-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let fixture = try #require(Bundle.module.url(forResource: "metrics_server", withExtension: "py", subdirectory: "Fixtures"))
        let exporter = ChildProcess()
        exporter.executableURL = URL(fileURLWithPath: pythonPath())
        let portFile = scratch.appendingPathComponent("ports")
        exporter.arguments = [fixture.path, portFile.path]
        try exporter.run()
        defer { stop(exporter) }
        let (exporterPort, promPort) = try await readPorts(portFile, exporter: exporter)

        let config = """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: fixture
            static_configs:
              - targets: ['127.0.0.1:\(exporterPort)']
        """
        let configPath = scratch.appendingPathComponent("prometheus.yml")
        try config.write(to: configPath, atomically: true, encoding: .utf8)
        let prometheus = ChildProcess()
        prometheus.executableURL = URL(fileURLWithPath: Self.binary)
        prometheus.arguments = ["--config.file=\(configPath.path)", "--storage.tsdb.path=\(scratch.appendingPathComponent("data").path)",
                                "--web.listen-address=127.0.0.1:\(promPort)", "--log.level=warn"]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle.nullDevice
        try prometheus.run()
        defer { stop(prometheus) }

        let client = PrometheusClient(configuration: PrometheusConfiguration(baseURL: "http://127.0.0.1:\(promPort)", timeout: .seconds(5)),
                                      transport: try CurlTransport())
        // rate() divides by the whole window, so a 1m window reads low until
        // the series is a minute old; a 5s window (5 scrapes) is full in seconds.
        let queries = SignalQueries(rateWindow: "5s")
        let fast = ObjectKey(namespace: "ns-a", name: "fast")
        let idle = ObjectKey(namespace: "ns-b", name: "idle")
        let absent = ObjectKey(namespace: "ns-c", name: "absent")

        // Wait (bounded) until the busy object's series is older than the window.
        let deadline = ContinuousClock.now + .seconds(45)
        while ContinuousClock.now < deadline {
            let rate = await client.batchedSignal(queries.requestRate(), objectLabels: queries.labels)
            if case .value(let v) = rate.signal(for: fast), v > 0 { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        try await Task.sleep(for: .seconds(7))
        let signals = await client.readSignals(for: [fast: SignalOverrides(), idle: SignalOverrides(), absent: SignalOverrides()],
                                               queries: queries)

        let fastRate = try #require(signals[fast]?.requestRate.number, "rate of ns-a/fast: \(String(describing: signals[fast]))")
        #expect(abs(fastRate - 100) < 10, "fixture serves 100 requests/s")
        let fastP95 = try #require(signals[fast]?.p95Latency.number)
        // Exact: the fixture's buckets hold exact tenths of every increase.
        #expect(abs(fastP95 - 0.375) < 0.001, "p95 interpolates to 0.375 s between the 0.25 and 0.5 buckets")
        #expect(signals[fast]?.gpuUtilization == .value(42), "no DCGM series: falls back to the server's own gauge")

        #expect(signals[idle]?.p95Latency == .noData, "zero rate: histogram_quantile is NaN, read as no data")
        #expect(signals[idle]?.requestRate == .value(0))
        #expect(signals[idle]?.gpuUtilization == .missing)

        #expect(signals[absent]?.p95Latency == .missing)
        #expect(signals[absent]?.requestRate == .missing)

        // Single-object query form and the error mapping of a real answer.
        #expect(await client.signal(queries.p95Latency(for: idle)) == .noData)
        #expect(await client.signal("inference_request_duration_seconds_count{name=\"nope\"}") == .missing)
        let broken = await client.signal("sum(")
        guard case .unavailable(let why) = broken else {
            Issue.record("expected unavailable for a syntax error, got \(broken)")
            return
        }
        #expect(why.hasPrefix("bad_data:"))
        await #expect(throws: PrometheusError.self) { _ = try await client.query("rate(") }
    }

    @Test func unreachablePrometheusIsUnavailable() async throws {
        // Port 1 (tcpmux) is privileged and not served here: connection refused.
        let client = PrometheusClient(configuration: PrometheusConfiguration(baseURL: "http://127.0.0.1:1", timeout: .seconds(2)),
                                      transport: try CurlTransport())
        let batched = await client.batchedSignal(SignalQueries().requestRate())
        #expect(batched.signal(for: ObjectKey(namespace: "a", name: "b")).isFailure)
    }
}

private func pythonPath() -> String {
    let venv = FileManager.default.currentDirectoryPath + "/.venv/bin/python"
    if FileManager.default.isExecutableFile(atPath: venv) { return venv }
    return "/usr/bin/python3"
}

/// SIGKILL, not `terminate()`: children of the test runner inherit a
/// signal mask that blocks SIGTERM, so a polite stop would hang.
private func stop(_ process: ChildProcess) {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
}

private struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// The fixture's two ports, from the file it writes once it listens.
private func readPorts(_ file: URL, exporter: ChildProcess) async throws -> (Int, Int) {
    let deadline = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < deadline {
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
            guard parts.count == 2 else { throw FixtureError(description: "metrics fixture wrote \"\(text)\", expected two ports") }
            return (parts[0], parts[1])
        }
        if !exporter.isRunning { throw FixtureError(description: "metrics fixture exited with status \(exporter.terminationStatus)") }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw FixtureError(description: "metrics fixture did not start within 20 s")
}
