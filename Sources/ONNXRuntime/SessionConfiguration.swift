/// How a session is created. Defaults follow ONNX Runtime's own (all graph
/// optimisations, thread counts chosen by the runtime).
public struct SessionConfiguration: Sendable, Equatable {
    public enum GraphOptimization: String, Sendable, CaseIterable {
        case disabled = "disable"
        case basic
        case extended
        case all
    }

    public var graphOptimization: GraphOptimization = .all
    /// Threads used inside one operator; 0 lets ONNX Runtime pick (one per core).
    public var intraOpThreads: Int = 0
    /// Threads used across independent operators; 0 lets ONNX Runtime pick.
    public var interOpThreads: Int = 0
    /// Whether idle intra-op threads spin (busy-wait) for the next piece of work: ONNX Runtime's
    /// default (`session.intra_op.allow_spinning` = 1). Turning it off gives the cores back to
    /// the HTTP threads between batches when the server shares a few cores.
    public var intraOpSpinning: Bool = true
    /// Try the CUDA execution provider first; falls back to CPU when the library lacks it.
    public var preferCUDA: Bool = false
    /// CUDA device ordinal used when `preferCUDA` is on.
    public var cudaDevice: Int = 0
    /// Where ONNX Runtime writes the graph after optimisation (used by `warmup`).
    public var optimizedModelOutputPath: String?

    public init() {}
}
