import ONNXRuntime

/// Everything `warmup` needs, from flags (first) and environment variables
/// (second), as `serve` resolves its own. The shared settings use serve's
/// variable names, so one pod environment configures the init container and
/// the server alike.
public struct WarmupConfiguration: Sendable, Equatable {
    public enum Setting: String, CaseIterable, NamedSetting {
        case model, out, maxBatchSize, intraOpThreads, ortLibrary, fetchOnly, probeDimensions, terminationMessage

        public var environmentVariable: String {
            switch self {
            case .model: return "MODEL"
            case .out: return "WARMUP_OUT"
            case .maxBatchSize: return "MAX_BATCH_SIZE"
            case .intraOpThreads: return "INTRA_OP_THREADS"
            case .ortLibrary: return "ORT_LIBRARY"
            case .fetchOnly: return "WARMUP_FETCH_ONLY"
            case .probeDimensions: return "WARMUP_PROBE_DIMENSIONS"
            case .terminationMessage: return "WARMUP_TERMINATION_MESSAGE"
            }
        }
    }

    public typealias Failure = SettingError<Setting>

    public var model: String
    public var outputDirectory: String
    /// Batch sizes 1...N are run once each, and `serve` uses N (as its --max-batch-size).
    /// nil: measure up to `BatchSizeChoice.searchLimit` and choose (`BatchSizeChoice`).
    public var maxBatchSize: Int?
    /// How the batch throughput is measured (the size of other dynamic dimensions).
    public var probe = Warmup.Probe()
    public var session = SessionConfiguration()
    public var ortLibrary: String?
    /// Only fetch the model (pods whose warm fingerprint is already recorded).
    public var fetchOnly = false
    /// Where to write the batcher `serve` will run (`Warmup.terminationMessage`):
    /// the container's `terminationMessagePath`, which the operator reads from pod status.
    public var terminationMessagePath: String?

    public static func resolve(flags: [Setting: String], environment: [String: String]) throws(Failure) -> WarmupConfiguration {
        let settings = SettingLookup(flags: flags, environment: environment)
        var config = WarmupConfiguration(model: try settings.required(.model), outputDirectory: try settings.required(.out))
        if let n = try settings.int(.maxBatchSize, min: 1) { config.maxBatchSize = n }
        if let n = try settings.int(.intraOpThreads, min: 0) { config.session.intraOpThreads = n }
        config.ortLibrary = settings.string(.ortLibrary)
        if let fetchOnly = try settings.bool(.fetchOnly) { config.fetchOnly = fetchOnly }
        config.terminationMessagePath = settings.string(.terminationMessage)
        if let raw = settings.string(.probeDimensions) {
            let sizes = raw.split(separator: ",", omittingEmptySubsequences: false).map { Int(String($0.filter { !$0.isWhitespace })) }
            guard !sizes.isEmpty, sizes.allSatisfy({ $0.map { (1...65536).contains($0) } ?? false }) else {
                throw .invalid(.probeDimensions, raw)
            }
            config.probe.dynamicDimensions = sizes.compactMap { $0 }
        }
        return config
    }
}
