import JSONValue
import ServingAPI

/// The inference-server command lines the pods run. This is the contract
/// with the `inference-server` executable:
///
///     inference-server warmup --model URI --out DIR (--max-batch-size N | [--probe-dimensions D,..] --termination-message PATH | --fetch-only)
///         fetches the model to DIR/model.onnx; unless --fetch-only it also
///         saves ONNX Runtime's optimised model as DIR/model.optimized.onnx and
///         runs it once per batch size 1...N, or, without --max-batch-size,
///         measures the batcher and writes its choice to PATH.
///     inference-server serve --model-name NAME [--model-version V] --model DIR --http-port P --grpc-port G --use-cuda true|false
///                            [--max-batch-size N [--max-concurrent-batches C] [--intra-op-threads T]]
///                            --max-queue-delay-ms MS --max-queue-size Q --drain-delay-ms D [--canary-url URL]
/// `RenderingTests` checks every flag against the built executable's `--help`.
/// The warmup spec's `sampleInput` is not passed yet: the server warms with
/// generated inputs of the model's declared shapes.
public enum ServerCommandLine {
    public static let executable = "inference-server"
    /// The HTTP port of the v2 protocol and `/metrics`.
    public static let port = 8080
    public static let portName = "http"
    /// The v2 protocol's gRPC service (`inference.GRPCInferenceService`), plaintext HTTP/2
    /// (8081, as KServe's predictors use for gRPC).
    public static let grpcPort = 8081
    public static let grpcPortName = "grpc"
    public static let modelDirectory = "/models"
    public static var modelPath: String { modelDirectory + "/model.onnx" }
    /// How long a terminating pod keeps serving with readiness false. Endpoint
    /// removal reaches kube-proxy, Gateways and other load balancers some time
    /// after the kubelet sends SIGTERM; a server that closed its listener at
    /// once would refuse the connections still routed to it in between (at
    /// every scale-down, rollout and canary rollback). 5 s is well above that
    /// propagation in a healthy cluster and well inside the pod's default
    /// 30 s termination grace period, which also covers the in-flight requests.
    public static let drainDelayMs = 5000
    /// Where a `pvc://` claim is mounted in the init container.
    public static let modelSourceDirectory = "/mnt/model-source"

    static func useCUDA(_ spec: InferenceServiceSpec) -> String { spec.resources.gpu > 0 ? "true" : "false" }

    /// `serve --model DIR` starts from the optimised model when warmup left one, else `DIR/model.onnx`.
    /// `modelVersion` (a canary's candidate: `canary`) labels the server's series `version`;
    /// `canaryURL` (the stable pods: their object's `{name}-canary` Service) is the header route's target.
    /// `plan.served` nil: no batch flags, so the server serves what its own
    /// warmup measured (or its fallback when that pod did not measure).
    public static func serveArguments(_ spec: InferenceServiceSpec, plan: WarmupPlan, modelVersion: String? = nil,
                                      canaryURL: String? = nil) -> [String] {
        var batching: [String] = []
        if let served = plan.served {
            batching = ["--max-batch-size", String(served.maxBatchSize)]
            if let batches = served.concurrentBatches { batching += ["--max-concurrent-batches", String(batches)] }
            if let threads = served.intraOpThreads { batching += ["--intra-op-threads", String(threads)] }
        }
        return ["serve", "--model-name", spec.model.name] + (modelVersion.map { ["--model-version", $0] } ?? []) + [
            "--model", modelDirectory,
            "--http-port", String(port),
            "--grpc-port", String(grpcPort),
            "--use-cuda", useCUDA(spec),
        ] + batching + [
            "--max-queue-delay-ms", String(spec.batching.maxQueueDelayMs),
            "--max-queue-size", String(spec.batching.maxQueueSize),
            "--drain-delay-ms", String(drainDelayMs),
        ] + (canaryURL.map { ["--canary-url", $0] } ?? [])
    }

    /// The URI the init container reads: a `pvc://` model is read from the mounted claim.
    public static func fetchURI(_ uri: ModelURI) -> String {
        switch uri {
        case .pvc(_, let path): return "file://\(modelSourceDirectory)/\(path)"
        case .http(let url): return url
        case .file(let path): return "file://\(path)"
        case .s3(let location): return location.description
        case .huggingFace(let location): return location.description
        }
    }

    /// Where the init container's termination message is read from (Kubernetes' default path).
    public static let terminationMessagePath = "/dev/termination-log"

    /// Warming: fetch, optimise, then run batch sizes 1...max (`plan.batchSizes`)
    /// or measure the batcher and report it as the termination message; otherwise fetch only.
    public static func warmupArguments(uri: ModelURI, plan: WarmupPlan) -> [String] {
        let arguments = ["warmup", "--model", fetchURI(uri), "--out", modelDirectory]
        guard plan.warm else { return arguments + ["--fetch-only"] }
        if let largest = plan.batchSizes.max(), !plan.measures { return arguments + ["--max-batch-size", String(largest)] }
        let probe = plan.probeDimensions.map { ["--probe-dimensions", $0.map(String.init).joined(separator: ",")] } ?? []
        return arguments + probe + ["--termination-message", terminationMessagePath]
    }
}
