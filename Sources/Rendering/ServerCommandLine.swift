import JSONValue
import ServingAPI

/// The inference-server command lines the pods run. This is the contract
/// with the `inference-server` executable:
///
///     inference-server warmup --model URI --out DIR [--warm --device D --batch-sizes 1,2,4,8 [--sample-input JSON]]
///         fetches the model to DIR/model.onnx; with --warm it also runs the
///         model at each batch size on device D and replaces DIR/model.onnx
///         by ONNX Runtime's optimised model.
///     inference-server serve --model-name NAME --model PATH --port P --device D
///                            --max-batch-size N --max-queue-delay-ms MS --max-queue-size Q
public enum ServerCommandLine {
    public static let executable = "inference-server"
    /// The HTTP port of the v2 protocol and `/metrics`.
    public static let port = 8080
    public static let portName = "http"
    public static let modelDirectory = "/models"
    public static var modelPath: String { modelDirectory + "/model.onnx" }
    /// Where a `pvc://` claim is mounted in the init container.
    public static let modelSourceDirectory = "/mnt/model-source"

    static func device(_ spec: InferenceServiceSpec) -> String { spec.resources.gpu > 0 ? "cuda" : "cpu" }

    public static func serveArguments(_ spec: InferenceServiceSpec) -> [String] {
        [
            "serve",
            "--model-name", spec.model.name,
            "--model", modelPath,
            "--port", String(port),
            "--device", device(spec),
            "--max-batch-size", String(spec.batching.maxBatchSize),
            "--max-queue-delay-ms", String(spec.batching.maxQueueDelayMs),
            "--max-queue-size", String(spec.batching.maxQueueSize),
        ]
    }

    /// The URI the init container reads: a `pvc://` model is read from the mounted claim.
    public static func fetchURI(_ uri: ModelURI) -> String {
        switch uri {
        case .pvc(_, let path): return "file://\(modelSourceDirectory)/\(path)"
        case .http(let url): return url
        case .file(let path): return "file://\(path)"
        }
    }

    public static func warmupArguments(_ spec: InferenceServiceSpec, uri: ModelURI, plan: WarmupPlan) -> [String] {
        var arguments = ["warmup", "--model", fetchURI(uri), "--out", modelDirectory]
        guard plan.warm else { return arguments }
        arguments += [
            "--warm", "--device", device(spec),
            "--batch-sizes", plan.batchSizes.map(String.init).joined(separator: ","),
        ]
        if let sample = spec.warmup.sampleInput { arguments += ["--sample-input", sample.serialized()] }
        return arguments
    }
}
