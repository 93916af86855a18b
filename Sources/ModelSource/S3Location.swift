/// An object or a prefix in an S3 bucket, from `s3://bucket/key`. A key
/// ending in `/` is a prefix: every object under it is fetched, keeping the
/// layout below the prefix (so ONNX external-data files land beside the model).
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public let bucket: String
    public let key: String

    public var isPrefix: Bool { key.hasSuffix("/") }
    /// The URI as written, for messages (it never carries credentials).
    public var description: String { "s3://\(bucket)/\(key)" }

    /// Parses what follows `s3://`.
    public static func parse(afterScheme rest: String) -> Result<S3Location, SourceError> {
        let uri = "s3://" + rest
        guard let slash = rest.firstIndex(of: "/") else {
            return .failure(SourceError("'\(uri)' names no object; expected s3://<bucket>/<key> or s3://<bucket>/<prefix>/"))
        }
        let bucket = String(rest[..<slash])
        let key = String(rest[rest.index(after: slash)...])
        if let problem = bucketProblem(bucket) { return .failure(SourceError("bucket '\(bucket)' in '\(uri)' \(problem)")) }
        guard !key.isEmpty, key != "/" else {
            return .failure(SourceError("'\(uri)' names no object; expected s3://<bucket>/<key> or s3://<bucket>/<prefix>/"))
        }
        guard key.utf8.count <= 1024 else { return .failure(SourceError("the key in '\(uri)' is longer than S3's 1024 bytes")) }
        if let problem = RelativePath.problem(key, allowTrailingSlash: true) { return .failure(SourceError("the key in '\(uri)' \(problem)")) }
        return .success(S3Location(bucket: bucket, key: key))
    }

    /// S3's bucket naming rules (3-63 characters; lowercase letters, digits,
    /// '.' and '-'; a letter or digit at both ends), which S3-compatible
    /// stores follow as well. Nil when the name is fine.
    static func bucketProblem(_ name: String) -> String? {
        guard (3...63).contains(name.count) else { return "must be 3-63 characters long" }
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" }
        guard allowed else { return "may contain only lowercase letters, digits, '.' and '-'" }
        let ends = [name.unicodeScalars.first!, name.unicodeScalars.last!]
        guard ends.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) }) else {
            return "must start and end with a letter or digit"
        }
        guard !name.contains("..") else { return "may not contain '..'" }
        return nil
    }
}

/// Checks on slash-separated relative paths (S3 keys, Hub file paths, keys
/// from a listing) before they become local file names.
public enum RelativePath {
    /// Nil when `path` is usable: not absolute, no empty, `.` or `..` segment,
    /// no control characters; a trailing `/` only when allowed.
    public static func problem(_ path: String, allowTrailingSlash: Bool = false) -> String? {
        guard !path.hasPrefix("/") else { return "may not start with '/'" }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            return "may not contain control characters"
        }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false)
        if allowTrailingSlash, path.hasSuffix("/") { segments.removeLast() }
        if segments.contains(where: { $0.isEmpty }) { return "may not contain an empty path segment ('//' or a trailing '/')" }
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return "may not contain '.' or '..' segments" }
        return nil
    }
}

/// What is wrong with a model source URI; the message names the URI.
public struct SourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
