import ArgumentParser

@main
struct InferenceOperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference-operator",
        abstract: "Kubernetes operator that deploys and autoscales inference servers for InferenceService objects.",
        version: ProductVersion.string,
        subcommands: [RunCommand.self, CRDCommand.self, SimulateCommand.self]
    )
}
