import InferenceProtocol
import Locking

/// The served model and whether it can take requests. Readiness is true only after
/// the model loaded and warmed, and false again once draining starts.
public final class ModelRegistry: Sendable {
    public enum Phase: Sendable {
        case loading
        case ready(ModelRunner)
        case failed(String)
        case draining(ModelRunner)
    }

    public let modelName: String
    public let modelVersion: String
    private let phase: Locked<Phase>

    public init(modelName: String, modelVersion: String = "1") {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.phase = Locked(.loading)
    }

    public var current: Phase { phase.withLock { $0 } }

    public var isReady: Bool {
        if case .ready = current { return true }
        return false
    }

    public func markReady(_ runner: ModelRunner) { phase.withLock { $0 = .ready(runner) } }
    public func markFailed(_ reason: String) { phase.withLock { $0 = .failed(reason) } }

    /// Readiness goes false, and requests that still arrive are served: load
    /// balancers learn of the removal some time after SIGTERM (the drain delay
    /// is that time), and a request they send meanwhile must not fail. The
    /// listener closes when the delay is over.
    public func startDraining() {
        phase.withLock { phase in
            if case .ready(let runner) = phase { phase = .draining(runner) }
        }
    }

    /// The runner for a model name from a URL, or the error the v2 protocol prescribes.
    public func runner(named name: String) throws(InferenceError) -> ModelRunner {
        guard name == modelName else { throw .modelNotFound(name) }
        switch current {
        case .ready(let runner), .draining(let runner): return runner
        case .loading: throw .notReady("model '\(name)' is still loading")
        case .failed(let reason): throw .notReady("model '\(name)' failed to load: \(reason)")
        }
    }

    /// The runner whatever the phase, for metadata (known once loaded).
    public func loadedRunner(named name: String) throws(InferenceError) -> ModelRunner {
        guard name == modelName else { throw .modelNotFound(name) }
        switch current {
        case .ready(let runner), .draining(let runner): return runner
        case .loading: throw .notReady("model '\(name)' is still loading")
        case .failed(let reason): throw .notReady("model '\(name)' failed to load: \(reason)")
        }
    }
}
