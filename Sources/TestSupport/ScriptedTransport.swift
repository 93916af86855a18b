import Foundation
import HTTP

/// A transport that answers from a script and records every request.
/// Used by unit tests only; product targets never import TestSupport.
public final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    public enum Reply {
        case response(HTTPResponse)
        /// A streaming answer delivered in the given chunks.
        case stream(status: Int, headers: HTTPHeaders, chunks: [[UInt8]])
        case failure(HTTPError)
    }

    private let lock = NSLock()
    private var _requests: [HTTPRequest] = []
    private let handler: @Sendable (HTTPRequest, Int) -> Reply

    public init(_ handler: @escaping @Sendable (HTTPRequest, Int) -> Reply) { self.handler = handler }

    /// Answers every request with the same JSON body and status.
    public convenience init(status: Int = 200, json: String, headers: HTTPHeaders = [:]) {
        self.init { _, _ in .response(HTTPResponse(status: status, headers: headers, body: Array(json.utf8))) }
    }

    public var requests: [HTTPRequest] { lock.withLock { _requests } }

    private func record(_ request: HTTPRequest) -> Int {
        lock.withLock {
            _requests.append(request)
            return _requests.count - 1
        }
    }

    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        switch handler(request, record(request)) {
        case .response(let response): return response
        case .stream(let status, let headers, let chunks): return HTTPResponse(status: status, headers: headers, body: chunks.flatMap { $0 })
        case .failure(let error): throw error
        }
    }

    public func stream(_ request: HTTPRequest) async throws(HTTPError) -> HTTPStreamingResponse {
        switch handler(request, record(request)) {
        case .response(let response):
            return HTTPStreamingResponse(status: response.status, headers: response.headers, body: Self.body([response.body]))
        case .stream(let status, let headers, let chunks):
            return HTTPStreamingResponse(status: status, headers: headers, body: Self.body(chunks))
        case .failure(let error): throw error
        }
    }

    public static func body(_ chunks: [[UInt8]]) -> AsyncThrowingStream<[UInt8], any Error> {
        AsyncThrowingStream { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
    }
}

extension HTTPRequest {
    public var path: String {
        let afterScheme = url.split(separator: "//", maxSplits: 1).last.map(String.init) ?? url
        guard let slash = afterScheme.firstIndex(of: "/") else { return "/" }
        let rest = afterScheme[slash...]
        return String(rest.split(separator: "?", maxSplits: 1).first ?? rest)
    }

    public var query: [String: String] {
        guard let q = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        var out: [String: String] = [:]
        for pair in q.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            out[parts[0]] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
        }
        return out
    }

    public var bodyText: String { String(decoding: body ?? [], as: UTF8.self) }
}
