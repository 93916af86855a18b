import Foundation
import HTTP
import ModelFetch
import ONNXRuntime

/// `warmup --model URI --out DIR`: fetch the model, let ONNX Runtime optimise it and save
/// the result, run it once per batch size, and write a report. `serve --model DIR` then
/// starts from `DIR/model.optimized.onnx`.
public enum Warmup {
    public struct Report: Sendable, Codable {
        public var source: String
        public var onnxRuntimeVersion: String
        public var optimizedModel: String
        public var sessionSeconds: Double
        /// Seconds of the first run at each batch size, in order 1...max.
        public var runSeconds: [Double]
    }

    public enum Failure: Error, CustomStringConvertible {
        case unsupportedSource(String)
        case download(String)

        public var description: String {
            switch self {
            case .unsupportedSource(let s): return "model source '\(s)' must be a path, file://, http(s)://, s3:// or hf:// URI"
            case .download(let s): return s
            }
        }
    }

    public static func run(source: String, outputDirectory: String, maxBatchSize: Int, session: SessionConfiguration,
                           ortLibrary: String?) async throws -> Report {
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let original = "\(outputDirectory)/\(ModelLocation.originalFile)"
        let optimized = "\(outputDirectory)/\(ModelLocation.optimizedFile)"
        try await fetch(source, to: original)
        let runtime = try ORTRuntime.load(locator: LibraryLocator(explicitPath: ortLibrary))
        var configuration = session
        configuration.optimizedModelOutputPath = optimized
        // "extended" keeps the saved graph free of CPU-specific layouts (level "all" adds NCHWc
        // kernels that ONNX Runtime says to use only on the machine that wrote them).
        if configuration.graphOptimization == .all { configuration.graphOptimization = .extended }
        let sessionStart = ContinuousClock.now
        let model = try runtime.makeSession(modelPath: original, configuration: configuration)
        let sessionSeconds = (ContinuousClock.now - sessionStart).seconds
        let sizes = model.info.supportsBatching ? Array(1...max(1, maxBatchSize)) : [1]
        var runSeconds: [Double] = []
        for size in sizes {
            let started = ContinuousClock.now
            _ = try model.run(WarmupInputs.make(for: model.info, batch: size))
            runSeconds.append((ContinuousClock.now - started).seconds)
        }
        let report = Report(source: source, onnxRuntimeVersion: runtime.version, optimizedModel: optimized,
                            sessionSeconds: sessionSeconds, runSeconds: runSeconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: "\(outputDirectory)/warmup.json"))
        return report
    }

    /// Fetches `source` (a path, file://, http(s)://, s3:// or hf://) to `destination`
    /// with `ModelFetcher`: verified, written atomically, and for an S3 prefix
    /// with the other objects under it beside the model. Settings and
    /// credentials come from the environment (`ModelSource.StorageEnvironment`).
    @discardableResult
    public static func fetch(_ source: String, to destination: String,
                             environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> ModelFetcher.Report {
        let url = URL(fileURLWithPath: destination)
        let fetcher = ModelFetcher(environment: environment, userAgent: "inference-server-warmup")
        do {
            return try await fetcher.fetch(source, intoDirectory: url.deletingLastPathComponent().path, modelFileName: url.lastPathComponent)
        } catch {
            throw Failure.download(error.description)
        }
    }
}
