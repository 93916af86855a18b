import ServingAPI

/// What a pod is warmed for: the server image and the GPU model it runs on.
/// ONNX Runtime's optimised graph and CUDA autotuning results depend on both,
/// so a change of either means new pods must warm up again.
public struct WarmupFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// The image digest when the reference pins one, else the normalised `repository:tag`.
    public let imageIdentity: String
    /// `cpu`, the GPU product from the node selector, or `gpu` when the selector names none.
    public let gpuModel: String
    /// `fp1-` and 16 hex digits of FNV-1a (64 bit) over both parts. FNV is a
    /// change detector here, not a security boundary, and needs no crypto library.
    public let value: String

    public var description: String { "\(value) (image \(imageIdentity), \(gpuModel))" }

    /// Node labels that name the GPU model, most specific first: NVIDIA GPU
    /// Feature Discovery, then GKE's and EKS's accelerator labels.
    public static let gpuModelLabels = [
        "nvidia.com/gpu.product", "cloud.google.com/gke-accelerator", "k8s.amazonaws.com/accelerator",
    ]

    public init(spec: InferenceServiceSpec) {
        imageIdentity = Self.imageIdentity(spec.image)
        if spec.resources.gpu == 0 {
            gpuModel = "cpu"
        } else {
            gpuModel = Self.gpuModelLabels.lazy.compactMap { spec.nodeSelector[$0] }.first ?? "gpu"
        }
        value = "fp1-" + Self.hex(Self.fnv1a64("image=\(imageIdentity)\ngpu=\(gpuModel)"))
    }

    /// `repo@sha256:abc` -> `sha256:abc` (the tag, if any, no longer matters);
    /// `repo` -> `repo:latest`, as the container runtime resolves it.
    static func imageIdentity(_ image: String) -> String {
        if let at = image.lastIndex(of: "@") { return String(image[image.index(after: at)...]) }
        let lastComponent = image.split(separator: "/").last ?? Substring(image)
        return lastComponent.contains(":") ? image : image + ":latest"
    }

    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Whether the next pods warm up, and the batcher they serve with. They warm
/// when warmup is enabled and the fingerprint differs from the one recorded in
/// `status.warmedFingerprint`, or when they must measure the batcher; then the
/// pod template carries `inference.warmup: "true"` and the init container
/// saves ONNX Runtime's optimised model for the server and runs the model at
/// each batch size. Otherwise the label is absent and the init container only
/// fetches the model.
///
/// With `spec.batching.maxBatchSize` unset, warming pods measure throughput
/// per batch size and run layout on their own hardware (`inference-server
/// warmup` without `--max-batch-size`) and serve what they chose; their init
/// container reports it as its termination message and the operator records
/// it in `status.measuredBatching` under `measurementKey`. The pods that follow
/// serve the recorded batcher. A recording under another key (a new image,
/// GPU model, model or resources) means measuring again.
public struct WarmupPlan: Sendable, Hashable {
    public static let labelKey = "inference.warmup"
    public static let fingerprintAnnotation = "serving.swiftinfer.io/warmup-fingerprint"
    /// On pods that measure the batcher: the `measurementKey` they measure for.
    public static let measurementAnnotation = "serving.swiftinfer.io/batching-measurement"

    public let fingerprint: WarmupFingerprint
    public let warm: Bool
    /// Whether the warming pods measure the batcher (size unset, nothing recorded for `measurementKey`).
    public let measures: Bool
    /// What a measurement holds for: the fingerprint, the model and the resources.
    public let measurementKey: String
    /// The batcher `serve` is told: the spec's size, or what was recorded; nil
    /// when the pod serves its own measurement or nothing is known (the
    /// server's fallback).
    public let served: ServedBatching?
    /// Batch sizes the init container runs when it does not measure: powers of
    /// two below the largest batch, then the largest itself (the shapes the
    /// batcher forms most often, without running every size up to a large
    /// maximum). Empty when it measures or nothing is known.
    public let batchSizes: [Int]
    /// `spec.warmup.probeDimensions`, for a measuring warmup.
    public let probeDimensions: [Int]?

    public init(spec: InferenceServiceSpec, lastWarmedFingerprint: String?, measured: MeasuredBatching? = nil) {
        fingerprint = WarmupFingerprint(spec: spec)
        measurementKey = Self.measurementKey(spec: spec, fingerprint: fingerprint)
        if let size = spec.batching.maxBatchSize {
            served = ServedBatching(maxBatchSize: size)
            measures = false
        } else if let measured, measured.key == measurementKey {
            served = measured.maxBatchSize.map {
                ServedBatching(maxBatchSize: $0, concurrentBatches: measured.concurrentBatches, intraOpThreads: measured.intraOpThreads)
            }
            measures = false
        } else {
            served = nil
            measures = spec.warmup.enabled
        }
        warm = spec.warmup.enabled && (fingerprint.value != lastWarmedFingerprint || measures)
        var sizes: [Int] = []
        if !measures, let largest = served?.maxBatchSize {
            var size = 1
            while size < largest {
                sizes.append(size)
                size *= 2
            }
            sizes.append(max(1, largest))
        }
        batchSizes = sizes
        probeDimensions = spec.warmup.probeDimensions
    }

    /// `bm1-` and 16 hex digits of FNV-1a over the fingerprint, the model URI,
    /// the resources and the probe's dimensions: what the measured batcher depends on.
    static func measurementKey(spec: InferenceServiceSpec, fingerprint: WarmupFingerprint) -> String {
        let resources = spec.resources
        let probe = spec.warmup.probeDimensions.map { $0.map(String.init).joined(separator: ",") } ?? ""
        let text = "fingerprint=\(fingerprint.value)\nmodel=\(spec.model.uri)\ncpu=\(resources.cpu ?? "")\nmemory=\(resources.memory ?? "")"
            + "\ngpu=\(resources.gpu)\nprobe=\(probe)"
        return "bm1-" + WarmupFingerprint.hex(WarmupFingerprint.fnv1a64(text))
    }
}

/// What `serve` is told about its batcher; nil fields are left to the server.
public struct ServedBatching: Sendable, Hashable {
    public var maxBatchSize: Int
    public var concurrentBatches: Int?
    public var intraOpThreads: Int?

    public init(maxBatchSize: Int, concurrentBatches: Int? = nil, intraOpThreads: Int? = nil) {
        self.maxBatchSize = maxBatchSize
        self.concurrentBatches = concurrentBatches
        self.intraOpThreads = intraOpThreads
    }
}
