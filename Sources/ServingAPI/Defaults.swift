/// Every default of the InferenceService API, with where it comes from.
///
/// The Swift decoders and the generated CRD schema both read these constants,
/// so an object defaulted by the API server and one defaulted in Swift agree
/// (`ServingAPITests` checks that they do).
///
/// Durations are integer seconds in fields named `...Seconds` (or `...Ms`),
/// following the Kubernetes API conventions' "fooSeconds" rule for units, as
/// HPA's `stabilizationWindowSeconds` and KEDA's `pollingInterval` do.
public enum Defaults {
    // MARK: API identity

    public static let group = "serving.swiftinfer.io"
    public static let version = "v1alpha1"
    public static let kind = "InferenceService"
    public static let plural = "inferenceservices"
    public static let singular = "inferenceservice"
    public static let shortName = "infsvc"
    public static var apiVersion: String { "\(group)/\(version)" }

    // MARK: Model and server

    /// The only model format the server runs (ONNX Runtime).
    public static let modelFormat = ModelFormat.onnx
    /// The server image built by this package (`make image`), tagged with the release version.
    public static let image = "ghcr.io/swiftinfer/inference-server:0.1.0"
    /// GPUs per replica: none, so a minimal object runs on any node.
    public static let gpu = 0

    // MARK: Batching (the server's dynamic batcher)

    /// 50 ms: a quarter of the 200 ms p95 SLO, so batching never spends most of the budget.
    public static let maxQueueDelayMs = 50
    /// 128 waiting requests (16 full default batches); beyond it the server answers 429
    /// so overload shows up as rejections, not unbounded latency.
    public static let maxQueueSize = 128

    // MARK: Replicas

    /// 2: the matrix's "idle -> min (2)"; two replicas survive one node loss.
    public static let minReplicas = 2
    /// 16: the latency rule's cap in the decision matrix is the overall ceiling.
    public static let maxReplicas = 16
    /// `replicas.manual` starts at the default minimum. It must always have a
    /// value: the scale subresource's GET fails when `specReplicasPath` is empty.
    public static let manualReplicas = minReplicas

    // MARK: Autoscaling

    public static let autoscalingMode = AutoscalingMode.active
    /// 15 s: HPA's sync period (`--horizontal-pod-autoscaler-sync-period`) and
    /// Prometheus' common scrape interval.
    public static let intervalSeconds = 15
    /// GPU rule: utilisation above 85% adds 1 replica, not while added replicas
    /// still start, capped at 12 (the decision matrix in the product brief).
    public static let gpuThresholdPercent = 85.0
    public static let gpuStep = 1
    public static let gpuCap = 12
    public static let gpuColdStartTolerant = false
    /// Latency rule: p95 above 200 ms (the SLO) for 3 consecutive intervals adds
    /// 2 replicas, allowed while new replicas start, capped at 16 (decision matrix).
    public static let latencyThresholdMs = 200.0
    public static let latencyConsecutiveIntervals = 3
    public static let latencyStep = 2
    public static let latencyCap = 16
    public static let latencyColdStartTolerant = true
    /// Idle rule: no requests for more than 300 s scales to `replicas.min`
    /// (decision matrix; also KEDA's default `cooldownPeriod`).
    public static let idleAfterSeconds = 300
    /// Burst rule: a rate at least 3x its lowest reading of the last 60 s
    /// (Knative's stable window; also the rate query's window) is a burst;
    /// its size is held 1200 s. Both chosen in the simulator
    /// (docs/autoscaling.md; `BurstRule` in Autoscaling says why 3, not
    /// Knative's 2).
    public static let burstFactor = 3.0
    public static let burstWindowSeconds = 60
    public static let burstHoldSeconds = 1200
    /// Adaptive headroom (the engine's `AdaptiveHeadroom` defaults, which say
    /// where each comes from; `PolicyMappingTests` checks the two agree):
    /// the rate rule sizes for a utilisation within 0.4-0.8, lowered 0.005
    /// per slow reading, raised on 4 h of evidence to what all but 0.5% of
    /// its readings reach.
    public static let headroomMinUtilization = 0.4
    public static let headroomMaxUtilization = 0.8
    public static let headroomLowerStep = 0.005
    public static let headroomRaiseHorizonSeconds = 14_400
    public static let headroomRaiseSlowShare = 0.005
    /// 300 s: HPA's default scale-down stabilisation window.
    public static let scaleDownStabilizationWindowSeconds = 300
    /// 60 s: the shortest the adaptive stabilisation window goes (the rate
    /// query's window, Knative's stable window). At or above
    /// `stabilizationWindowSeconds`, the window does not adapt.
    public static let scaleDownMinStabilizationWindowSeconds = 60
    /// 1 replica per interval: a misread dip costs at most one replica per
    /// interval (HPA allows 100% per 15 s; we prefer latency over cost here).
    public static let scaleDownMaxStep = 1
    /// Hold: never scale down on missing data (KEDA users' most common complaint).
    public static let onMetricsUnavailable = MetricsUnavailablePolicy.hold

