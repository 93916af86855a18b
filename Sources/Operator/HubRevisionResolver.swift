#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming
import JSONValue
import KubeAPI
import KubeClient
import Locking
import ModelFetch
import Rendering
import ServingAPI

/// Asks the Hub which commit an `hf://` model's revision points at now, with
/// the object's storage endpoint and the token from its credentials Secret
/// (`get` on secrets, the RBAC the Prometheus credentials already use). The
/// request is the HEAD a fetch starts with (`ModelFetcher.hubCommit`). A
/// failure is remembered for `retryAfter` so that a Hub that is down does not
/// hold a reconcile worker on every reconcile; the object is asked for again after it.
public final class HubRevisionResolver: Sendable {
    public typealias ReadSecret = @Sendable (_ namespace: String, _ name: String) async throws(KubeAPIError) -> JSON
    public typealias AskHub = @Sendable (_ uri: String, _ environment: [String: String]) async throws(ModelFetchError) -> String?

    let readSecret: ReadSecret
    let askHub: AskHub
    let retryAfter: Double
    let now: @Sendable () -> Double
    private let failures = Locked<[String: (message: String, at: Double)]>([:])

    public init(readSecret: @escaping ReadSecret,
                askHub: @escaping AskHub = { uri, environment throws(ModelFetchError) in
                    try await ModelFetcher(environment: environment, userAgent: "inference-operator").hubCommit(uri)
                },
                retryAfter: Double = 60, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.readSecret = readSecret
        self.askHub = askHub
        self.retryAfter = retryAfter
        self.now = now
    }

    public convenience init(client: KubeClient) {
        self.init(readSecret: { (namespace: String, name: String) async throws(KubeAPIError) -> JSON in
            try await client.get(.secrets, name: name, namespace: namespace)
        })
    }

    /// The commit, or why there is none (a message without the token).
    func resolve(uri: String, storage: ModelStorageSpec?, namespace: String) async -> Result<String, ResolveProblem> {
        let key = "\(namespace) \(uri) \(storage?.endpoint ?? "") \(storage?.credentialsSecretRef?.name ?? "")"
        let time = now()
        if let failed = failures.withLock({ $0[key] }), time - failed.at < retryAfter, time >= failed.at {
            return .failure(ResolveProblem(message: failed.message, repeated: true))
        }
        let result = await ask(uri: uri, storage: storage, namespace: namespace)
        failures.withLock { failures in
            if case .failure(let problem) = result { failures[key] = (problem.message, time) } else { failures[key] = nil }
        }
        return result
    }

    private func ask(uri: String, storage: ModelStorageSpec?, namespace: String) async -> Result<String, ResolveProblem> {
        var environment: [String: String] = [:]
        if let endpoint = storage?.endpoint { environment["MODEL_STORAGE_ENDPOINT"] = endpoint }
        if let name = storage?.credentialsSecretRef?.name {
            let secret: JSON
            do throws(KubeAPIError) {
                secret = try await readSecret(namespace, name)
            } catch {
                let why = error.isNotFound ? "not found" : "unreadable (\(String(describing: error).prefix(200)))"
                return .failure(ResolveProblem(message: "Secret \(namespace)/\(name) \(why)"))
            }
            guard let encoded = secret[path: "data", StorageVariables.hubTokenKey]?.stringValue,
                  let decoded = Data(base64Encoded: encoded), let token = String(data: decoded, encoding: .utf8) else {
                return .failure(ResolveProblem(message: "Secret \(namespace)/\(name) has no '\(StorageVariables.hubTokenKey)' key"))
            }
            environment["HF_TOKEN"] = token.trimmingWhitespace()
        }
        do throws(ModelFetchError) {
            guard let commit = try await askHub(uri, environment) else {
                return .failure(ResolveProblem(message: "the Hub named no commit (X-Repo-Commit) for \(uri)"))
            }
            return .success(commit)
        } catch {
            return .failure(ResolveProblem(message: error.description))
        }
    }

    struct ResolveProblem: Error, Equatable {
        var message: String
        /// The remembered answer of an earlier attempt (not asked again yet).
        var repeated = false
    }
}
