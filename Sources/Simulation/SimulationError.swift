/// Why a simulation could not run, naming the file, line or option at fault.
public enum SimulationError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadableTrace(path: String, reason: String)
    case invalidTrace(path: String, line: Int, reason: String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case .unreadableTrace(let path, let reason): return "cannot read trace \(path): \(reason)"
        case .invalidTrace(let path, let line, let reason): return "\(path):\(line): \(reason)"
        case .invalidOption(let message): return message
        }
    }
}