    // MARK: Warmup

    /// Warm up by default: the first request after a rollout should not pay
    /// ONNX Runtime's graph optimisation and CUDA autotuning.
    public static let warmupEnabled = true

    // MARK: Canary rollouts (spec.canary)

    /// 5% → 30% → 100%: a first step small enough that a broken candidate
    /// reaches few users, a middle step large enough that its p95 is measured
    /// on real load, then all of it before promotion (the design this product follows).
    public static let canarySteps = [5, 30, 100]
    /// 10 minutes of passing analysis per step (the design this product follows:
    /// promotion only after 10 minutes of passing health checks).
    public static let canaryStepSeconds = 600
    /// 600 s for the candidate's replicas to carry a step, as a Deployment's
    /// default `progressDeadlineSeconds`.
    public static let canaryProgressDeadlineSeconds = 600
    /// Requests with `X-Canary: true` go to the candidate.
    public static let canaryHeaderRoute = true
    /// 1% failed requests.
    public static let canaryMaxErrorRatio = 0.01
    /// 100 requests per step before a verdict: at p95, five of them lie in the
    /// tail the bound is about, so one slow outlier cannot decide the step alone.
    public static let canaryMinRequests = 100
    /// The candidate's p95 bound when the latency rule is disabled (its default threshold).
    public static let canaryMaxP95Ms = 200.0
    /// The annotation `kubectl annotate` sets for a one-shot command on the
    /// current canary run: `promote` or `abort` (the operator removes it once done).
    public static let canaryActionAnnotation = "serving.swiftinfer.io/canary-action"

    // MARK: Status

    /// Recent scaling decisions kept in status: enough for `kubectl describe`
    /// to explain the last few minutes, small enough to keep status writes cheap.
    public static let maxRecentDecisions = 10

    // MARK: PromQL templates ({{namespace}} and {{name}} are substituted)

    /// p95 from the server's request histogram over a 1 m rate window,
    /// selected by the Service's name as Prometheus' endpoint discovery labels it.
    public static let p95LatencyQuery =
        #"histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{namespace="{{namespace}}",service="{{name}}-predictor"}[1m])))"#
    /// Mean GPU utilisation (percent) of the predictor pods from NVIDIA's DCGM exporter.
    public static let gpuUtilizationQuery =
        #"avg(DCGM_FI_DEV_GPU_UTIL{exported_namespace="{{namespace}}",exported_pod=~"{{name}}-predictor-.*"})"#
    /// Requests per second over a 1 m window, from the request histogram's count
    /// (the server exports no separate request counter).
    public static let requestRateQuery =
        #"sum(rate(inference_request_duration_seconds_count{namespace="{{namespace}}",service="{{name}}-predictor"}[1m]))"#
    /// Earlier releases' default request-rate query, which named a metric the
    /// server never exported. Objects stored with it were always read by the
    /// batched default query; they still are.
    public static let formerRequestRateQueries = [
        #"sum(rate(inference_requests_total{namespace="{{namespace}}",service="{{name}}-predictor"}[1m]))"#,
    ]
}
