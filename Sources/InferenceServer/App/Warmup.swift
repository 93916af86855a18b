#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import HTTP
import ModelFetch
import NIOCore
import ONNXRuntime
import Synchronization

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
        /// Items per second at each measured batch size (best of two passes); nil in
        /// reports written before the measurement existed, empty without batching.
        public var batchThroughput: [BatchThroughput]?
        /// The largest batch `serve` forms when nothing sets it, and why.
        public var maxBatchSize: Int?
        public var maxBatchSizeSource: BatchSizeSource?
        /// What the measurement gave the model's other dynamic dimensions.
        public var probeDynamicDimensions: [Int]?
        /// The layouts measured at the chosen batch size (`RunLayoutChoice.candidates`); nil in
        /// reports written before they were, and when the setting fixed the threads or the batch.
        public var runLayouts: [RunLayout]?
        /// The layout `serve` runs when no setting fixes it: concurrent batches, intra-op threads
        /// and the largest batch of each (which then replaces `maxBatchSize`).
        public var runLayout: RunLayout?
    }

    /// The batcher `serve` runs from this report when nothing sets it, as one
    /// JSON object for a container's termination message (Kubernetes keeps at
    /// most 4096 bytes; this is under 200): `maxBatchSize` (of each concurrent
    /// batch), and with a chosen layout `concurrentBatches` and `intraOpThreads`,
    /// then `source`. Nil without a usable batch size (nothing to report).
    public static func terminationMessage(_ report: Report) -> String? {
        if let layout = report.runLayout, ServedBatchSize.problem(with: layout) == nil {
            return "{\"maxBatchSize\":\(layout.maxBatchSize),\"concurrentBatches\":\(layout.concurrentBatches),"
                + "\"intraOpThreads\":\(layout.intraOpThreads),\"source\":\"\((report.maxBatchSizeSource ?? .measured).rawValue)\"}"
        }
        guard let size = report.maxBatchSize, BatchSizeChoice.accepted.contains(size) else { return nil }
        return "{\"maxBatchSize\":\(size),\"source\":\"\((report.maxBatchSizeSource ?? .measured).rawValue)\"}"
    }

    /// How the throughput curve is measured.
    public struct Probe: Sendable, Equatable {
        /// Sizes of each input's dynamic dimensions after the batch, in order, the last one
        /// repeating: a sequence length ([16]), an image's height and width ([48, 192]).
        public var dynamicDimensions = [16]
        /// Timed runs per batch size and pass last at least this long (and at least two runs).
        public var secondsPerSize = 0.5

        public init(dynamicDimensions: [Int] = [16], secondsPerSize: Double = 0.5) {
            self.dynamicDimensions = dynamicDimensions
            self.secondsPerSize = secondsPerSize
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case unsupportedSource(String)
        case download(String)
        case report(String)

        public var description: String {
            switch self {
            case .report(let s): return s
            case .unsupportedSource(let s): return "model source '\(s)' must be a path, file://, http(s)://, s3:// or hf:// URI"
            case .download(let s): return s
            }
        }
    }

    /// - Parameter maxBatchSize: nil measures batch sizes up to `BatchSizeChoice.searchLimit`
    ///   and chooses; a number is what `serve` will use (recorded as the setting, not measured).
    /// - Parameter cores: what the layouts are measured on (nil: the cores this process may use).
    ///   Measured only when `session` leaves the intra-op threads to ONNX Runtime (0).
    public static func run(source: String, outputDirectory: String, maxBatchSize: Int?, session: SessionConfiguration,
                           ortLibrary: String?, probe: Probe = Probe(), cores: Int? = nil) async throws -> Report {
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
        let limit = model.info.supportsBatching ? max(1, maxBatchSize ?? BatchSizeChoice.searchLimit) : 1
        var runSeconds: [Double] = []
        for size in 1...limit {
            let started = ContinuousClock.now
            _ = try model.run(WarmupInputs.make(for: model.info, batch: size))
            runSeconds.append((ContinuousClock.now - started).seconds)
        }
        var curve: [BatchThroughput] = []
        var layouts: [RunLayout]?
        var layout: RunLayout?
        var chosen = 1
        var chosenBy = BatchSizeSource.measured
        if let maxBatchSize, model.info.supportsBatching {
            // Set: nothing to choose, so nothing is measured (a pod's start pays for no probe).
            chosen = maxBatchSize
            chosenBy = .setting
        } else if model.info.supportsBatching {
            // Measured as `serve` will run it: the saved model, loaded with the serving
            // configuration (level "all" adds the CPU layouts that matter for convolutions).
            let served = try runtime.makeSession(modelPath: optimized, configuration: session)
            curve = try measureThroughput(served, sizes: BatchSizeChoice.candidates(upTo: limit), probe: probe)
            chosen = BatchSizeChoice.choose(curve) ?? BatchSizeChoice.fallback
            if session.intraOpThreads == 0 {
                let candidates = RunLayoutChoice.candidates(cores: cores ?? System.coreCount, batchSize: chosen)
                if candidates.count > 1 {
                    var oneThread = session
                    oneThread.intraOpThreads = 1
                    let single = try runtime.makeSession(modelPath: optimized, configuration: oneThread)
                    let measured = try measureLayouts(candidates, probe: probe) { $0.intraOpThreads == 1 ? single : served }
                    layouts = measured
                    layout = RunLayoutChoice.choose(measured)
                }
            }
        }
        let report = Report(source: source, onnxRuntimeVersion: runtime.version, optimizedModel: optimized,
                            sessionSeconds: sessionSeconds, runSeconds: runSeconds, batchThroughput: curve,
                            maxBatchSize: chosen, maxBatchSizeSource: chosenBy,
                            probeDynamicDimensions: probe.dynamicDimensions, runLayouts: layouts, runLayout: layout)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: "\(outputDirectory)/\(ModelLocation.reportFile)"))
        return report
    }

    /// Items per second at each batch size, one batch at a time on `model`: `measureLayouts`,
    /// ascending then descending, so drift during the measurement favours neither end of the curve.
    static func measureThroughput(_ model: ORTSession, sizes: [Int], probe: Probe) throws -> [BatchThroughput] {
        let layouts = sizes.map { RunLayout(concurrentBatches: 1, intraOpThreads: 0, maxBatchSize: $0) }
        return try measureLayouts(layouts, probe: probe) { _ in model }
            .map { BatchThroughput(batchSize: $0.maxBatchSize, itemsPerSecond: $0.itemsPerSecond) }
    }

    /// Items per second of each layout: after one untimed run (allocation and planning for
    /// that shape), its batches run at once, each on its own thread looping over the session,
    /// for at least `probe.secondsPerSize` (and two runs each); two passes in opposite orders,
    /// so a machine that speeds up or slows down favours neither end; the better pass counts.
    static func measureLayouts(_ layouts: [RunLayout], probe: Probe, session: (RunLayout) -> ORTSession) throws -> [RunLayout] {
        var best = Array(repeating: 0.0, count: layouts.count)
        let order = Array(layouts.indices)
        for pass in [order, order.reversed()] {
            for index in pass {
                let layout = layouts[index]
                let model = session(layout)
                let inputs = WarmupInputs.make(for: model.info, batch: layout.maxBatchSize, dynamicDimensions: probe.dynamicDimensions)
                _ = try model.run(inputs)
                let outcome = Mutex<(runs: Int, failure: (any Error)?)>((0, nil))
                let started = ContinuousClock.now
                DispatchQueue.concurrentPerform(iterations: layout.concurrentBatches) { _ in
                    var runs = 0
                    do {
                        repeat {
                            _ = try model.run(inputs)
                            runs += 1
                        } while (ContinuousClock.now - started).seconds < probe.secondsPerSize || runs < 2
                    } catch {
                        outcome.withLock { $0.failure = error }
                    }
                    outcome.withLock { $0.runs += runs }
                }
                let elapsed = (ContinuousClock.now - started).seconds
                let (runs, failure) = outcome.withLock { ($0.runs, $0.failure) }
                if let failure { throw failure }
                best[index] = max(best[index], Double(layout.maxBatchSize * runs) / elapsed)
            }
        }
        return zip(layouts, best).map { layout, rate in
            var measured = layout
            measured.itemsPerSecond = rate
            return measured
        }
    }

    /// The report `warmup` left in `directory`; nil when there is none.
    /// - Throws: `Failure.report` when the file is there but cannot be read as a report.
    public static func report(inDirectory directory: String) throws -> Report? {
        let path = "\(directory)/\(ModelLocation.reportFile)"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw Failure.report("\(path) is not a warmup report: \(error)")
        }
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
