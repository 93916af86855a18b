/// The largest batch `serve` forms, and how it runs its batches: the setting
/// (`--max-batch-size` / `MAX_BATCH_SIZE`), else what `warmup` chose from the
/// model's measurements (its report beside the loaded model, when that is one of
/// warmup's own files, `model.onnx` or `model.optimized.onnx`), else
/// `BatchSizeChoice.fallback`. The report's layout (`RunLayout`: concurrent
/// batches, intra-op threads, and the largest batch of each) applies only when no
/// setting fixes the threads, the concurrent batches or the batch. A report that
/// cannot be read is named in `warning` and ignored: the server still starts.
public enum ServedBatchSize {
    public struct Choice: Sendable, Equatable {
        public var size: Int
        public var source: BatchSizeSource
        /// The throughput `warmup` measured (empty unless the size came from its report).
        public var curve: [BatchThroughput]
        public var warning: String?
        /// The layout to run, when `warmup` chose one and no setting fixes it.
        public var layout: RunLayout? = nil
        /// The layouts `warmup` measured (empty unless the layout came from its report).
        public var layouts: [RunLayout] = []
    }

    /// - Parameter layouts: whether a layout from the report may apply (false once the
    ///   threads are already set up, as after fetching a remote model).
    public static func resolve(_ configuration: ServerConfiguration, modelPath: String, layouts: Bool = true) -> Choice {
        if configuration.maxBatchSizeSource == .setting {
            return Choice(size: configuration.batching.maxBatchSize, source: .setting, curve: [], warning: nil)
        }
        let slash = modelPath.lastIndex(of: "/")
        let directory = slash.map { String(modelPath[..<$0]) } ?? "."
        let file = slash.map { String(modelPath[modelPath.index(after: $0)...]) } ?? modelPath
        // Only warmup's own files in that directory: another model beside a report is not what it measured.
        guard file == ModelLocation.originalFile || file == ModelLocation.optimizedFile else {
            return Choice(size: BatchSizeChoice.fallback, source: .fallback, curve: [], warning: nil)
        }
        var warning: String?
        do {
            if let report = try Warmup.report(inDirectory: directory.isEmpty ? "/" : directory) {
                let path = "\(directory)/\(ModelLocation.reportFile)"
                switch report.maxBatchSize {
                case .some(let size) where BatchSizeChoice.accepted.contains(size):
                    var choice = Choice(size: size, source: report.maxBatchSizeSource ?? .measured,
                                        curve: report.batchThroughput ?? [], warning: nil)
                    if layouts, configuration.runLayoutSource != .setting, let layout = report.runLayout {
                        if let problem = problem(with: layout) {
                            choice.warning = "\(path): runLayout ignored: \(problem)"
                        } else {
                            choice.layout = layout
                            choice.layouts = report.runLayouts ?? []
                            choice.size = layout.maxBatchSize
                        }
                    }
                    return choice
                case .some(let size):
                    warning = "\(path): maxBatchSize \(size) is outside \(BatchSizeChoice.accepted)"
                case .none:
                    warning = "\(path) has no maxBatchSize (written by an older warmup)"
                }
            }
        } catch {
            warning = "\(error)"
        }
        return Choice(size: BatchSizeChoice.fallback, source: .fallback, curve: [], warning: warning)
    }

    /// What makes a report's layout unusable, or nil.
    static func problem(with layout: RunLayout) -> String? {
        if !(1...1024).contains(layout.concurrentBatches) { return "concurrentBatches \(layout.concurrentBatches) is outside 1...1024" }
        if !(1...1024).contains(layout.intraOpThreads) { return "intraOpThreads \(layout.intraOpThreads) is outside 1...1024" }
        if !BatchSizeChoice.accepted.contains(layout.maxBatchSize) {
            return "maxBatchSize \(layout.maxBatchSize) is outside \(BatchSizeChoice.accepted)"
        }
        return nil
    }
}
