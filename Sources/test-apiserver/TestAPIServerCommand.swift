import ArgumentParser
import Foundation
import TestAPIServer

@main
struct TestAPIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-apiserver",
        abstract: "An in-memory Kubernetes API server for tests and demos (HTTP on 127.0.0.1).",
        subcommands: [Serve.self, Bench.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve until interrupted.")

    @Option(help: "Port on 127.0.0.1 (0 picks a free one).") var port: Int = 0
    @Option(help: "Keep only this many watch events; older resourceVersions answer 410 Gone.") var compaction: Int?
    @Option(help: "Bearer token as TOKEN=USER[:GROUP1,GROUP2] (repeatable); enables authentication.") var token: [String] = []
    @Flag(help: "Check requests against stored Roles/ClusterRoles and bindings.") var rbac = false
    @Flag(help: "With --token: requests without a token are the admin (kubectl and helm send none over plain HTTP).") var anonymousAdmin = false
    @Option(help: "Seconds between watch bookmarks.") var bookmarkSeconds: Int = 5
    @Option(help: "Write the bound port to this file once listening.") var portFile: String?
    @Option(help: "Write a kubeconfig for this server to this file once listening.") var kubeconfig: String?
    @Flag(help: "Report Deployments' desired replicas in their status after every write (no pods exist).") var simulateDeployments = false
    @Option(help: "With --simulate-deployments: seconds before new replicas count as ready.") var readyDelaySeconds: Double = 0
    @Option(help: "Kubernetes release to answer as (1.23 or later, e.g. 1.28): CRD fields newer than it are unknown, /version reports it.")
    var kubernetesVersion: String = KubernetesVersion.default.description
    @Option(help: "Enforce CRD validation rules (CEL) or not, whatever the release's default (on from 1.25).")
    var celValidation: Bool?
    @Option(help: "Seconds a deleted namespace stays Terminating, its objects still there, before they and it go (0: at once).")
    var namespaceDeletionSeconds: Double = 0

    func run() async throws {
        var configuration = TestAPIServer.Configuration()
        configuration.port = port
        if let compaction, compaction <= 0 { throw ValidationError("--compaction must be a positive number of events") }
        configuration.cluster.historyLimit = compaction
        configuration.cluster.simulateDeployments = simulateDeployments
        guard readyDelaySeconds >= 0 else { throw ValidationError("--ready-delay-seconds must not be negative") }
        configuration.cluster.deploymentReadyDelay = readyDelaySeconds
        guard let release = KubernetesVersion(kubernetesVersion), release >= KubernetesVersion(1, 23) else {
            throw ValidationError("--kubernetes-version must be a release such as 1.28 (1.23 or later), got \"\(kubernetesVersion)\"")
        }
        configuration.cluster.kubernetesVersion = release
        configuration.cluster.validationRulesGate = celValidation
        guard namespaceDeletionSeconds >= 0 else { throw ValidationError("--namespace-deletion-seconds must not be negative") }
        configuration.cluster.namespaceDeletionDelay = namespaceDeletionSeconds
        configuration.bookmarkInterval = .seconds(Int64(bookmarkSeconds))
        var tokens: [String: UserInfo] = [:]
        for spec in token {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--token must look like TOKEN=USER[:GROUP,...], got \"\(spec)\"")
            }
            let userParts = parts[1].split(separator: ":", maxSplits: 1).map(String.init)
            let groups = userParts.count > 1 ? userParts[1].split(separator: ",").map(String.init) : []
            tokens[parts[0]] = UserInfo(name: userParts[0], groups: groups)
        }
        configuration.access = AccessControl(tokens: tokens, rbacEnabled: rbac, anonymous: anonymousAdmin ? .admin : nil)
        let server = TestAPIServer(configuration: configuration)
        let bound = try await server.start()
        if let portFile { try String(bound).write(toFile: portFile, atomically: true, encoding: .utf8) }
        if let kubeconfig { try server.writeKubeconfig(to: kubeconfig) }
        FileHandle.standardOutput.write(Data("test-apiserver listening on \(server.baseURL)\n".utf8))
        while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
    }
}
