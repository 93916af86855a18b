#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTP
import ModelSource

/// `s3://bucket/key` and `s3://bucket/prefix/`.
struct S3Fetch {
    /// SHA-256 of an empty payload: S3 wants `x-amz-content-sha256` on every
    /// signed request, and libcurl 7.88 signs the empty body's hash; sending
    /// that hash (not `UNSIGNED-PAYLOAD`) agrees with it on every libcurl version.
    static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// Pages of 1000 keys; a prefix with more than 100 000 objects is no model.
    static let maxListPages = 100

    let location: S3Location
    let addressing: S3Addressing
    let credentials: S3Credentials?
    /// Where the credentials came from, for the log (never the key itself).
    let credentialSource: String
    let transport: any HTTPTransport

    init(location: S3Location, addressing: S3Addressing, credentials: S3Credentials?, credentialSource: String = "none",
         transport: any HTTPTransport) {
        self.location = location
        self.addressing = addressing
        self.credentials = credentials
        self.credentialSource = credentialSource
        self.transport = transport
    }

    static func make(location: S3Location, environment: [String: String], transport: any HTTPTransport) async throws -> S3Fetch {
        let addressing = try StorageEnvironment.s3Addressing(environment)
        let (credentials, from) = try await resolveCredentials(environment, source: location.description, transport: transport)
        return S3Fetch(location: location, addressing: addressing, credentials: credentials, credentialSource: from, transport: transport)
    }

