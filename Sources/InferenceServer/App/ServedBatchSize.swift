/// The largest batch `serve` forms: the setting (`--max-batch-size` /
/// `MAX_BATCH_SIZE`), else the size `warmup` chose from the model's measured
/// throughput (its report beside the loaded model file), else
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
        let directory = modelPath.lastIndex(of: "/").map { String(modelPath[..<$0]) } ?? "."
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
