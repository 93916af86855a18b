#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming
import HTTP
import ModelSource

/// Asks the container credentials endpoint and the instance metadata service
/// (`ContainerCredentialsSettings`, `InstanceMetadataSettings`) for temporary
/// S3 credentials. Errors name the endpoint, never a token or key.
enum PlatformCredentialsFetch {
    /// The container endpoint is named by the environment, so any failure is an error.
    static func container(_ settings: ContainerCredentialsSettings, source: String, transport: any HTTPTransport) async throws -> S3Credentials {
        var request = HTTPRequest(method: .get, url: settings.url, timeout: .seconds(5))
        switch settings.authorization {
        case .file(let path):
            request.headers["Authorization"] = try readToken(at: path, describedAs: "the container authorization token", source: source)
        case .value(let token): request.headers["Authorization"] = token
        case nil: break
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw ModelFetchError.transport(source: source, detail: "\(settings.description): \(error.description)")
        }
        return try credentials(from: response, endpoint: settings.description, source: source)
    }

    /// A token file's current content (a projected token is rotated in place, so it is read
    /// at each fetch); unreadable or empty is an access-denied error naming the file.
    static func readToken(at path: String, describedAs what: String, source: String) throws -> String {
        let token: String
        do {
            token = try String(contentsOfFile: path, encoding: .utf8).trimmingWhitespace()
        } catch {
            throw ModelFetchError.accessDenied(source: source, detail: "cannot read \(what) \(path)")
        }
        guard !token.isEmpty else { throw ModelFetchError.accessDenied(source: source, detail: "\(what) \(path) is empty") }
        return token
    }

    /// nil when no instance metadata service answers (not on EC2) or the instance has no role.
    static func instance(_ settings: InstanceMetadataSettings, source: String, transport: any HTTPTransport)
        async throws -> (S3Credentials, String)?
    {
        var tokenRequest = HTTPRequest(method: .put, url: settings.tokenURL, timeout: .seconds(1))
        tokenRequest.headers["X-aws-ec2-metadata-token-ttl-seconds"] = String(InstanceMetadataSettings.tokenTTLSeconds)
        guard let tokenResponse = try? await transport.send(tokenRequest), tokenResponse.status == 200 else { return nil }
        let token = tokenResponse.bodyText.trimmingWhitespace()
        var listing = HTTPRequest(method: .get, url: settings.rolesURL, timeout: .seconds(2))
        listing.headers["X-aws-ec2-metadata-token"] = token
        guard let roles = try? await transport.send(listing), roles.status == 200,
              let role = InstanceMetadataSettings.role(fromListing: roles.bodyText) else { return nil }
        var request = HTTPRequest(method: .get, url: settings.roleURL(role), timeout: .seconds(2))
        request.headers["X-aws-ec2-metadata-token"] = token
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw ModelFetchError.transport(source: source, detail: "\(settings.description), role \(role): \(error.description)")
        }
        return (try credentials(from: response, endpoint: "\(settings.description), role \(role)", source: source), role)
    }

    static func credentials(from response: HTTPResponse, endpoint: String, source: String) throws -> S3Credentials {
        guard response.status == 200 else {
            throw ModelFetchError.accessDenied(source: source, detail: "HTTP \(response.status) from \(endpoint)")
        }
        do {
            return try TemporaryCredentialsJSON.credentials(from: response.bodyText)
        } catch {
            throw ModelFetchError.accessDenied(source: source, detail: "\(error.description) (\(endpoint))")
        }
    }
}