    /// Credentials, in the AWS SDKs' order: a static key (`AWS_ACCESS_KEY_ID`, from the
    /// Secret the spec names); a web identity exchanged at STS (`AWS_ROLE_ARN` +
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`, EKS IRSA); the container credentials endpoint
    /// (EKS Pod Identity, ECS); the instance profile (IMDSv2, asked with a short timeout
    /// so that a node off EC2 is not held up); else none: requests go unsigned (public buckets).
    static func resolveCredentials(_ environment: [String: String], source: String, transport: any HTTPTransport)
        async throws -> (S3Credentials?, String)
    {
        if let key = try StorageEnvironment.s3Credentials(environment) { return (key, "static key (\(StorageEnvironment.accessKeyID))") }
        if let identity = try WebIdentitySettings.from(environment) {
            return (try await assumeRole(identity, source: source, transport: transport), "web identity (role \(identity.roleARN))")
        }
        if let container = try ContainerCredentialsSettings.from(environment) {
            return (try await PlatformCredentialsFetch.container(container, source: source, transport: transport), container.description)
        }
        if let metadata = try InstanceMetadataSettings.from(environment),
           let (credentials, role) = try await PlatformCredentialsFetch.instance(metadata, source: source, transport: transport) {
            return (credentials, "instance profile (role \(role))")
        }
        return (nil, "none (unsigned requests)")
    }

    /// STS `AssumeRoleWithWebIdentity` with the token file's current content
    /// (the kubelet rotates a projected token in place).
    static func assumeRole(_ identity: WebIdentitySettings, source: String, transport: any HTTPTransport) async throws -> S3Credentials {
        let token = try PlatformCredentialsFetch.readToken(at: identity.tokenFile, describedAs: "the web identity token", source: source)
        var request = HTTPRequest(method: .post, url: identity.url, body: Array(identity.requestBody(token: token).utf8), timeout: .seconds(30))
        request.headers["Content-Type"] = "application/x-www-form-urlencoded"
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw ModelFetchError.transport(source: source, detail: "STS \(identity.endpoint.description): \(error.description)")
        }
        do {
            return try WebIdentitySettings.credentials(fromResponse: response.bodyText)
        } catch {
            let detail = "\(error.description) (HTTP \(response.status) from \(identity.endpoint.description), role \(identity.roleARN))"
            throw response.status == 200 ? ModelFetchError.server(source: source, status: 200, detail: detail)
                : ModelFetchError.accessDenied(source: source, detail: detail)
        }
    }

    func request(_ url: String) -> HTTPRequest {
        var request = HTTPRequest(method: .get, url: url, timeout: nil)
        if let credentials {
            request.headers["x-amz-content-sha256"] = Self.emptyPayloadSHA256
            if let token = credentials.sessionToken { request.headers["x-amz-security-token"] = token }
            request.awsSigV4 = AWSSigV4(
                region: addressing.region, service: "s3", accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey)
        }
        return request
    }

    func run(directory: String, modelFileName: String) async throws -> ModelFetcher.Report {
        let display = location.description
        guard location.isPrefix else {
            let bytes = try await download(key: location.key, display: display, to: directory + "/" + modelFileName, expected: ContentCheck())
            return ModelFetcher.Report(source: display, files: [modelFileName], bytes: bytes, credentials: credentialSource)
        }
        let objects = try await list()
        let plan = try PrefixLayout.plan(prefix: location.key, objects: objects, modelFileName: modelFileName, source: display)
        var bytes: Int64 = 0
        for file in plan {
            let target = directory + "/" + file.localPath
            bytes += try await download(
                key: file.object.key, display: "s3://\(location.bucket)/\(file.object.key)", to: target,
                expected: ContentCheck(size: file.object.size, digest: ContentCheck.md5(fromS3ETag: file.object.etag)))
        }
        return ModelFetcher.Report(source: display, files: plan.map(\.localPath), bytes: bytes, credentials: credentialSource)
    }

    func download(key: String, display: String, to target: String, expected: ContentCheck) async throws -> Int64 {
        let download = Download(
            request: request(addressing.objectURL(bucket: location.bucket, key: key)), source: display, target: target,
            resume: .ifRange, expected: expected,
            validator: { headers in ContentCheck.strongETag(headers["ETag"]) },
            checkFromHeaders: { headers in
                ContentCheck(size: headers["Content-Length"].flatMap { Int64($0) }, digest: ContentCheck.md5(fromS3ETag: headers["ETag"]))
            },
            digestApplies: { headers in
                ContentCheck.s3ETagIsMD5(
                    serverSideEncryption: headers["x-amz-server-side-encryption"],
                    customerAlgorithm: headers["x-amz-server-side-encryption-customer-algorithm"])
            },
            failure: { status, _, body in Self.failure(status: status, body: body, source: display) })
        return try await download.run(transport: transport)
    }

    func list() async throws -> [S3Listing.Object] {
        var objects: [S3Listing.Object] = []
        var token: String?
        for _ in 0..<Self.maxListPages {
            let url = addressing.listURL(bucket: location.bucket, prefix: location.key, continuationToken: token)
            let response: HTTPResponse
            do {
                var listRequest = request(url)
                listRequest.timeout = .seconds(60)
                response = try await transport.send(listRequest)
            } catch {
                throw ModelFetchError.transport(source: location.description, detail: error.description)
            }
            guard response.status == 200 else {
                throw Self.failure(status: response.status, body: response.bodyText, source: location.description)
            }
            let page: S3Listing
            do {
                page = try S3Listing.parse(response.bodyText)
            } catch {
                throw ModelFetchError.server(source: location.description, status: 200, detail: error.description)
            }
            objects += page.objects
            guard page.isTruncated else { return objects }
            token = page.nextContinuationToken
        }
        throw ModelFetchError.layout(source: location.description, detail: "more than \(Self.maxListPages * 1000) objects under the prefix")
    }

    static func failure(status: Int, body: String, source: String) -> ModelFetchError {
        let parsed = S3ErrorBody.parse(body)
        let detail = parsed.map { "\($0.code)\($0.message.isEmpty ? "" : ": \($0.message)")" } ?? "HTTP \(status)"
        switch status {
        case 404: return .notFound(source: source, detail: detail)
        case 401, 403: return .accessDenied(source: source, detail: detail)
        case 301, 307:
            return .server(source: source, status: status, detail: detail + "; the bucket may be in another region (set spec.model.storage.region)")
        default: return .server(source: source, status: status, detail: detail)
        }
    }
}

/// Which objects under a prefix go where. Pure.
enum PrefixLayout {
    struct File: Equatable {
        var object: S3Listing.Object
        var localPath: String
    }

    /// Every object under the prefix keeps its path below the prefix; the
    /// model is the top-level `<modelFileName>`, else the only top-level
    /// `.onnx` object, saved as `<modelFileName>` and listed last.
    /// "Folder" marker objects (keys ending in '/') are skipped.
    static func plan(prefix: String, objects: [S3Listing.Object], modelFileName: String, source: String) throws -> [File] {
        var files: [File] = []
        for object in objects where object.key.hasPrefix(prefix) && !object.key.hasSuffix("/") {
            let relative = String(object.key.dropFirst(prefix.count))
            if let problem = RelativePath.problem(relative) {
                throw ModelFetchError.layout(source: source, detail: "object '\(object.key)' cannot be stored locally: its path \(problem)")
            }
            files.append(File(object: object, localPath: relative))
        }
        guard !files.isEmpty else { throw ModelFetchError.notFound(source: source, detail: "no objects under the prefix") }
        let topLevelModels = files.indices.filter { !files[$0].localPath.contains("/") && files[$0].localPath.lowercased().hasSuffix(".onnx") }
        let modelIndex: Int
        if let exact = topLevelModels.first(where: { files[$0].localPath == modelFileName }) {
            modelIndex = exact
        } else if topLevelModels.count == 1 {
            modelIndex = topLevelModels[0]
        } else if topLevelModels.isEmpty {
            throw ModelFetchError.layout(source: source, detail: "no .onnx object directly under the prefix")
        } else {
            let names = topLevelModels.map { files[$0].localPath }.sorted().joined(separator: ", ")
            throw ModelFetchError.layout(source: source, detail: "several .onnx objects (\(names)) and none named \(modelFileName); point the URI at one object")
        }
        var model = files.remove(at: modelIndex)
        model.localPath = modelFileName
        if files.contains(where: { $0.localPath == modelFileName }) {
            throw ModelFetchError.layout(source: source, detail: "\(modelFileName) would be written twice")
        }
        return files + [model]
    }
}
