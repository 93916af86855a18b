import ChildProcess
import TestSupport
import Foundation
import JSONValue
import Testing
import TestAPIServer

/// HTTP details clients rely on, checked with the curl CLI (libcurl's behaviour).
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "curl is not installed; skipping"))
struct HTTPProtocolTests {
    func curl(_ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--max-time", "10"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return (process.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test func expectContinueIsAnsweredAtOnce() async throws {
        try await withServer { server, _ in
            let body = Fixtures.configMap("big", data: ["k": .string(String(repeating: "x", count: 5000))]).serialized()
            let result = try await curl(["-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-H", "Content-Type: application/json",
                                         "-H", "Expect: 100-continue", "--data-binary", body, "\(server.baseURL)\(Fixtures.configMaps)"])
            let parts = result.output.split(separator: " ")
            #expect(parts.first == "201")
            #expect((Double(parts.last ?? "9") ?? 9) < 0.5, "curl waited for 100 Continue: \(result.output)")
        }
    }

    @Test func keepAliveConnectionsServeSeveralRequests() async throws {
        try await withServer { server, _ in
            let result = try await curl(["-sv", "\(server.baseURL)/api", "\(server.baseURL)/apis"])
            #expect(result.status == 0)
            #expect(result.error.contains("Re-using existing connection"), "\(result.error)")
            #expect(result.output.contains("APIVersions") && result.output.contains("APIGroupList"))
        }
    }

    @Test func watchArrivesChunkedAndEndsAtTimeout() async throws {
        try await withServer { server, client in
            _ = try await client.request("POST", Fixtures.configMaps, json: Fixtures.configMap("a"))
            let result = try await curl(["-sv", "-N", "\(server.baseURL)\(Fixtures.configMaps)?watch=1&timeoutSeconds=1"])
            #expect(result.status == 0)
            #expect(result.error.lowercased().contains("transfer-encoding: chunked"))
            let event = try JSON.parse(result.output.split(separator: "\n").first.map(String.init) ?? "")
            #expect(event["type"] == "ADDED")
        }
    }
}
