import ArgumentParser
import Foundation
import InferenceServer
import ONNXRuntime

/// `inference-server warmup`: fetch, optimise, run once per batch size, save for `serve`.
struct WarmupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warmup",
        abstract: "Fetch a model (path, file:// or http(s)://), save ONNX Runtime's optimised graph, and run it once per batch size.",
        discussion: "Writes DIR/model.onnx, DIR/model.optimized.onnx and DIR/warmup.json; `serve --model DIR` starts from the optimised file.")

    @Option(help: "Model path or URI.")
    var model: String
    @Option(help: "Output directory.")
    var out: String
    @Option(help: "Run batch sizes 1...N (default 8, as serve's --max-batch-size).")
    var maxBatchSize: Int = 8
    @Option(help: "ONNX Runtime threads inside an operator (0 = one per core).")
    var intraOpThreads: Int = 0
    @Option(help: "Path of libonnxruntime.so (env: ORT_LIBRARY).")
    var ortLibrary: String?
    @Flag(help: "Only fetch the model to DIR/model.onnx (pods whose warm fingerprint is already recorded).")
    var fetchOnly = false

    func run() async throws {
        guard maxBatchSize >= 1 else { throw ValidationError("--max-batch-size must be at least 1") }
        if fetchOnly {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try await Warmup.fetch(model, to: out + "/model.onnx")
            print("warmup: fetched \(model) to \(out)/model.onnx")
            return
        }
        var session = SessionConfiguration()
        session.intraOpThreads = intraOpThreads
        let report = try await Warmup.run(source: model, outputDirectory: out, maxBatchSize: maxBatchSize,
                                          session: session, ortLibrary: ortLibrary)
        print("warmup: optimised model \(report.optimizedModel); session \(String(format: "%.3f", report.sessionSeconds)) s; "
              + "first runs (batch 1...\(report.runSeconds.count)): "
              + report.runSeconds.map { String(format: "%.3f", $0) }.joined(separator: " ") + " s")
    }
}
