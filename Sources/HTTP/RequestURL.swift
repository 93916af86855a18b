/// The parts of an absolute `http`/`https` URL the transport needs to act on
/// (scheme, host, port); everything after the authority is kept verbatim.
/// Pure parsing with a clear error, so libcurl never sees a URL we would
/// misread (C strings end at NUL, whitespace would be re-encoded silently).
struct RequestURL: Sendable, Equatable {
    var scheme: String
    var userInfo: String?
    /// Host as written in the URL; IPv6 literals keep their brackets.
    var host: String
    var explicitPort: Int?
    /// Path, query and fragment, starting with `/`, `?` or `#` (or empty).
    var rest: String

    var port: Int { explicitPort ?? (scheme == "https" ? 443 : 80) }

    /// `host[:port]` as written in the URL (the value of a `Host` header).
    var authority: String { explicitPort.map { "\(host):\($0)" } ?? host }

    init(parsing text: String) throws(HTTPError) {
        guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw .invalidURL(text)
        }
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { throw .invalidURL(text) }
        let scheme = text[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else { throw .invalidURL(text) }
        let afterScheme = text[text.index(colon, offsetBy: 3)...]
        let delimiters: Set<Character> = ["/", "?", "#"]
        let authorityEnd: Substring.Index = afterScheme.firstIndex(where: { delimiters.contains($0) }) ?? afterScheme.endIndex
        var authority = afterScheme[..<authorityEnd]
        var userInfo: String?
        if let at = authority.lastIndex(of: "@") {
            userInfo = String(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(text) }
            host = authority[...close]
            let tail = authority[authority.index(after: close)...]
            if !tail.isEmpty {
                guard tail.hasPrefix(":") else { throw .invalidURL(text) }
                portText = tail.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty, host != "[]" else { throw .invalidURL(text) }
        var explicitPort: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCII),
                  let port = Int(portText), (1...65535).contains(port) else { throw .invalidURL(text) }
            explicitPort = port
        }
        self.scheme = scheme
        self.userInfo = userInfo
        self.host = String(host)
        self.explicitPort = explicitPort
        self.rest = String(afterScheme[authorityEnd...])
    }

    /// The same URL with another host and an explicit port.
    func replacingHost(with newHost: String) -> String {
        "\(scheme)://\(userInfo.map { "\($0)@" } ?? "")\(newHost):\(port)\(rest)"
    }
}
