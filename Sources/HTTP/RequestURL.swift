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
            throw .invalidURL(redactingUserInfo(text))
        }
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { throw .invalidURL(redactingUserInfo(text)) }
        let scheme = text[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else { throw .invalidURL(redactingUserInfo(text)) }
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
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(redactingUserInfo(text)) }
            host = authority[...close]
            let tail = authority[authority.index(after: close)...]
            if !tail.isEmpty {
                guard tail.hasPrefix(":") else { throw .invalidURL(redactingUserInfo(text)) }
                portText = tail.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty, host != "[]" else { throw .invalidURL(redactingUserInfo(text)) }
        var explicitPort: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCII),
                  let port = Int(portText), (1...65535).contains(port) else { throw .invalidURL(redactingUserInfo(text)) }
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

/// The URL as it may appear in messages, logs and status: credentials in its
/// user information are replaced by `***` (`http://user:***@host/`, or
/// `http://***@host/` when there is no user name), so an error about a URL
/// never shows the password that was embedded in it.
public func redactingUserInfo(_ url: String) -> String {
    guard let schemeEnd = url.firstRange(of: "://") else { return url }
    let afterScheme = url[schemeEnd.upperBound...]
    let delimiters: Set<Character> = ["/", "?", "#"]
    let authorityEnd: Substring.Index = afterScheme.firstIndex(where: { delimiters.contains($0) }) ?? afterScheme.endIndex
    guard let at = afterScheme[..<authorityEnd].lastIndex(of: "@") else { return url }
    let userInfo = afterScheme[..<at]
    let redacted: String
    if let colon = userInfo.firstIndex(of: ":") {
        redacted = userInfo[..<colon] + ":***"
    } else {
        redacted = "***"
    }
    return String(url[..<schemeEnd.upperBound]) + redacted + String(afterScheme[at...])
}
