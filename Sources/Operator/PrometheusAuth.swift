import Autoscaling
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Locking

/// Where and how one group of objects reads Prometheus: the URL plus the
/// credentials and CA from `spec.autoscaling.prometheus.authSecretRef`.
/// Objects with equal endpoints share one batched query; a different
/// Secret content is a different endpoint.
///
/// The description never shows credentials (only which Secret they came
/// from), so an endpoint can go into logs and reasons.
struct PrometheusEndpoint: Hashable, Sendable, CustomStringConvertible {
    var url: String
    var authentication: PrometheusConfiguration.Authentication = .none
    /// PEM bundle from the Secret's `ca.crt`; nil trusts the system store.
    var caPEM: [UInt8]? = nil
    /// `namespace/name` of the Secret, for messages; not part of equality
    /// (two Secrets with the same content share a query).
    var secret: String? = nil

    static func == (a: PrometheusEndpoint, b: PrometheusEndpoint) -> Bool {
        a.url == b.url && a.authentication == b.authentication && a.caPEM == b.caPEM
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(url)
        hasher.combine(authentication)
        hasher.combine(caPEM)
    }

    var description: String {
        let kind: String
        switch authentication {
        case .none: kind = "no auth"
        case .bearer: kind = "bearer token"
        case .basic: kind = "basic auth"
        }
        var text = "\(url) (\(kind)"
        if let secret { text += " from Secret \(secret)" }
        if caPEM != nil { text += ", custom CA" }
        return text + ")"
    }
}

/// Why an object's `authSecretRef` cannot be used. The message names the
/// Secret and the key, never a value.
struct AuthSecretProblem: Error, Hashable, Sendable {
    /// Condition and Event reason: `AuthSecretInvalid` (missing Secret or
    /// keys: the user must fix it) or `AuthSecretUnreadable` (the API
    /// server failed; retried next interval).
    var reason: String
    var message: String
}

/// Turns a Secret's `data` into credentials (pure, for tests).
///
/// `token` → bearer; else `username` + `password` → basic; `ca.crt`
/// optional. Surrounding whitespace of token and username is trimmed
/// (`kubectl create secret --from-file` keeps a file's final newline);
/// the password is used byte for byte.
enum AuthSecretParser {
    static func endpoint(url: String, secret: JSON, reference: String) -> Result<PrometheusEndpoint, AuthSecretProblem> {
        func invalid(_ message: String) -> Result<PrometheusEndpoint, AuthSecretProblem> {
            .failure(AuthSecretProblem(reason: "AuthSecretInvalid", message: "Secret \(reference): \(message)"))
        }
        var values: [String: [UInt8]] = [:]
        let data = secret["data"]?.objectValue ?? JSONObject()
        for (key, value) in zip(data.keys, data.values) {
            guard let text = value.stringValue, let bytes = Data(base64Encoded: text) else {
                return invalid("key '\(key)' is not base64")
            }
            values[key] = Array(bytes)
        }
        func text(_ key: String, trim: Bool) -> Result<String?, AuthSecretProblem> {
            guard let bytes = values[key] else { return .success(nil) }
            guard let string = String(validating: bytes, as: UTF8.self) else {
                return .failure(AuthSecretProblem(reason: "AuthSecretInvalid", message: "Secret \(reference): key '\(key)' is not UTF-8"))
            }
            let value = trim ? string.trimmingWhitespace() : string
            if value.isEmpty {
                return .failure(AuthSecretProblem(reason: "AuthSecretInvalid", message: "Secret \(reference): key '\(key)' is empty"))
            }
            if value.contains(where: { $0 == "\n" || $0 == "\r" }) {
                return .failure(AuthSecretProblem(reason: "AuthSecretInvalid", message: "Secret \(reference): key '\(key)' contains a line break"))
            }
            return .success(value)
        }
        var endpoint = PrometheusEndpoint(url: url, secret: reference)
        do throws(AuthSecretProblem) {
            let token = try text("token", trim: true).get()
            let username = try text("username", trim: true).get()
            let password = try text("password", trim: false).get()
            switch (token, username, password) {
            case (let token?, nil, nil):
                endpoint.authentication = .bearer(token)
            case (_?, _, _):
                return invalid("has both 'token' and 'username'/'password'; keep one kind of credentials")
            case (nil, let user?, let password?):
                endpoint.authentication = .basic(username: user, password: password)
            case (nil, _?, nil):
                return invalid("missing key 'password' (key 'username' is set)")
            case (nil, nil, _?):
                return invalid("missing key 'username' (key 'password' is set)")
            case (nil, nil, nil):
                return invalid("missing key 'token' (or keys 'username' and 'password')")
            }
        } catch {
            return .failure(error)
        }
        if let ca = values["ca.crt"] {
            guard String(decoding: ca, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
                return invalid("key 'ca.crt' holds no PEM certificate")
            }
            endpoint.caPEM = ca
        }
        return .success(endpoint)
    }
}

