import JSONValue

/// One HTTP request as the router sees it.
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, target: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = parts.first.map { String($0) } ?? "/"
        self.query = parts.count > 1 ? Self.parseQuery(String(parts[1])) : [:]
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }

    static func parseQuery(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(kv[0]))
            out[key] = kv.count > 1 ? percentDecode(String(kv[1])) : ""
        }
        return out
    }

    static func percentDecode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") { bytes.append(UInt8(ascii: " ")); continue }
            if byte == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(),
               let value = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) {
                bytes.append(value)
                continue
            }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    var userAgent: String { headers["user-agent"] ?? "" }
    var contentType: String {
        (headers["content-type"] ?? "").split(separator: ";").first.map { String($0).trimmingSpaces() } ?? ""
    }
    func flag(_ name: String) -> Bool { query[name] == "true" || query[name] == "1" }
}

/// How the router answers: a complete body, or a watch stream to start.
public enum APIResponse: Sendable {
    case body(status: Int, contentType: String, body: [UInt8], headers: [(String, String)])
    case watch(WatchRequest)

    static func json(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> APIResponse {
        .body(status: status, contentType: "application/json", body: value.serializedBytes(), headers: headers)
    }

    static func error(_ error: APIError) -> APIResponse {
        var headers: [(String, String)] = []
        if let retry = error.retryAfter { headers.append(("Retry-After", String(retry))) }
        return json(error.code, error.status, headers: headers)
    }

    var statusCode: Int {
        switch self {
        case .body(let status, _, _, _): return status
        case .watch: return 200
        }
    }
}

/// A watch the HTTP layer should serve: what to select and for how long.
public struct WatchRequest: Sendable {
    public var type: ResourceType
    public var namespace: String?
    public var labelSelector: LabelSelector
    public var fieldSelector: FieldSelector?
    public var resourceVersion: String?
    public var timeoutSeconds: Int?
    public var allowBookmarks: Bool
    /// Render event objects as one-row Tables (kubectl `get -w`).
    var tableView: TableView?
}
