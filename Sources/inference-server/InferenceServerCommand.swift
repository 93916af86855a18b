import ArgumentParser

@main
struct InferenceServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference-server",
        abstract: "Model server for ONNX models speaking the Open Inference Protocol (KServe v2) over HTTP.",
        version: ProductVersion.string,
        subcommands: [ServeCommand.self, WarmupCommand.self]
    )
}
