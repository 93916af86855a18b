/// S3 credentials from a web identity (pure parts): EKS IAM Roles for Service
/// Accounts and any OIDC federation with STS `AssumeRoleWithWebIdentity`.
/// The pod identity webhook (or the user) sets `AWS_ROLE_ARN` and
/// `AWS_WEB_IDENTITY_TOKEN_FILE` (a projected service-account token); the
/// fetcher exchanges the token for temporary credentials when no static key
/// is set. The request is a form-encoded POST, so the token never appears in
/// a URL; the call itself is unsigned, as STS takes the token as proof.
public struct WebIdentitySettings: Sendable, Hashable, CustomStringConvertible {
    public static let roleARN = "AWS_ROLE_ARN"
    public static let tokenFile = "AWS_WEB_IDENTITY_TOKEN_FILE"
    public static let sessionName = "AWS_ROLE_SESSION_NAME"
    /// The STS endpoint, as the AWS CLI names its override.
    public static let stsEndpoints = ["AWS_ENDPOINT_URL_STS"]
    /// RoleSessionName when none is set: STS wants 2 to 64 of `[\w+=,.@-]`.
    public static let defaultSessionName = "inference-server-model-fetch"

    public var roleARN: String
    public var tokenFile: String
    public var sessionName: String
    /// `https://sts.<region>.amazonaws.com`, `AWS_ENDPOINT_URL_STS`, or an S3-compatible
    /// store's own endpoint (MinIO answers STS where it answers S3).
    public var endpoint: EndpointURL

    public var description: String { "web identity (role \(roleARN), token file \(tokenFile), STS \(endpoint.description))" }

    /// nil unless both `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE` are set.
    public static func from(_ environment: [String: String]) throws(StorageSettingsError) -> WebIdentitySettings? {
        let role = StorageEnvironment.value([roleARN], in: environment)
        let file = StorageEnvironment.value([tokenFile], in: environment)
        switch (role, file) {
        case (nil, nil): return nil
        case (nil, _): throw StorageSettingsError("\(tokenFile) is set but \(roleARN) is not")
        case (_, nil): throw StorageSettingsError("\(roleARN) is set but \(tokenFile) is not")
        case (let role?, let file?):
            guard role.hasPrefix("arn:") else { throw StorageSettingsError("\(roleARN) '\(role)' is not an ARN") }
            let session = StorageEnvironment.value([sessionName], in: environment) ?? defaultSessionName
            guard (2...64).contains(session.count),
                  session.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || "_+=,.@-".unicodeScalars.contains($0) })
            else { throw StorageSettingsError("\(sessionName) '\(session)' must be 2 to 64 of letters, digits and _+=,.@-") }
            return WebIdentitySettings(roleARN: role, tokenFile: file, sessionName: session, endpoint: try stsEndpoint(environment))
        }
    }

    /// `AWS_ENDPOINT_URL_STS`; else the storage endpoint when one is set (an
    /// S3-compatible store); else AWS STS in the bucket's region.
    static func stsEndpoint(_ environment: [String: String]) throws(StorageSettingsError) -> EndpointURL {
        if let text = StorageEnvironment.value(stsEndpoints + [StorageEnvironment.endpoint] + StorageEnvironment.awsEndpoints.suffix(1),
                                               in: environment) {
            return try EndpointURL.parse(text)
        }
        let region = StorageEnvironment.value([StorageEnvironment.region] + StorageEnvironment.awsRegions, in: environment)
            ?? S3Addressing.defaultRegion
        return try EndpointURL.parse("https://sts.\(region).amazonaws.com")
    }

    /// The URL to POST to.
    public var url: String { endpoint.description + "/" }

    /// The form body of `AssumeRoleWithWebIdentity` (API version 2011-06-15).
    public func requestBody(token: String) -> String {
        [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName), ("WebIdentityToken", token),
        ].map { "\($0.0)=\(URIEncoding.encode($0.1, keepSlash: false))" }.joined(separator: "&")
    }

    /// The temporary credentials in an `AssumeRoleWithWebIdentityResponse`,
    /// or the STS error's code and message.
    public static func credentials(fromResponse text: String) throws(S3ResponseError) -> S3Credentials {
        if text.contains("<ErrorResponse") || text.contains("<Error>") {
            let code = XMLScan.elements("Code", in: text).first ?? "?"
            let message = XMLScan.elements("Message", in: text).first ?? ""
            throw S3ResponseError("STS refused AssumeRoleWithWebIdentity: \(code.prefix(100))\(message.isEmpty ? "" : ": \(message.prefix(300))")")
        }
        guard let block = XMLScan.elements("Credentials", in: text).first,
              let key = XMLScan.elements("AccessKeyId", in: block).first, !key.isEmpty,
              let secret = XMLScan.elements("SecretAccessKey", in: block).first, !secret.isEmpty,
              let token = XMLScan.elements("SessionToken", in: block).first, !token.isEmpty
        else { throw S3ResponseError("the AssumeRoleWithWebIdentity response carries no complete Credentials") }
        return S3Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
    }
}
