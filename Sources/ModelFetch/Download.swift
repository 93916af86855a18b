#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming
import HTTP
import ModelSource

/// One verified, atomic, resumable file download.
struct Download {
    /// How a partial file from an earlier attempt may be continued.
    enum Resume {
        /// Never: start over.
        case never
        /// Send `Range` with `If-Range: <recorded validator>`: the server sends
        /// the rest only if the object is unchanged, else all of it (S3, plain HTTP).
        case ifRange
        /// Send `Range` only when the recorded validator equals this one (the
        /// Hub: the file's SHA-256, known before the download from its metadata).
        case ifValidator(String)
    }

    var request: HTTPRequest
    /// The source as shown in errors.
    var source: String
    var target: String
    var resume: Resume
    /// Size and digest known before the download (a listing, the Hub's metadata).
    var expected: ContentCheck
    /// The validator to record with fresh partial bytes, from the response headers.
    var validator: @Sendable (HTTPHeaders) -> String?
    /// Size and digest read from the response headers when `expected` lacks them.
    var checkFromHeaders: @Sendable (HTTPHeaders) -> ContentCheck
    /// Whether the expected digest applies to what the response describes
    /// (S3: not for KMS- or customer-key-encrypted objects).
    var digestApplies: @Sendable (HTTPHeaders) -> Bool = { _ in true }
    /// Maps an unexpected status (and up to 64 KiB of its body) to an error.
    var failure: @Sendable (Int, HTTPHeaders, String) -> ModelFetchError

    /// Returns the bytes written.
    func run(transport: any HTTPTransport) async throws -> Int64 {
        let partial = PartialFile(target: target)
        var request = request
        var offset: Int64 = 0
        if let (bytes, recorded) = partial.resumable(), expected.size.map({ bytes < $0 }) ?? true {
            switch resume {
            case .never: break
            case .ifRange:
                offset = bytes
                request.headers["Range"] = "bytes=\(bytes)-"
                request.headers["If-Range"] = recorded
            case .ifValidator(let current):
                if current == recorded {
                    offset = bytes
                    request.headers["Range"] = "bytes=\(bytes)-"
                }
            }
        }
        // Sizes and digests describe the stored bytes: ask for them as stored.
        request.headers["Accept-Encoding"] = "identity"
        let response: HTTPStreamingResponse
        do {
            response = try await transport.stream(request)
        } catch {
            throw ModelFetchError.transport(source: source, detail: error.description)
        }
        let append: Bool
        switch response.status {
        case 200:
            append = false
        case 206 where offset > 0:
            guard let range = response.headers["Content-Range"], ContentRange.start(range) == offset else {
                throw ModelFetchError.server(source: source, status: 206, detail: "unexpected Content-Range for a resumed download")
            }
            append = true
        case 416 where offset > 0:
            // The partial file is no prefix of the object any more: start over next time.
            partial.discard()
            throw ModelFetchError.verification(source: source, detail: "the partial download no longer matches the object; removed it")
        default:
            var body: [UInt8] = []
            do {
                for try await chunk in response.body {
                    body += chunk.prefix(65536 - body.count)
                    if body.count >= 65536 { break }
                }
            } catch {}
            throw failure(response.status, response.headers, String(decoding: body, as: UTF8.self))
        }

        let fromHeaders = checkFromHeaders(response.headers)
        var check = expected
        if check.size == nil {
            check.size = append ? response.headers["Content-Range"].flatMap(ContentRange.total) : fromHeaders.size
        }
        if check.digest == nil { check.digest = fromHeaders.digest }
        if !digestApplies(response.headers) { check.digest = nil }
        let encoded = response.headers["Content-Encoding"].map { !$0.isEmpty && $0.lowercased() != "identity" } ?? false
        if encoded {
            // curl decodes what a server compressed anyway; the stored size and digest no longer apply.
            check = ContentCheck()
        }
        let announced = encoded ? nil : response.headers["Content-Length"].flatMap { Int64($0.trimmingWhitespace()) }

        let digest = check.digest.map { StreamingDigest($0.algorithm == "MD5" ? .md5 : .sha256) }
        let handle: PosixFile
        // Partial bytes are worth keeping only with a validator to resume them against.
        let resumable = append || validator(response.headers) != nil
        do {
            if append, let digest { try Self.feed(existing: partial.partialPath, to: digest) }
            handle = try partial.open(append: append, validator: append ? nil : validator(response.headers))
        } catch let error as ModelFetchError {
            throw error
        } catch {
            throw ModelFetchError.storage("\(partial.partialPath): \(error)")
        }
        var received: Int64 = 0
        do {
            for try await chunk in response.body {
                try handle.write(chunk)
                digest?.update(chunk)
                received += Int64(chunk.count)
            }
        } catch {
            handle.close()
            // Keep the bytes for a Range request next time (they are verified then).
            if case .never = resume { partial.discard() } else if !resumable { partial.discard() }
            throw ModelFetchError.transport(source: source, detail: "the transfer broke off after \(offset + received) bytes: \(error)")
        }
        let total = offset + received
        var problem: String?
        if let announced, received != announced {
            problem = "received \(received) bytes of the \(announced) the server announced"
        } else if let size = check.size, total != size {
            problem = "the file has \(total) bytes, expected \(size)"
        } else if let expectedDigest = check.digest, let digest, let actual = digest.finalize(), actual != expectedDigest.hex {
            problem = "\(expectedDigest.algorithm) is \(actual), expected \(expectedDigest.hex)"
        }
        if let problem {
            handle.close()
            partial.discard()
            throw ModelFetchError.verification(source: source, detail: problem)
        }
        do {
            try partial.commit(handle)
        } catch let error as ModelFetchError {
            throw error
        } catch {
            throw ModelFetchError.storage("\(target): \(error)")
        }
        return total
    }

    static func feed(existing path: String, to digest: StreamingDigest) throws {
        let handle = try PosixFile(path, mode: .read)
        while case let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { digest.update(data) }
    }
}

/// `Content-Range: bytes <start>-<end>/<total>`.
enum ContentRange {
    static func parts(_ value: String) -> (start: Int64, total: Int64?)? {
        let trimmed = value.trimmingWhitespace()
        guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = trimmed.dropFirst(6)
        guard let dash = spec.firstIndex(of: "-"), let slash = spec.firstIndex(of: "/"), dash < slash,
              let start = Int64(spec[..<dash]) else { return nil }
        return (start, Int64(spec[spec.index(after: slash)...]))
    }
    static func start(_ value: String) -> Int64? { parts(value)?.start }
    static func total(_ value: String) -> Int64? { parts(value)?.total ?? nil }
}