/// Reads the Secrets named by `authSecretRef`, one GET per Secret per TTL
/// (least privilege: `get` on secrets, no list or watch). Failures are not
/// cached, and `invalidate` drops an entry when Prometheus answers 401/403,
/// so a rotated credential is picked up at the next interval.
public final class AuthSecretCache: Sendable {
    public typealias Fetch = @Sendable (_ namespace: String, _ name: String) async throws(KubeAPIError) -> JSON

    private struct Entry { var secret: JSON; var readAt: Double }
    private let fetch: Fetch
    private let ttl: Double
    private let now: @Sendable () -> Double
    private let entries = Locked<[String: Entry]>([:])

    public init(ttl: Duration = .seconds(60), now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.ttl = Double(ttl.components.seconds) + Double(ttl.components.attoseconds) / 1e18
        self.now = now
    }

    public convenience init(client: KubeClient, ttl: Duration = .seconds(60),
                     now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.init(ttl: ttl, now: now) { (namespace: String, name: String) async throws(KubeAPIError) -> JSON in
            try await client.get(.secrets, name: name, namespace: namespace)
        }
    }

    /// The endpoint for `url` with the credentials of Secret `namespace/name`.
    func endpoint(url: String, namespace: String, name: String) async -> Result<PrometheusEndpoint, AuthSecretProblem> {
        let key = "\(namespace)/\(name)"
        let time = now()
        let cached = entries.withLock { entries -> JSON? in
            guard let entry = entries[key], time - entry.readAt < ttl, time >= entry.readAt else { return nil }
            return entry.secret
        }
        let secret: JSON
        if let cached {
            secret = cached
        } else {
            do throws(KubeAPIError) {
                secret = try await fetch(namespace, name)
            } catch {
                switch error {
                case .notFound:
                    return .failure(AuthSecretProblem(reason: "AuthSecretInvalid", message: "Secret \(key) not found"))
                case .forbidden, .unauthorized:
                    return .failure(AuthSecretProblem(reason: "AuthSecretInvalid",
                        message: "the operator may not read Secret \(key) (it needs RBAC 'get' on secrets in \(namespace))"))
                default:
                    return .failure(AuthSecretProblem(reason: "AuthSecretUnreadable",
                        message: "reading Secret \(key) failed: \(String(describing: error).prefix(300))"))
                }
            }
            entries.withLock { $0[key] = Entry(secret: secret, readAt: time) }
        }
        return AuthSecretParser.endpoint(url: url, secret: secret, reference: key)
    }

    /// Forgets a Secret so the next interval reads it again.
    func invalidate(namespace: String, name: String) {
        _ = entries.withLock { $0.removeValue(forKey: "\(namespace)/\(name)") }
    }
}

/// One transport per custom CA (libcurl takes the CA per handle set), made
/// on first use and kept; objects without `ca.crt` use the shared one.
public final class PrometheusTransports: Sendable {
    public typealias Make = @Sendable (TLSConfiguration) throws -> any HTTPTransport
    private let shared: any HTTPTransport
    private let make: Make
    private let byCA = Locked<[[UInt8]: any HTTPTransport]>([:])

    init(shared: any HTTPTransport, make: @escaping Make) {
        self.shared = shared
        self.make = make
    }

    func transport(caPEM: [UInt8]?) throws -> any HTTPTransport {
        guard let caPEM else { return shared }
        if let existing = byCA.withLock({ $0[caPEM] }) { return existing }
        let made = try make(TLSConfiguration(caPEM: caPEM))
        return byCA.withLock { cache in
            if let existing = cache[caPEM] { return existing }
            cache[caPEM] = made
            return made
        }
    }
}
