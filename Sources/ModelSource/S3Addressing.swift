/// Where S3 requests go. With no endpoint it is AWS:
/// `https://s3.<region>.amazonaws.com`, virtual-hosted (`bucket.s3...`);
/// with an endpoint (MinIO, Ceph RGW, moto, ...) path-style is the default,
/// as those stores expect unless told otherwise.
public struct S3Addressing: Sendable, Hashable {
    /// us-east-1, the region AWS SDKs fall back to.
    public static let defaultRegion = "us-east-1"

    public let scheme: String
    /// `host[:port]`
    public let authority: String
    /// A path below which the store answers (usually empty), without a trailing '/'.
    public let basePath: String
    public let region: String
    public let pathStyle: Bool

    /// - Parameters:
    ///   - endpoint: `http(s)://host[:port][/path]`, or nil for AWS.
    ///   - pathStyle: nil picks the default described above.
    public init(endpoint: String?, region: String?, pathStyle: Bool?) throws(StorageSettingsError) {
        let region = (region?.isEmpty == false) ? region! : Self.defaultRegion
        guard region.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw StorageSettingsError("region '\(region)' may contain only lowercase letters, digits and '-'")
        }
        self.region = region
        if let endpoint, !endpoint.isEmpty {
            let parsed = try EndpointURL.parse(endpoint)
            scheme = parsed.scheme
            authority = parsed.authority
            basePath = parsed.path
            self.pathStyle = pathStyle ?? true
        } else {
            scheme = "https"
            authority = "s3.\(region).amazonaws.com"
            basePath = ""
            self.pathStyle = pathStyle ?? false
        }
    }

    /// Path-style for buckets with a '.' over https: their virtual-hosted name
    /// would not match the store's wildcard certificate.
    func usesPathStyle(_ bucket: String) -> Bool { pathStyle || (scheme == "https" && bucket.contains(".")) }

    func base(_ bucket: String) -> String {
        usesPathStyle(bucket) ? "\(scheme)://\(authority)\(basePath)/\(bucket)" : "\(scheme)://\(bucket).\(authority)\(basePath)"
    }

    /// GetObject: the key percent-encoded once, '/' kept.
    public func objectURL(bucket: String, key: String) -> String {
        base(bucket) + "/" + URIEncoding.encode(key, keepSlash: true)
    }

    /// ListObjectsV2 under `prefix`. The query is already canonical (names
    /// sorted, values encoded), as SigV4 signs it.
    public func listURL(bucket: String, prefix: String, continuationToken: String?) -> String {
        var query: [(String, String)] = [("list-type", "2"), ("prefix", prefix)]
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        query.sort { $0.0 < $1.0 }
        return base(bucket) + "/?" + query.map { "\($0.0)=\(URIEncoding.encode($0.1, keepSlash: false))" }.joined(separator: "&")
    }
}

/// A storage endpoint, `http(s)://host[:port][/path]`, without user info, query or fragment.
public struct EndpointURL: Sendable, Hashable {
    public let scheme: String
    public let authority: String
    /// Without a trailing '/'; empty for none.
    public let path: String

    public var description: String { "\(scheme)://\(authority)\(path)" }

    public static func parse(_ text: String) throws(StorageSettingsError) -> EndpointURL {
        guard let separator = text.firstRange(of: "://") else {
            throw StorageSettingsError("endpoint '\(text)' is not an http:// or https:// URL")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw StorageSettingsError("endpoint '\(text)' must use http:// or https://")
        }
        let rest = text[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        guard !authority.isEmpty else { throw StorageSettingsError("endpoint '\(text)' has no host") }
        guard !authority.contains("@") else { throw StorageSettingsError("the endpoint may not carry credentials; use the credentials Secret") }
        guard !text.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace }) else {
            throw StorageSettingsError("endpoint '\(text)' may not contain a query, a fragment or whitespace")
        }
        return EndpointURL(scheme: scheme, authority: String(authority), path: path)
    }
}

public struct StorageSettingsError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
