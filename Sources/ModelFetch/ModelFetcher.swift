#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP
import ModelSource

/// Fetches a model into a directory: the model as `<directory>/<modelFileName>`
/// and, for an S3 prefix, every other object under the prefix beside it
/// (ONNX external data). Used by `warmup` (the init container) and by
/// `serve` when it is given a URI. Every file is verified and renamed into
/// place whole; the model file comes last, so its presence means the
/// fetch is complete.
public struct ModelFetcher: Sendable {
    public struct Report: Sendable, Hashable {
        /// The source as shown in messages.
        public var source: String
        /// Paths written, relative to the directory, the model file last.
        public var files: [String]
        public var bytes: Int64
        /// Which credentials signed the requests (`static key`, `web identity (role ...)`,
        /// `instance profile (role ...)`, `token`, `none ...`); never a secret.
        public var credentials: String = "none"
    }

    let environment: [String: String]
    let userAgent: String

    /// - Parameter environment: where settings and credentials come from (`StorageEnvironment`).
    public init(environment: [String: String], userAgent: String = "inference-server") {
        self.environment = environment
        self.userAgent = userAgent
    }

    /// The commit an `hf://` source's revision points at now (the Hub's
    /// `X-Repo-Commit` on the file's metadata request, the same HEAD a fetch
    /// starts with); nil when the Hub does not say. The operator pins it.
    public func hubCommit(_ source: String) async throws(ModelFetchError) -> String? {
        guard case .success(let parsed) = FetchSource.parse(source), case .huggingFace(let location) = parsed else {
            throw .invalidSource("\(source) is not an hf:// URI")
        }
        return try await reportingAsFetchErrors(parsed) {
            try await hub(location).metadata().commit
        }
    }

    public func fetch(_ source: String, intoDirectory directory: String, modelFileName: String = "model.onnx")
        async throws(ModelFetchError) -> Report
    {
        let parsed: FetchSource
        switch FetchSource.parse(source) {
        case .success(let value): parsed = value
        case .failure(let error): throw .invalidSource(error.description)
        }
        return try await reportingAsFetchErrors(parsed) {
            switch parsed {
            case .localFile(let path):
                return try copyLocal(path, to: directory + "/" + modelFileName, modelFileName: modelFileName)
            case .http(let url):
                return try await fetchHTTP(url, display: parsed.description, directory: directory, modelFileName: modelFileName)
            case .s3(let location):
                return try await S3Fetch.make(location: location, environment: environment, transport: try transport(followRedirects: false))
                    .run(directory: directory, modelFileName: modelFileName)
            case .huggingFace(let location):
                return try await hub(location).run(directory: directory, modelFileName: modelFileName)
            }
        }
    }

    func hub(_ location: HuggingFaceLocation) throws -> HubFetch {
        try HubFetch(location: location, environment: environment,
                     direct: try transport(followRedirects: false), following: try transport(followRedirects: true))
    }

    /// Runs `body`, passing our errors through and naming the source in the others.
    func reportingAsFetchErrors<T>(_ parsed: FetchSource, _ body: () async throws -> T) async throws(ModelFetchError) -> T {
        do {
            return try await body()
        } catch let error as ModelFetchError {
            throw error
        } catch let error as StorageSettingsError {
            throw .invalidSource("\(parsed): \(error.description)")
        } catch {
            throw .storage("\(error)")
        }
    }

    func transport(followRedirects: Bool) throws -> CurlTransport {
        var options = CurlTransport.Options()
        options.followRedirects = followRedirects
        options.userAgent = userAgent
        do {
            return try CurlTransport(options: options)
        } catch {
            throw ModelFetchError.storage("cannot set up libcurl: \(error)")
        }
    }

    func copyLocal(_ path: String, to target: String, modelFileName: String) throws -> Report {
        let partial = PartialFile(target: target)
        guard let input = try? PosixFile(path, mode: .read) else {
            throw ModelFetchError.notFound(source: path, detail: "no readable file")
        }
        let handle = try partial.open(append: false, validator: nil)
        var bytes: Int64 = 0
        do {
            while case let data = try input.read(upToCount: 1 << 20), !data.isEmpty {
                try handle.write(data)
                bytes += Int64(data.count)
            }
        } catch {
            handle.close()
            partial.discard()
            throw ModelFetchError.storage("copying \(path): \(error)")
        }
        try partial.commit(handle)
        return Report(source: path, files: [modelFileName], bytes: bytes)
    }

    func fetchHTTP(_ url: String, display: String, directory: String, modelFileName: String) async throws -> Report {
        let download = Download(
            request: HTTPRequest(method: .get, url: url, timeout: nil), source: display, target: directory + "/" + modelFileName,
            resume: .ifRange, expected: ContentCheck(),
            validator: { headers in ContentCheck.strongETag(headers["ETag"]) },
            checkFromHeaders: { headers in ContentCheck(size: headers["Content-Length"].flatMap { Int64($0) }) },
            failure: { status, _, _ in
                switch status {
                case 404, 410: return .notFound(source: display, detail: "HTTP \(status)")
                case 401, 403: return .accessDenied(source: display, detail: "HTTP \(status)")
                default: return .server(source: display, status: status, detail: "")
                }
            })
        let bytes = try await download.run(transport: try transport(followRedirects: true))
        return Report(source: display, files: [modelFileName], bytes: bytes)
    }
}

extension ContentCheck {
    /// A strong ETag as sent (quotes kept), usable in `If-Range`; nil for weak or absent ones.
    static func strongETag(_ value: String?) -> String? {
        guard let value, !value.isEmpty, !value.hasPrefix("W/") else { return nil }
        return value
    }
}
