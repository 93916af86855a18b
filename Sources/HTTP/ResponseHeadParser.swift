/// Status and header fields of one HTTP response.
struct ResponseHead: Sendable, Equatable {
    var status: Int
    var headers: HTTPHeaders
}

/// Assembles the head of the *final* response of a transfer from the header
/// lines libcurl reports one by one (status line, fields, blank line; CRLF
/// included). Interim `1xx` responses (e.g. `100 Continue`) are discarded
/// with their fields, and anything after the final head (chunked trailers)
/// is ignored. When curl follows redirects, the redirect responses it
/// follows are interim too. Pure: no IO, fed by the header callback.
struct ResponseHeadParser {
    /// Statuses curl follows when `CURLOPT_FOLLOWLOCATION` is on.
    static let followedRedirects: Set<Int> = [301, 302, 303, 307, 308]

    var followsRedirects = false
    private var status: Int?
    private var headers = HTTPHeaders()
    private(set) var completedHead: ResponseHead?

    init(followsRedirects: Bool = false) { self.followsRedirects = followsRedirects }

    /// Feeds one line; returns the head when this line completed it.
    mutating func consume(line raw: [UInt8]) -> ResponseHead? {
        guard completedHead == nil else { return nil }
        var line = raw[...]
        while let last = line.last, last == 0x0A || last == 0x0D { line.removeLast() }

        if line.isEmpty {
            guard let status else { return nil }
            let interim = (100..<200).contains(status) && status != 101
            let followed = followsRedirects && Self.followedRedirects.contains(status) && headers["Location"] != nil
            if interim || followed {
                self.status = nil
                headers = HTTPHeaders()
                return nil
            }
            let head = ResponseHead(status: status, headers: headers)
            completedHead = head
            return head
        }
        if line.starts(with: Array("HTTP/".utf8)) {
            status = Self.statusCode(ofStatusLine: line)
            headers = HTTPHeaders()
            return nil
        }
        guard status != nil else { return nil }
        if let first = line.first, first == 0x20 || first == 0x09 {
            // Obsolete line folding: continues the previous field's value.
            appendToLastField(Self.trimmed(line))
            return nil
        }
        guard let colon = line.firstIndex(of: 0x3A) else { return nil }
        let name = String(decoding: Self.trimmed(line[..<colon]), as: UTF8.self)
        let value = String(decoding: Self.trimmed(line[line.index(after: colon)...]), as: UTF8.self)
        guard !name.isEmpty else { return nil }
        headers.add(name, value)
        return nil
    }

    /// The head as far as it was received; used when a transfer ends
    /// without the blank line that normally closes it.
    var partialHead: ResponseHead? {
        completedHead ?? status.map { ResponseHead(status: $0, headers: headers) }
    }

    private mutating func appendToLastField(_ continuation: ArraySlice<UInt8>) {
        guard let last = headers.fields.last else { return }
        var fields = headers.fields
        fields.removeLast()
        var rebuilt = HTTPHeaders()
        for field in fields { rebuilt.add(field.name, field.value) }
        rebuilt.add(last.name, last.value + " " + String(decoding: continuation, as: UTF8.self))
        headers = rebuilt
    }

    /// `HTTP/1.1 200 OK`, `HTTP/2 404` -> the three-digit code, or nil.
    static func statusCode(ofStatusLine line: ArraySlice<UInt8>) -> Int? {
        let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[1].count == 3,
              let code = Int(String(decoding: parts[1], as: UTF8.self)),
              (100...999).contains(code) else { return nil }
        return code
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice.removeLast() }
        return slice
    }
}
