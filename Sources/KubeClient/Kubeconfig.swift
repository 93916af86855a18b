#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming
import HTTP
import JSONValue
import YAML

/// Loads client configuration from kubeconfig files, as kubectl does.
///
/// - `$KUBECONFIG` may list several files separated by `:`; they merge
///   entry by entry (clusters, users, contexts by name) and the first file
///   that sets a name or `current-context` wins. Files listed but missing
///   are skipped; if none exists that is an error.
/// - Without `$KUBECONFIG`, `~/.kube/config`.
/// - Relative file paths inside a file resolve against that file's folder.
public struct Kubeconfig: Sendable {
    struct Entry: Sendable {
        var value: JSON
        var file: String
    }

    var clusters: [String: Entry] = [:]
    var users: [String: Entry] = [:]
    var contexts: [String: Entry] = [:]
    var currentContext: (name: String, file: String)?
    public private(set) var files: [String] = []

    /// Parses and merges the given files (in precedence order).
    public init(files paths: [String]) throws(KubeAPIError) {
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            files.append(path)
            let document: JSON
            do {
                document = try YAML.parse(String(decoding: data, as: UTF8.self))
            } catch {
                throw .configuration("kubeconfig \(path): \(error)")
            }
            try merge(document, file: path)
        }
        guard !files.isEmpty else {
            throw .configuration("no kubeconfig found (looked at \(paths.joined(separator: ", ")))")
        }
    }

    /// Parses one kubeconfig document already in memory (`file` names it in errors).
    public init(text: String, file: String) throws(KubeAPIError) {
        let document: JSON
        do {
            document = try YAML.parse(text)
        } catch {
            throw .configuration("kubeconfig \(file): \(error)")
        }
        files = [file]
        try merge(document, file: file)
    }

    /// The files kubectl would read: `$KUBECONFIG`'s list or `~/.kube/config`.
    public static func defaultPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return [home + "/.kube/config"]
    }

    private mutating func merge(_ document: JSON, file: String) throws(KubeAPIError) {
        if document.isNull { return }  // an empty file contributes nothing
        guard case .object = document else {
            throw .configuration("kubeconfig \(file): expected a mapping at the top level, found \(document.typeName)")
        }
        if currentContext == nil, let name = document["current-context"]?.stringValue, !name.isEmpty {
            currentContext = (name, file)
        }
        try mergeNamed(document, key: "clusters", inner: "cluster", into: &clusters, file: file)
        try mergeNamed(document, key: "users", inner: "user", into: &users, file: file)
        try mergeNamed(document, key: "contexts", inner: "context", into: &contexts, file: file)
    }

    private func mergeNamed(_ document: JSON, key: String, inner: String, into table: inout [String: Entry], file: String) throws(KubeAPIError) {
        guard let list = document[key], !list.isNull else { return }
        guard let items = list.arrayValue else {
            throw .configuration("kubeconfig \(file): '\(key)' must be a list, found \(list.typeName)")
        }
        for (index, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue, !name.isEmpty else {
                throw .configuration("kubeconfig \(file): \(key)[\(index)] is missing field 'name'")
            }
            guard let body = item[inner], case .object = body else {
                throw .configuration("kubeconfig \(file): \(key) entry \"\(name)\" is missing field '\(inner)'")
            }
            if table[name] == nil { table[name] = Entry(value: body, file: file) }
        }
    }

    /// Names of the contexts found.
    public var contextNames: [String] { contexts.keys.sorted() }

    /// Resolves a context (`context` overrides `current-context`) to a client configuration.
    public func configuration(context override: String? = nil) throws(KubeAPIError) -> KubeClientConfiguration {
        guard let contextName = override ?? currentContext?.name else {
            throw .configuration("kubeconfig \(files.joined(separator: ":")): no current-context set and no --context given")
        }
        guard let context = contexts[contextName] else {
            throw .configuration("kubeconfig \(files.joined(separator: ":")): context \"\(contextName)\" not found (have: \(contextNames.joined(separator: ", ")))")
        }
        let where_ = "kubeconfig \(context.file), context \"\(contextName)\""
        guard let clusterName = context.value["cluster"]?.stringValue, !clusterName.isEmpty else {
            throw .configuration("\(where_): missing field 'cluster'")
        }
        guard let cluster = clusters[clusterName] else {
            throw .configuration("\(where_): cluster \"\(clusterName)\" not found")
        }
        guard let server = cluster.value["server"]?.stringValue, !server.isEmpty else {
            throw .configuration("kubeconfig \(cluster.file), cluster \"\(clusterName)\": missing field 'server'")
        }
        guard server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw .configuration("kubeconfig \(cluster.file), cluster \"\(clusterName)\": server \(server) is not an http(s) URL")
        }

        let clusterWhere = "kubeconfig \(cluster.file), cluster \"\(clusterName)\""
        var tls = TLSConfiguration()
        tls.caPEM = try material(cluster, dataKey: "certificate-authority-data", fileKey: "certificate-authority", where_: clusterWhere)
        tls.insecureSkipVerify = cluster.value["insecure-skip-tls-verify"]?.boolValue ?? false
        tls.serverName = cluster.value["tls-server-name"]?.stringValue

        var credentials = Credentials.none
        if let userName = context.value["user"]?.stringValue, !userName.isEmpty {
            guard let user = users[userName] else {
                throw .configuration("\(where_): user \"\(userName)\" not found")
            }
            let userWhere = "kubeconfig \(user.file), user \"\(userName)\""
            tls.clientCertificatePEM = try material(user, dataKey: "client-certificate-data", fileKey: "client-certificate", where_: userWhere)
            tls.clientKeyPEM = try material(user, dataKey: "client-key-data", fileKey: "client-key", where_: userWhere)
            if (tls.clientCertificatePEM == nil) != (tls.clientKeyPEM == nil) {
                throw .configuration("\(userWhere): client-certificate and client-key must be given together")
            }
            credentials = try userCredentials(user, server: server, where_: userWhere)
        }
        let namespace = context.value["namespace"]?.stringValue ?? "default"
        return KubeClientConfiguration(server: server, tls: tls, credentials: credentials, namespace: namespace,
                                       source: where_)
    }

    private func userCredentials(_ user: Entry, server: String, where_: String) throws(KubeAPIError) -> Credentials {
        let u = user.value
        if let token = u["token"]?.stringValue, !token.isEmpty { return .token(token) }
        if let file = u["tokenFile"]?.stringValue, !file.isEmpty { return .tokenFile(resolvePath(file, relativeTo: user.file)) }
        if let username = u["username"]?.stringValue {
            guard let password = u["password"]?.stringValue else {
                throw .configuration("\(where_): username given without field 'password'")
            }
            return .basic(username: username, password: password)
        }
        if let exec = u["exec"], !exec.isNull {
            guard let command = exec["command"]?.stringValue, !command.isEmpty else {
                throw .configuration("\(where_): exec is missing field 'command'")
            }
            guard let apiVersion = exec["apiVersion"]?.stringValue else {
                throw .configuration("\(where_): exec is missing field 'apiVersion'")
            }
            var env: [String: String] = [:]
            for (index, item) in (exec["env"]?.arrayValue ?? []).enumerated() {
                guard let name = item["name"]?.stringValue, let value = item["value"]?.stringValue else {
                    throw .configuration("\(where_): exec.env[\(index)] needs 'name' and 'value'")
                }
                env[name] = value
            }
            let resolvedCommand = command.contains("/") ? resolvePath(command, relativeTo: user.file) : command
            return .exec(ExecCredentialConfig(
                apiVersion: apiVersion, command: resolvedCommand,
                args: (exec["args"]?.arrayValue ?? []).compactMap(\.stringValue), env: env,
                installHint: exec["installHint"]?.stringValue, clusterServer: server,
                provideClusterInfo: exec["provideClusterInfo"]?.boolValue ?? false))
        }
        return .none
    }

    /// Reads inline base64 data or a referenced file.
    private func material(_ entry: Entry, dataKey: String, fileKey: String, where_: String) throws(KubeAPIError) -> [UInt8]? {
        if let encoded = entry.value[dataKey]?.stringValue, !encoded.isEmpty {
            guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                throw .configuration("\(where_): field '\(dataKey)' is not valid base64")
            }
            return [UInt8](data)
        }
        if let file = entry.value[fileKey]?.stringValue, !file.isEmpty {
            let path = resolvePath(file, relativeTo: entry.file)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .configuration("\(where_): cannot read \(fileKey) file \(path)")
            }
            return [UInt8](data)
        }
        return nil
    }

    private func resolvePath(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/") { return FileManager.default.homeDirectoryForCurrentUser.path + String(path.dropFirst(1)) }
        // The kubeconfig's directory (as NSString.deletingLastPathComponent: "" for a bare name, "/" at the root).
        guard let slash = file.lastIndex(of: "/") else { return path }
        let folder = slash == file.startIndex ? "/" : String(file[..<slash])
        return folder == "/" ? "/" + path : folder + "/" + path
    }
}

