/// What a downloaded file must match: its size and, where the store gives
/// one, a digest of its bytes.
public struct ContentCheck: Sendable, Hashable {
    public enum Digest: Sendable, Hashable {
        case md5(String)
        case sha256(String)

        public var algorithm: String {
            switch self {
            case .md5: return "MD5"
            case .sha256: return "SHA-256"
            }
        }
        /// Lower-case hex.
        public var hex: String {
            switch self {
            case .md5(let hex), .sha256(let hex): return hex
            }
        }
    }

    public var size: Int64?
    public var digest: Digest?

    public init(size: Int64? = nil, digest: Digest? = nil) {
        self.size = size
        self.digest = digest
    }

    /// An S3 ETag is the object's MD5 only for single-part uploads without
    /// SSE-KMS/SSE-C: exactly 32 hex digits. Multipart ETags (`<hex>-<parts>`)
    /// and weak ones give nil.
    public static func md5(fromS3ETag etag: String?) -> Digest? {
        guard let hex = strongHex(etag), hex.count == 32 else { return nil }
        return .md5(hex)
    }

    /// Whether a (32-hex) S3 ETag may be read as MD5 given the object's
    /// encryption headers: not for SSE-KMS / DSSE-KMS or SSE-C objects, whose
    /// ETags are something else of the same shape. SSE-S3 (`AES256`) keeps MD5 ETags.
    public static func s3ETagIsMD5(serverSideEncryption: String?, customerAlgorithm: String?) -> Bool {
        guard customerAlgorithm == nil else { return false }
        return !(serverSideEncryption?.lowercased().hasPrefix("aws:kms") ?? false)
    }

    /// The Hub's `X-Linked-Etag` (LFS files) is the file's SHA-256; a plain
    /// `ETag` of 64 hex digits is too. Git blob ETags (40 hex, SHA-1 of the
    /// blob with its header) give nil.
    public static func sha256(fromHubETag etag: String?) -> Digest? {
        guard let hex = strongHex(etag), hex.count == 64 else { return nil }
        return .sha256(hex)
    }

    static func strongHex(_ etag: String?) -> String? {
        guard var value = etag?.trimmed, !value.hasPrefix("W/") else { return nil }
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        let hex = value.lowercased()
        guard !hex.isEmpty, hex.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else { return nil }
        return hex
    }
}
