#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP
import ModelSource

/// `hf://org/repo[/path][@revision]` through the Hub's resolve endpoint. As
/// `huggingface_hub` does, a HEAD request without following redirects reads
/// the file's metadata first (`X-Linked-Etag` / `X-Linked-Size` for LFS files
/// sit on the redirect to the CDN, not on the CDN's answer); then the file is
/// fetched from where the redirect points. The token goes only to the Hub's
/// own host, never to the CDN.
struct HubFetch {
    static let maxRedirects = 5

    let location: HuggingFaceLocation
    let endpoint: EndpointURL
    let token: String?
    let direct: any HTTPTransport
    let following: any HTTPTransport

    init(location: HuggingFaceLocation, environment: [String: String], direct: any HTTPTransport, following: any HTTPTransport) throws {
        self.location = location
        endpoint = try StorageEnvironment.hubEndpoint(environment)
        token = StorageEnvironment.hubToken(environment)
        self.direct = direct
        self.following = following
    }

    struct Metadata: Equatable {
        var downloadURL: String
        var check: ContentCheck
        /// What identifies this file's content (its SHA-256 when known).
        var validator: String?
        /// The commit the revision points at (`X-Repo-Commit` on the Hub's first answer).
        var commit: String? = nil
    }

    func headers(for url: String) -> HTTPHeaders {
        var headers = HTTPHeaders()
        if let token, HubURL.authority(of: url) == endpoint.authority { headers["Authorization"] = "Bearer \(token)" }
        return headers
    }

    func metadata() async throws -> Metadata {
        let display = location.description
        var url = location.resolveURL(endpoint: endpoint.description)
        var commit: String?
        for _ in 0...Self.maxRedirects {
            let response: HTTPResponse
            do {
                response = try await direct.send(HTTPRequest(method: .head, url: url, headers: headers(for: url)))
            } catch {
                throw ModelFetchError.transport(source: display, detail: error.description)
            }
            if commit == nil, let header = response.headers["X-Repo-Commit"]?.lowercased(), HuggingFaceLocation.isCommit(header) {
                commit = header
            }
            let linkedDigest = ContentCheck.sha256(fromHubETag: response.headers["X-Linked-Etag"])
            let linkedSize = response.headers["X-Linked-Size"].flatMap { Int64($0) }
            switch response.status {
            case 200:
                let digest = linkedDigest ?? ContentCheck.sha256(fromHubETag: response.headers["ETag"])
                let size = linkedSize ?? response.headers["Content-Length"].flatMap { Int64($0) }
                return Metadata(downloadURL: url, check: ContentCheck(size: size, digest: digest), validator: digest?.hex, commit: commit)
            case 301, 302, 303, 307, 308:
                guard let location = response.headers["Location"], let next = HubURL.resolve(location, against: url) else {
                    throw ModelFetchError.server(source: display, status: response.status, detail: "redirect without a usable Location")
                }
                if linkedDigest != nil || linkedSize != nil {
                    // An LFS file: the redirect carries its identity; the CDN serves the bytes.
                    return Metadata(downloadURL: next, check: ContentCheck(size: linkedSize, digest: linkedDigest), validator: linkedDigest?.hex,
                                    commit: commit)
                }
                url = next  // a renamed repository: ask again where it lives now
            default:
                throw Self.failure(status: response.status, headers: response.headers, source: display)
            }
        }
        throw ModelFetchError.server(source: display, status: 310, detail: "more than \(Self.maxRedirects) redirects")
    }

    func run(directory: String, modelFileName: String) async throws -> ModelFetcher.Report {
        let display = location.description
        let metadata = try await metadata()
        let download = Download(
            request: HTTPRequest(method: .get, url: metadata.downloadURL, headers: headers(for: metadata.downloadURL), timeout: nil),
            source: display, target: directory + "/" + modelFileName,
            resume: metadata.validator.map { .ifValidator($0) } ?? .never, expected: metadata.check,
            validator: { _ in metadata.validator },
            checkFromHeaders: { headers in ContentCheck(size: headers["Content-Length"].flatMap { Int64($0) }) },
            failure: { status, headers, _ in Self.failure(status: status, headers: headers, source: display) })
        let bytes = try await download.run(transport: following)
        return ModelFetcher.Report(source: display, files: [modelFileName], bytes: bytes, credentials: token == nil ? "none" : "token (HF_TOKEN)")
    }

    /// The Hub explains refusals in `X-Error-Code` / `X-Error-Message` (also on HEAD).
    static func failure(status: Int, headers: HTTPHeaders, source: String) -> ModelFetchError {
        let code = headers["X-Error-Code"].map { String($0.prefix(100)) }
        let message = headers["X-Error-Message"].map { String($0.prefix(300)) }
        let detail = [code, message].compactMap { $0 }.joined(separator: ": ")
        let shown = detail.isEmpty ? "HTTP \(status)" : detail
        switch status {
        case 404: return .notFound(source: source, detail: shown)
        case 401, 403: return .accessDenied(source: source, detail: shown)
        default: return .server(source: source, status: status, detail: detail)
        }
    }
}

/// The little URL handling redirects need. Pure.
enum HubURL {
    /// `host[:port]` of an absolute http(s) URL.
    static func authority(of url: String) -> String? {
        guard let separator = url.firstRange(of: "://") else { return nil }
        let rest = url[separator.upperBound...]
        return String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    }

    /// An absolute `Location`, or an absolute path resolved against `base`'s scheme and authority.
    static func resolve(_ location: String, against base: String) -> String? {
        let lower = location.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") { return location }
        guard location.hasPrefix("/"), !location.hasPrefix("//"), let separator = base.firstRange(of: "://"),
              let authority = authority(of: base) else { return nil }
        return String(base[..<separator.upperBound]) + authority + location
    }
}
