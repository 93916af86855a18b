/// How one canary run proceeds: the candidate's traffic share at each step,
/// how long a step must stay healthy, and what healthy means. Built from
/// `spec.canary` with its defaults applied (the operator's `CanaryMapping`).
public struct CanaryPlan: Sendable, Hashable {
    /// The candidate's share of traffic at each step, in percent: ascending, each in 1...100, the last 100.
    public var steps: [Int]
    /// Healthy time each step needs (with its traffic in effect and the analysis not failing) before the next one.
    public var stepSeconds: Double
    /// How long the candidate may take to carry a step's traffic (its replicas ready) before the run is rolled back.
    public var progressDeadlineSeconds: Double
    public var analysis: CanaryAnalysis
    /// Holds the run at its current step: the weight stays, the step's clock stops.
    public var paused: Bool

    public init(steps: [Int], stepSeconds: Double, progressDeadlineSeconds: Double, analysis: CanaryAnalysis, paused: Bool = false) {
        self.steps = steps
        self.stepSeconds = stepSeconds
        self.progressDeadlineSeconds = progressDeadlineSeconds
        self.analysis = analysis
        self.paused = paused
    }
}

/// The bounds the candidate's own signals must stay within.
public struct CanaryAnalysis: Sendable, Hashable {
    /// The candidate's p95 latency over the analysis window must not exceed this.
    public var maxP95Milliseconds: Double
    /// Failed requests over all requests the candidate answered in the step.
    public var maxErrorRatio: Double
    /// Requests the candidate must answer in a step before the step can pass,
    /// and before a p95 or error ratio alone can fail it (see `CanaryProgress`).
    public var minRequests: Int

    public init(maxP95Milliseconds: Double, maxErrorRatio: Double, minRequests: Int) {
        self.maxP95Milliseconds = maxP95Milliseconds
        self.maxErrorRatio = maxErrorRatio
        self.minRequests = minRequests
    }
}
