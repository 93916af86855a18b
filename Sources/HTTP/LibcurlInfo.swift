import CCurl

/// What the libcurl loaded into this process was built with
/// (`curl_version_info`): the operator logs it at start, and the tests check
/// that the library the images ship (scripts/build-libcurl.sh) still speaks
/// everything our transport asks of it.
public struct LibcurlInfo: Sendable, Equatable {
    /// `7.88.1`
    public var version: String
    /// `OpenSSL/3.0.17`, nil without TLS.
    public var tlsLibrary: String?
    /// Lower-case scheme names, as libcurl lists them: `http`, `https`, ...
    public var protocols: [String]
    public var http2: Bool
    /// gzip/deflate content decoding (our requests send `Accept-Encoding`).
    public var contentDecoding: Bool
    public var asynchronousDNS: Bool

    public static let loaded: LibcurlInfo = {
        guard let data = ccurl_version_info() else {
            return LibcurlInfo(version: "unknown", tlsLibrary: nil, protocols: [], http2: false, contentDecoding: false, asynchronousDNS: false)
        }
        var protocols: [String] = []
        if var cursor = data.pointee.protocols {
            while let name = cursor.pointee {
                protocols.append(String(cString: name))
                cursor += 1
            }
        }
        let features = Int(data.pointee.features)
        return LibcurlInfo(
            version: data.pointee.version.map { String(cString: $0) } ?? "unknown",
            tlsLibrary: data.pointee.ssl_version.map { String(cString: $0) },
            protocols: protocols,
            http2: features & Int(CURL_VERSION_HTTP2) != 0,
            contentDecoding: features & Int(CURL_VERSION_LIBZ) != 0,
            asynchronousDNS: features & Int(CURL_VERSION_ASYNCHDNS) != 0)
    }()

    /// `libcurl 7.88.1 (OpenSSL/3.0.17; http, https; HTTP/2)` for logs.
    public var summary: String {
        var parts = [tlsLibrary ?? "no TLS", protocols.joined(separator: ", ")]
        if http2 { parts.append("HTTP/2") }
        return "libcurl \(version) (\(parts.joined(separator: "; ")))"
    }
}
