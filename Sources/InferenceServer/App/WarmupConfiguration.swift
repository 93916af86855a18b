import ONNXRuntime

/// Everything `warmup` needs, from flags (first) and environment variables
/// (second), as `serve` resolves its own. The shared settings use serve's
/// variable names, so one pod environment configures the init container and
/// the server alike.
public struct WarmupConfiguration: Sendable, Equatable {
    public enum Setting: String, CaseIterable, Sendable {
        case model, out, maxBatchSize, intraOpThreads, ortLibrary, fetchOnly

        public var environmentVariable: String {
            switch self {
            case .model: return "MODEL"
            case .out: return "WARMUP_OUT"
            case .maxBatchSize: return "MAX_BATCH_SIZE"
            case .intraOpThreads: return "INTRA_OP_THREADS"
            case .ortLibrary: return "ORT_LIBRARY"
            case .fetchOnly: return "WARMUP_FETCH_ONLY"
            }
        }

        public var flagName: String {
            rawValue.reduce(into: "") { result, char in
                if char.isUppercase { result += "-" + char.lowercased() } else { result.append(char) }
            }
        }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case missing(Setting)
        case invalid(Setting, String)

        public var description: String {
            switch self {
            case .missing(let s): return "--\(s.flagName) (or \(s.environmentVariable)) is required"
            case .invalid(let s, let value): return "invalid value '\(value)' for --\(s.flagName) / \(s.environmentVariable)"
            }
        }
    }

    public var model: String
    public var outputDirectory: String
    /// Batch sizes 1...N are run once each (as serve's --max-batch-size).
    public var maxBatchSize = 8
    public var session = SessionConfiguration()
    public var ortLibrary: String?
    /// Only fetch the model (pods whose warm fingerprint is already recorded).
    public var fetchOnly = false

    public static func resolve(flags: [Setting: String], environment: [String: String]) throws(Failure) -> WarmupConfiguration {
        func value(_ setting: Setting) -> String? {
            if let flag = flags[setting], !flag.isEmpty { return flag }
            if let env = environment[setting.environmentVariable], !env.isEmpty { return env }
            return nil
        }
        func int(_ setting: Setting, min: Int) throws(Failure) -> Int? {
            guard let raw = value(setting) else { return nil }
            guard let number = Int(raw), number >= min else { throw .invalid(setting, raw) }
            return number
        }
        guard let model = value(.model) else { throw .missing(.model) }
        guard let out = value(.out) else { throw .missing(.out) }
        var config = WarmupConfiguration(model: model, outputDirectory: out)
        if let n = try int(.maxBatchSize, min: 1) { config.maxBatchSize = n }
        if let n = try int(.intraOpThreads, min: 0) { config.session.intraOpThreads = n }
        config.ortLibrary = value(.ortLibrary)
        if let raw = value(.fetchOnly) {
            switch raw.lowercased() {
            case "1", "true", "yes": config.fetchOnly = true
            case "0", "false", "no": config.fetchOnly = false
            default: throw .invalid(.fetchOnly, raw)
            }
        }
        return config
    }
}
