import ArgumentParser

/// Placeholder replaced below once warmup lands.
struct WarmupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "warmup", abstract: "Not available yet.")
    func run() async throws { throw ValidationError("warmup is not implemented yet") }
}
