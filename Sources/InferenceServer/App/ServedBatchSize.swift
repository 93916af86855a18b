/// The largest batch `serve` forms: the setting (`--max-batch-size` /
/// `MAX_BATCH_SIZE`), else the size `warmup` chose from the model's measured
/// throughput (its report beside the loaded model, when that is one of
/// warmup's own files, `model.onnx` or `model.optimized.onnx`), else
/// `BatchSizeChoice.fallback`. A report that cannot be read is named in
/// `warning` and ignored: the server still starts.
public enum ServedBatchSize {
    public struct Choice: Sendable, Equatable {
        public var size: Int
        public var source: BatchSizeSource
        /// The throughput `warmup` measured (empty unless the size came from its report).
        public var curve: [BatchThroughput]
        public var warning: String?
    }

    public static func resolve(_ configuration: ServerConfiguration, modelPath: String) -> Choice {
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
                    return Choice(size: size, source: report.maxBatchSizeSource ?? .measured,
                                  curve: report.batchThroughput ?? [], warning: nil)
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
}
