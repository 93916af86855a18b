/// A file in a Hugging Face Hub model repository, from
/// `hf://<org>/<repo>[/<path>][@<revision>]`.
public struct HuggingFaceLocation: Sendable, Hashable, CustomStringConvertible {
    public static let defaultPath = "model.onnx"
    public static let defaultRevision = "main"

    public let organization: String
    public let repository: String
    public let path: String
    public let revision: String

    public var description: String { "hf://\(organization)/\(repository)/\(path)@\(revision)" }

    /// Parses what follows `hf://`. The revision is everything after the
    /// first '@' (a branch, tag or commit; branch names may contain '/').
    public static func parse(afterScheme rest: String) -> Result<HuggingFaceLocation, SourceError> {
        let uri = "hf://" + rest
        var main = Substring(rest)
        var revision = defaultRevision
        if let at = rest.firstIndex(of: "@") {
            main = rest[..<at]
            revision = String(rest[rest.index(after: at)...])
            guard !revision.isEmpty else { return .failure(SourceError("'\(uri)' has an empty revision after '@'")) }
            guard revision.unicodeScalars.allSatisfy({ isNameCharacter($0) || $0 == "/" }), RelativePath.problem(revision) == nil else {
                return .failure(SourceError("revision '\(revision)' in '\(uri)' may contain only letters, digits, '-', '_', '.' and '/'"))
            }
        }
        let parts = main.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(SourceError("'\(uri)' names no repository; expected hf://<org>/<repo>[/<path>][@<revision>]"))
        }
        for name in parts[0...1] {
            guard name.count <= 96, name.unicodeScalars.allSatisfy(isNameCharacter), name != ".", name != ".." else {
                return .failure(SourceError("'\(name)' in '\(uri)' is not a Hub organization or repository name (letters, digits, '-', '_', '.')"))
            }
        }
        var path = defaultPath
        if parts.count == 3 {
            path = String(parts[2])
            guard !path.isEmpty else { return .failure(SourceError("'\(uri)' ends in '/'; name a file, as in hf://org/repo/model.onnx")) }
            if path.hasSuffix("/") {
                return .failure(SourceError("'\(uri)' names a folder; only single files can be fetched from the Hub"))
            }
            if let problem = RelativePath.problem(path) { return .failure(SourceError("the file path in '\(uri)' \(problem)")) }
        }
        return .success(HuggingFaceLocation(organization: String(parts[0]), repository: String(parts[1]), path: path, revision: revision))
    }

    /// The Hub's resolve endpoint for this file:
    /// `{endpoint}/{org}/{repo}/resolve/{revision}/{path}` (a '/' in the revision is percent-encoded).
    public func resolveURL(endpoint: String) -> String {
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        return "\(base)/\(organization)/\(repository)/resolve/\(URIEncoding.encode(revision, keepSlash: false))/"
            + URIEncoding.encode(path, keepSlash: true)
    }

    static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_" || c == "."
    }
}

extension HuggingFaceLocation {
    /// Whether the revision is a full commit id (40 lowercase hex digits): the
    /// only kind that never moves, so it needs no pinning.
    public var revisionIsCommit: Bool { Self.isCommit(revision) }

    public static func isCommit(_ text: String) -> Bool {
        text.utf8.count == 40 && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// The same file at `commit`.
    public func pinned(to commit: String) -> HuggingFaceLocation {
        HuggingFaceLocation(organization: organization, repository: repository, path: path, revision: commit)
    }
}
