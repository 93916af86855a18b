// TEMPORARY — test-only, remove at merge.
//
// The real-Prometheus test must run over the production transport,
// `CurlTransport`, which is being written on another branch in parallel.
// Until it is merged, this stand-in runs the `curl` command-line tool for
// each request. At merge: delete this file and make
// `makeIntegrationTransport()` return `try CurlTransport()`.
// (Foundation's URLSession was tried first and hung on this machine on
// refused connections; FoundationNetworking is not used anywhere.)
import Foundation
import HTTP

func makeIntegrationTransport() throws -> any HTTPTransport {
    CurlCLITestTransport()
}

struct CurlCLITestTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var arguments = ["--silent", "--show-error", "--request", request.method.rawValue,
                         "--write-out", "\n%{http_code}", "--data-binary", "@-"]
        if let timeout = request.timeout {
            arguments += ["--max-time", String(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)]
        }
        for field in request.headers { arguments += ["--header", "\(field.name): \(field.value)"] }
        arguments.append(request.url)
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw .other("cannot run curl: \(error)")
        }
        input.fileHandleForWriting.write(Data(request.body ?? []))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0: break
        case 28: throw .timedOut(url: request.url)
        default: throw .connection("curl exit \(process.terminationStatus): \(message)")
        }
        var bytes = Array(data)
        guard let newline = bytes.lastIndex(of: UInt8(ascii: "\n")),
              let status = Int(String(decoding: bytes[(newline + 1)...], as: UTF8.self)) else {
            throw .other("curl output without a status code")
        }
        bytes.removeSubrange(newline...)
        return HTTPResponse(status: status, body: bytes)
    }

    func stream(_ request: HTTPRequest) async throws(HTTPError) -> HTTPStreamingResponse {
        throw .other("streaming is not needed by the Prometheus test")
    }
}
