/// A command-line setting that can also come from an environment variable.
public protocol NamedSetting: Hashable, Sendable {
    /// The kebab-case flag, without the dashes.
    var flagName: String { get }
    var environmentVariable: String { get }
}

extension NamedSetting where Self: RawRepresentable, RawValue == String {
    /// maxQueueDelayMs -> max-queue-delay-ms.
    public var flagName: String {
        rawValue.reduce(into: "") { result, char in
            if char.isUppercase { result += "-" + char.lowercased() } else { result.append(char) }
        }
    }
}

/// A setting that is missing or does not parse, named by flag and variable.
public enum SettingError<S: NamedSetting>: Error, Equatable, CustomStringConvertible {
    case missing(S)
    case invalid(S, String)

    public var description: String {
        switch self {
        case .missing(let s): return "--\(s.flagName) (or \(s.environmentVariable)) is required"
        case .invalid(let s, let value): return "invalid value '\(value)' for --\(s.flagName) / \(s.environmentVariable)"
        }
    }
}

/// Reads settings from flags first, then environment variables; empty values count as unset.
struct SettingLookup<S: NamedSetting> {
    let flags: [S: String]
    let environment: [String: String]

    func string(_ setting: S) -> String? {
        if let flag = flags[setting], !flag.isEmpty { return flag }
        if let env = environment[setting.environmentVariable], !env.isEmpty { return env }
        return nil
    }

    func required(_ setting: S) throws(SettingError<S>) -> String {
        guard let value = string(setting) else { throw .missing(setting) }
        return value
    }

    func int(_ setting: S, min: Int, max: Int = .max) throws(SettingError<S>) -> Int? {
        guard let raw = string(setting) else { return nil }
        guard let number = Int(raw), number >= min, number <= max else { throw .invalid(setting, raw) }
        return number
    }

    /// 1/true/yes or 0/false/no, any case.
    func bool(_ setting: S) throws(SettingError<S>) -> Bool? {
        guard let raw = string(setting) else { return nil }
        switch raw.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw .invalid(setting, raw)
        }
    }
}
