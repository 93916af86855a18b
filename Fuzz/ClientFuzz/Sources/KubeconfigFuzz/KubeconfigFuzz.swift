import HTTP
import JSONValue
import KubeClient
import YAML

/// One fuzz input: any bytes as a kubeconfig file. Loading and resolving
/// every context may fail, but only with a `KubeAPIError.configuration`, and:
/// - a resolved server is an http(s) URL;
/// - no error message carries a token, password or key given in the file;
/// - the same document written back as YAML resolves to the same configuration.
@_cdecl("LLVMFuzzerTestOneInput")
public func kubeconfigFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = data.map { String(decoding: UnsafeBufferPointer(start: $0, count: size), as: UTF8.self) } ?? ""
    // File references are read as they are; device and proc files could block
    // or never end, which says nothing about the parser.
    for prefix in ["/dev", "/proc", "/sys"] where text.contains(prefix) { return 0 }

    let first = outcomes(text)
    let secrets = secretStrings(in: text)
    for outcome in first {
        guard case .failure(let message) = outcome else { continue }
        for secret in secrets where message.contains(secret.value) && !secret.alsoPublic {
            fail("an error message shows a secret (\(secret.field))", input: text, detail: message)
        }
    }
    for outcome in first {
        if case .success(let resolved) = outcome,
            !(resolved.server.hasPrefix("https://") || resolved.server.hasPrefix("http://")) {
            fail("resolved a server that is not an http(s) URL", input: text, detail: resolved.server)
        }
    }
    // Written back and read again: the same outcome for every context.
    if let document = try? YAML.parse(text, limits: YAMLLimits(maxAliasedNodes: 20_000)) {
        let written = YAML.emit(document)
        let again = outcomes(written)
        if again != first {
            fail("the re-emitted kubeconfig resolves differently", input: text, detail: "\(first)\n--- after\n\(again)\n--- emitted\n\(written)")
        }
    }
    return 0
}

/// What resolving one context gave: the parts a client uses, or the error.
enum Outcome: Equatable {
    struct Resolved: Equatable {
        var server: String
        var tls: TLSConfiguration
        var credentials: Credentials
        var namespace: String
    }
    case success(Resolved)
    case failure(String)
}

/// The outcomes of loading `text` and resolving the current context and each named one.
func outcomes(_ text: String) -> [Outcome] {
    let file = "/nonexistent-fuzz/config"
    let config: Kubeconfig
    do {
        config = try Kubeconfig(text: text, file: file)
    } catch {
        return [.failure(typedMessage(error))]
    }
    let names: [String?] = [nil] + config.contextNames.map { Optional($0) }
    return names.map { (name: String?) -> Outcome in
        do throws(KubeAPIError) {
            let c = try config.configuration(context: name)
            return .success(.init(server: c.server, tls: c.tls, credentials: c.credentials, namespace: c.namespace))
        } catch {
            return .failure(typedMessage(error))
        }
    }
}

/// Every loader failure is a configuration error (the message names the file).
func typedMessage(_ error: KubeAPIError) -> String {
    guard case .configuration(let message) = error else {
        fatalError("the kubeconfig loader threw a non-configuration error: \(error)")
    }
    return message
}

struct Secret {
    var field: String
    var value: String
    /// The same text also appears where it is not a secret (a name, a server),
    /// so seeing it in a message proves nothing.
    var alsoPublic: Bool
}

/// Tokens, passwords and key data of the file's users, long enough that a match is not chance.
func secretStrings(in text: String) -> [Secret] {
    guard let document = try? YAML.parse(text, limits: YAMLLimits(maxAliasedNodes: 20_000)),
        let users = document["users"]?.arrayValue else { return [] }
    let secretFields: Set<String> = ["token", "password", "client-key-data"]
    var secrets: [Secret] = []
    for user in users {
        guard let body = user["user"]?.objectValue else { continue }
        for (key, value) in body where secretFields.contains(key) {
            if let s = value.stringValue, s.count >= 8 { secrets.append(Secret(field: key, value: s, alsoPublic: false)) }
        }
    }
    var publicStrings: [String] = []
    collectStrings(document, skipping: secretFields, into: &publicStrings)
    for index in secrets.indices {
        secrets[index].alsoPublic = publicStrings.contains { $0.contains(secrets[index].value) }
    }
    return secrets
}

private func collectStrings(_ value: JSON, skipping: Set<String>, into strings: inout [String]) {
    switch value {
    case .string(let s): strings.append(s)
    case .array(let items): for item in items { collectStrings(item, skipping: skipping, into: &strings) }
    case .object(let object):
        for (key, item) in object {
            strings.append(key)
            if !skipping.contains(key) { collectStrings(item, skipping: skipping, into: &strings) }
        }
    default: strings.append(value.serialized())
    }
}

private func fail(_ problem: String, input: String, detail: String) -> Never {
    fatalError("\(problem)\n--- input\n\(input.debugDescription)\n--- detail\n\(detail)")
}
