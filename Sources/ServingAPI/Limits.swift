/// Allowed ranges of numeric fields. The CRD schema's `minimum`/`maximum`
/// and `InferenceServiceValidator` both read these, so the API server and the
/// operator (and the test API server, which runs no schema) agree.
public enum Limits {
    /// Service names are DNS-1035 labels of at most 63 characters; `-predictor` takes 10.
    public static let maxNameLength = 53
    public static let replicas = 1...1000
    public static let gpu = 0...16
    public static let loadTimeoutSeconds = 10...3600
    public static let maxBatchSize = 1...1024
    /// One probe dimension (as `inference-server warmup --probe-dimensions` accepts).
    public static let probeDimension = 1...65536
    public static let maxProbeDimensions = 8
    public static let maxQueueDelayMs = 0...10_000
    public static let maxQueueSize = 1...100_000
    /// At least 1 s (the brief's rule); at most an hour.
    public static let intervalSeconds = 1...3600
    public static let gpuThresholdPercent = 1.0...100.0
    public static let latencyThresholdMs = 1.0...600_000.0
    public static let consecutiveIntervals = 1...100
    public static let step = 1...100
    public static let idleAfterSeconds = 1...86_400
    public static let capacityPerReplicaRPS = 0.001...1_000_000.0
    public static let targetUtilization = 0.1...0.95
    public static let stabilizationWindowSeconds = 0...3600
    public static let headroomLowerStep = 0.0...0.5
    public static let headroomRaiseHorizonSeconds = 60...604_800
    public static let headroomRaiseSlowShare = 0.0...0.5
    public static let burstFactor = 1.1...100.0
    public static let burstWindowSeconds = 1...3600
    public static let burstHoldSeconds = 0...86_400
    public static let scaleDownMaxStep = 1...1000
    public static let queryLength = 1...4096
    public static let canaryStepPercent = 1...100
    public static let canaryMaxSteps = 10
    public static let canaryStepSeconds = 10...86_400
    public static let canaryProgressDeadlineSeconds = 30...86_400
    public static let canaryMaxErrorRatio = 0.0...1.0
    public static let canaryMinRequests = 1...1_000_000
    public static let tolerationSeconds = 0...(Int(Int32.max))
}
