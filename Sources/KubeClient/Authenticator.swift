import ChildProcess
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming
import JSONValue

/// Produces the `Authorization` header for each request: caches exec
/// plugin tokens until they expire and re-reads token files that rotated.
actor Authenticator {
    private let credentials: Credentials
    private var cachedFileToken: (token: String, modified: Date?)?
    private var cachedExecToken: (token: String, expires: Date?)?
    private let now: @Sendable () -> Date
    private let runPlugin: @Sendable (ExecCredentialConfig) async throws(KubeAPIError) -> [UInt8]

    init(credentials: Credentials,
         now: @escaping @Sendable () -> Date = { Date() },
         runPlugin: @escaping @Sendable (ExecCredentialConfig) async throws(KubeAPIError) -> [UInt8] = ExecPlugin.run)
    {
        self.credentials = credentials
        self.now = now
        self.runPlugin = runPlugin
    }

    func authorizationHeader() async throws(KubeAPIError) -> String? {
        switch credentials {
        case .none:
            return nil
        case .token(let token):
            return "Bearer \(token)"
        case .basic(let username, let password):
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case .tokenFile(let path):
            return "Bearer \(try fileToken(path))"
        case .exec(let config):
            return "Bearer \(try await execToken(config))"
        }
    }

    /// Drops cached credentials after a 401 so the next request fetches fresh ones.
    func invalidate() {
        cachedExecToken = nil
        cachedFileToken = nil
    }

    private func fileToken(_ path: String) throws(KubeAPIError) -> String {
        let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        if let cached = cachedFileToken, cached.modified == modified, modified != nil {
            return cached.token
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("cannot read token file \(path)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingWhitespace()
        guard !token.isEmpty else { throw .configuration("token file \(path) is empty") }
        cachedFileToken = (token, modified)
        return token
    }

    private func execToken(_ config: ExecCredentialConfig) async throws(KubeAPIError) -> String {
        if let cached = cachedExecToken {
            // Refresh a little before expiry so a request never carries a token that lapses in flight.
            if let expires = cached.expires, expires.timeIntervalSince(now()) > 10 { return cached.token }
            if cached.expires == nil { return cached.token }
        }
        let output = try await runPlugin(config)
        let credential = try ExecPlugin.parse(output, config: config)
        cachedExecToken = credential
        return credential.token
    }
}

/// Runs exec credential plugins and reads their `ExecCredential` output.
enum ExecPlugin {
    static let supportedVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    static func parse(_ output: [UInt8], config: ExecCredentialConfig) throws(KubeAPIError) -> (token: String, expires: Date?) {
        let value: JSON
        do {
            value = try JSON.parse(output)
        } catch {
            throw .configuration("exec plugin \(config.command) printed invalid JSON: \(error)")
        }
        guard value["kind"]?.stringValue == "ExecCredential" else {
            throw .configuration("exec plugin \(config.command) output is not an ExecCredential (missing kind)")
        }
        if let apiVersion = value["apiVersion"]?.stringValue, apiVersion != config.apiVersion {
            throw .configuration("exec plugin \(config.command) answered apiVersion \(apiVersion), expected \(config.apiVersion)")
        }
        guard let token = value[path: "status", "token"]?.stringValue, !token.isEmpty else {
            if value[path: "status", "clientCertificateData"] != nil {
                throw .configuration("exec plugin \(config.command) returned a client certificate; only token credentials are supported")
            }
            throw .configuration("exec plugin \(config.command) output has no status.token")
        }
        var expires: Date?
        if let stamp = value[path: "status", "expirationTimestamp"]?.stringValue {
            guard let date = Timestamps.parse(stamp) else {
                throw .configuration("exec plugin \(config.command): invalid status.expirationTimestamp \(stamp)")
            }
            expires = date
        }
        return (token, expires)
    }

    @Sendable static func run(_ config: ExecCredentialConfig) async throws(KubeAPIError) -> [UInt8] {
        guard supportedVersions.contains(config.apiVersion) else {
            throw .configuration("exec plugin apiVersion \(config.apiVersion) is not supported (use client.authentication.k8s.io/v1)")
        }
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: config.command.contains("/") ? config.command : "/usr/bin/env")
        process.arguments = config.command.contains("/") ? config.args : [config.command] + config.args
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in config.env { environment[key] = value }
        var info: JSON = ["apiVersion": .string(config.apiVersion), "kind": "ExecCredential", "spec": ["interactive": false]]
        if config.provideClusterInfo, let server = config.clusterServer {
            info["spec"]?["cluster"] = ["server": .string(server)]
        }
        environment["KUBERNETES_EXEC_INFO"] = info.serialized()
        process.environment = environment
        let collected: (output: [UInt8], errors: [UInt8], status: Int32)
        do {
            collected = try await process.collectOutput()
        } catch {
            let hint = config.installHint.map { " (\($0))" } ?? ""
            throw .configuration("cannot start exec plugin \(config.command): \(error)\(hint)")
        }
        let (output, status) = (collected.output, collected.status)
        let errors = String(decoding: collected.errors, as: UTF8.self)
        guard status == 0 else {
            throw .configuration("exec plugin \(config.command) exited with \(status): \(errors.prefix(300))")
        }
        return output
    }
}

/// RFC 3339 timestamps as Kubernetes writes them (`Time` and `MicroTime`).
public enum Timestamps {
    public static func parse(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? withFraction.parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    /// `metav1.Time`: seconds precision, UTC.
    public static func format(_ date: Date) -> String {
        Date.ISO8601FormatStyle().format(date)
    }

    /// `metav1.MicroTime`: microsecond precision, UTC.
    public static func formatMicro(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down))
        let base = Date.ISO8601FormatStyle().format(Date(timeIntervalSince1970: seconds))
        let padded = String(micros).count < 6 ? String(repeating: "0", count: 6 - String(micros).count) + String(micros) : String(micros)
        return base.dropLast() + "." + padded + "Z"
    }
}
