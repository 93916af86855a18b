/// S3 credentials a platform hands a workload over HTTP (pure parts): the
/// container credentials endpoint (EKS Pod Identity, ECS task roles) and the
/// EC2 instance metadata service (an instance profile, IMDSv2). The fetcher
/// asks them, in that order, after a static key and a web identity, as the
/// AWS SDKs' default chain does.

/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (EKS Pod Identity's agent sets
/// `http://169.254.170.23/v1/credentials`) or `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
/// (ECS: a path on `http://169.254.170.2`), with the `Authorization` value from
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read at each fetch: the token is
/// rotated in place) or `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
public struct ContainerCredentialsSettings: Sendable, Hashable, CustomStringConvertible {
    public static let fullURI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    public static let relativeURI = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
    public static let tokenFile = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
    public static let token = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
    public static let ecsHost = "http://169.254.170.2"
    /// Hosts a plain-http full URI may name, as the SDKs allow: loopback, ECS' and EKS Pod Identity's link-local agents.
    public static let plainHTTPHosts: Set<String> = ["127.0.0.1", "localhost", "[::1]", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"]

    public enum Authorization: Sendable, Hashable {
        case file(String)
        case value(String)
    }

    public var url: String
    public var authorization: Authorization?

    public var description: String { "container credentials \(url)" }

    /// nil when neither URI variable is set.
    public static func from(_ environment: [String: String]) throws(StorageSettingsError) -> ContainerCredentialsSettings? {
        let authorization: Authorization? = StorageEnvironment.value([tokenFile], in: environment).map { .file($0) }
            ?? StorageEnvironment.value([token], in: environment).map { .value($0) }
        if let relative = StorageEnvironment.value([relativeURI], in: environment) {
            guard relative.hasPrefix("/") else { throw StorageSettingsError("\(relativeURI) '\(relative)' must start with '/'") }
            return ContainerCredentialsSettings(url: ecsHost + relative, authorization: authorization)
        }
        guard let full = StorageEnvironment.value([fullURI], in: environment) else { return nil }
        let parsed = try EndpointURL.parse(full)
        let host = parsed.authority.hasPrefix("[") ? String(parsed.authority.prefix { $0 != "]" }) + "]"
            : String(parsed.authority.prefix { $0 != ":" })
        guard parsed.scheme == "https" || plainHTTPHosts.contains(host.lowercased()) else {
            throw StorageSettingsError("\(fullURI) '\(full)' must use https:// unless it names a loopback or the ECS/EKS agent address")
        }
        return ContainerCredentialsSettings(url: full, authorization: authorization)
    }
}

/// IMDSv2 (`PUT /latest/api/token`, then the role under
/// `/latest/meta-data/iam/security-credentials/` and its credentials), at
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT` or `http://169.254.169.254`; off with
/// `AWS_EC2_METADATA_DISABLED=true`.
public struct InstanceMetadataSettings: Sendable, Hashable, CustomStringConvertible {
    public static let endpointVariable = "AWS_EC2_METADATA_SERVICE_ENDPOINT"
    public static let disabledVariable = "AWS_EC2_METADATA_DISABLED"
    public static let defaultEndpoint = "http://169.254.169.254"
    /// Seconds the session token lives (IMDS allows 1 to 21600).
    public static let tokenTTLSeconds = 21600

    public var endpoint: EndpointURL

    public var description: String { "instance metadata \(endpoint.description)" }

    /// nil when switched off.
    public static func from(_ environment: [String: String]) throws(StorageSettingsError) -> InstanceMetadataSettings? {
        if let disabled = StorageEnvironment.value([disabledVariable], in: environment), disabled.lowercased() == "true" { return nil }
        let text = StorageEnvironment.value([endpointVariable], in: environment) ?? defaultEndpoint
        return InstanceMetadataSettings(endpoint: try EndpointURL.parse(text))
    }

    public var tokenURL: String { endpoint.description + "/latest/api/token" }
    public var rolesURL: String { endpoint.description + "/latest/meta-data/iam/security-credentials/" }
    public func roleURL(_ role: String) -> String { rolesURL + URIEncoding.encode(role, keepSlash: false) }

    /// The first role name in the listing IMDS answers (one per line).
    public static func role(fromListing text: String) -> String? {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingCharacters() }.first { !$0.isEmpty }
    }
}

/// The JSON both endpoints answer: `AccessKeyId`, `SecretAccessKey`, `Token`
/// (IMDS adds `"Code": "Success"`; anything else there is its error).
public enum TemporaryCredentialsJSON {
    public static func credentials(from text: String) throws(S3ResponseError) -> S3Credentials {
        let fields = FlatJSON.stringFields(text)
        if let code = fields["Code"], code != "Success" {
            throw S3ResponseError("the credentials endpoint answered Code \(code.prefix(100))\(fields["Message"].map { ": \($0.prefix(300))" } ?? "")")
        }
        guard let key = fields["AccessKeyId"], !key.isEmpty, let secret = fields["SecretAccessKey"], !secret.isEmpty else {
            throw S3ResponseError("the credentials endpoint's answer carries no AccessKeyId and SecretAccessKey")
        }
        let token = fields["Token"].flatMap { $0.isEmpty ? nil : $0 }
        return S3Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
    }
}

/// The string-valued members of a flat JSON object (other values skipped);
/// enough for the credentials answers without a JSON dependency here.
enum FlatJSON {
    static func stringFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        var scalars = Array(text.unicodeScalars)[...]
        func skipSpace() { while let c = scalars.first, c == " " || c == "\n" || c == "\r" || c == "\t" { scalars.removeFirst() } }
        func string() -> String? {
            guard scalars.first == "\"" else { return nil }
            scalars.removeFirst()
            var out = String.UnicodeScalarView()
            while let c = scalars.popFirst() {
                switch c {
                case "\"": return String(out)
                case "\\":
                    guard let e = scalars.popFirst() else { return nil }
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "b": out.append("\u{8}")
                    case "f": out.append("\u{C}")
                    case "u":
                        let hex = String(String.UnicodeScalarView(scalars.prefix(4)))
                        scalars = scalars.dropFirst(4)
                        guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else { return nil }
                        out.append(scalar)
                    default: out.append(e)
                    }
                default: out.append(c)
                }
            }
            return nil
        }
        skipSpace()
        guard scalars.popFirst() == "{" else { return [:] }
        while true {
            skipSpace()
            guard let key = string() else { return fields }
            skipSpace()
            guard scalars.popFirst() == ":" else { return fields }
            skipSpace()
            if let value = string() {
                fields[key] = value
            } else {
                // A number, literal, or nested value: skip to the next top-level ',' or '}'.
                var depth = 0
                var inString = false
                while let c = scalars.first {
                    if inString {
                        if c == "\\" { scalars.removeFirst() } else if c == "\"" { inString = false }
                    } else if c == "\"" { inString = true } else if c == "{" || c == "[" { depth += 1 } else if c == "}" || c == "]" {
                        if depth == 0 { break }
                        depth -= 1
                    } else if c == "," && depth == 0 { break }
                    scalars.removeFirst()
                }
            }
            skipSpace()
            guard let next = scalars.popFirst(), next == "," else { return fields }
        }
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
