import ArgumentParser
import DecimalText
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import InferenceServer
import ONNXRuntime

/// `inference-server warmup`: fetch, optimise, run once per batch size, save for `serve`.
/// Every option can also come from the environment variable named in its help.
struct WarmupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warmup",
        abstract: "Fetch a model (path, file:// or http(s)://), save ONNX Runtime's optimised graph, and run it once per batch size.",
        discussion: """
            Writes DIR/model.onnx, DIR/model.optimized.onnx and DIR/warmup.json; `serve --model DIR` starts from the optimised file. \
            Flags win over environment variables, which win over defaults.
            """)

    @Option(help: help(.model, "Model path or URI.", default: "required"))
    var model: String?
    @Option(help: help(.out, "Output directory.", default: "required"))
    var out: String?
    @Option(help: help(.maxBatchSize, "Run batch sizes 1...N once each; serve then uses N, as its --max-batch-size (nothing is measured).",
                       default: "unset = measure throughput at batch sizes 1, 2, 4 ... 32 and choose the smallest within 2% of the best"))
    var maxBatchSize: String?
    @Option(help: help(.probeDimensions, "Sizes of each input's dynamic dimensions after the batch while measuring, comma-separated, the last repeating (a sequence length: 16; an image: 48,192).",
                       default: "16"))
    var probeDimensions: String?
    @Option(help: help(.intraOpThreads, "ONNX Runtime threads inside an operator.", default: "0 = one per core"))
    var intraOpThreads: String?
    @Option(help: help(.ortLibrary, "Path of libonnxruntime.so.", default: "venv wheel, then system paths"))
    var ortLibrary: String?
    @Option(help: help(.terminationMessage, "Also write the batcher serve will run, one JSON object, to this file (a container's terminationMessagePath, where the operator reads it).",
                       default: "none"))
    var terminationMessage: String?
    @Flag(help: help(.fetchOnly, "Only fetch the model to DIR/model.onnx (pods whose warm fingerprint is already recorded).",
                     default: "false"))
    var fetchOnly = false

    static func help(_ setting: WarmupConfiguration.Setting, _ text: String, default value: String) -> ArgumentHelp {
        ArgumentHelp("\(text) (env: \(setting.environmentVariable); default: \(value))")
    }

    func run() async throws {
        var flags: [WarmupConfiguration.Setting: String] = [:]
        flags[.model] = model
        flags[.out] = out
        flags[.maxBatchSize] = maxBatchSize
        flags[.intraOpThreads] = intraOpThreads
        flags[.ortLibrary] = ortLibrary
        flags[.fetchOnly] = fetchOnly ? "true" : nil
        flags[.probeDimensions] = probeDimensions
        flags[.terminationMessage] = terminationMessage
        let config: WarmupConfiguration
        do {
            config = try WarmupConfiguration.resolve(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        if config.fetchOnly {
            try FileManager.default.createDirectory(atPath: config.outputDirectory, withIntermediateDirectories: true)
            let fetched = try await Warmup.fetch(config.model, to: config.outputDirectory + "/model.onnx")
            print("warmup: fetched \(fetched.source) to \(config.outputDirectory)/model.onnx (\(fetched.bytes) bytes, credentials: \(fetched.credentials))")
            return
        }
        let report = try await Warmup.run(source: config.model, outputDirectory: config.outputDirectory,
                                          maxBatchSize: config.maxBatchSize, session: config.session, ortLibrary: config.ortLibrary,
                                          probe: config.probe)
        print("warmup: optimised model \(report.optimizedModel); session \(formatFixed(report.sessionSeconds, 3)) s; "
              + "first runs (batch 1...\(report.runSeconds.count)): "
              + report.runSeconds.map { formatFixed($0, 3) }.joined(separator: " ") + " s")
        if let curve = report.batchThroughput, !curve.isEmpty, let chosen = report.maxBatchSize {
            print("warmup: items/s by batch size (other dynamic dimensions \(config.probe.dynamicDimensions.map(String.init).joined(separator: ","))): "
                  + curve.map { "\($0.batchSize)=\(formatFixed($0.itemsPerSecond, 1))" }.joined(separator: " ")
                  + "; max batch size \(chosen) (\(report.maxBatchSizeSource == .setting ? "set" : "the smallest within 2% of the best"))")
        }
        if let layouts = report.runLayouts, let chosen = report.runLayout {
            let describe = { (l: RunLayout) in "\(l.concurrentBatches) x batch \(l.maxBatchSize) on \(l.intraOpThreads) thread(s)" }
            print("warmup: layouts: " + layouts.map { "\(describe($0)) = \(formatFixed($0.itemsPerSecond, 1)) items/s" }.joined(separator: "; ")
                  + "; serve runs \(describe(chosen)) (the fewest batches at once within 5% of the best)")
        }
        if let path = config.terminationMessagePath { Self.writeTerminationMessage(report, to: path) }
    }

    /// A message that cannot be written costs the operator its reading, not the pod
    /// its model: the warning names the file and the init container still succeeds.
    static func writeTerminationMessage(_ report: Warmup.Report, to path: String) {
        guard let message = Warmup.terminationMessage(report) else {
            print("warmup: warning: no batch size to report in \(path)")
            return
        }
        if FileManager.default.createFile(atPath: path, contents: Data((message + "\n").utf8)) {
            print("warmup: reported \(message) in \(path)")
        } else {
            print("warmup: warning: could not write the batcher to \(path)")
        }
    }
}