/// In-cluster configuration from the pod's service account.
public enum InClusterConfig {
    public static let defaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Builds the configuration from `KUBERNETES_SERVICE_HOST/PORT` and the
    /// mounted token, CA and namespace. The token is re-read when it rotates.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment,
                            directory: String = defaultDirectory) throws(KubeAPIError) -> KubeClientConfiguration
    {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw .configuration("in-cluster: KUBERNETES_SERVICE_HOST is not set (not running in a pod?)")
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw .configuration("in-cluster: KUBERNETES_SERVICE_PORT is not set")
        }
        let tokenPath = directory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw .configuration("in-cluster: cannot read token file \(tokenPath)")
        }
        guard let ca = FileManager.default.contents(atPath: directory + "/ca.crt") else {
            throw .configuration("in-cluster: cannot read CA file \(directory)/ca.crt")
        }
        let namespace = FileManager.default.contents(atPath: directory + "/namespace")
            .map { String(decoding: $0, as: UTF8.self).trimmingWhitespace() } ?? "default"
        let hostPart = host.contains(":") ? "[\(host)]" : host  // IPv6
        return KubeClientConfiguration(
            server: "https://\(hostPart):\(port)", tls: TLSConfiguration(caPEM: [UInt8](ca)),
            credentials: .tokenFile(tokenPath), namespace: namespace.isEmpty ? "default" : namespace,
            source: "in-cluster service account")
    }
}
