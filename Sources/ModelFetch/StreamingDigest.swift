import CCrypto

/// MD5 or SHA-256 over bytes fed in pieces, through OpenSSL's EVP API. The
/// only file that touches libcrypto.
final class StreamingDigest {
    enum Algorithm { case md5, sha256 }

    private let context: OpaquePointer
    private var finished = false

    init(_ algorithm: Algorithm) {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed (out of memory)") }
        self.context = context
        let md = algorithm == .md5 ? EVP_md5() : EVP_sha256()
        // An MD5 provider can be missing where FIPS mode is enforced: then the
        // digest reports nil and the size check alone applies.
        if EVP_DigestInit_ex(context, md, nil) != 1 { finished = true }
    }

    var isAvailable: Bool { !finished }

    func update(_ bytes: [UInt8]) {
        guard !finished, !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in _ = EVP_DigestUpdate(context, raw.baseAddress, raw.count) }
    }

    /// Lower-case hex, or nil when the algorithm was unavailable.
    func finalize() -> String? {
        guard !finished else { return nil }
        finished = true
        var output = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &output, &length) == 1 else { return nil }
        return output.prefix(Int(length)).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    deinit { EVP_MD_CTX_free(context) }
}
