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

/// Whether the next pods warm up. They do when warmup is enabled and the
/// fingerprint differs from the one recorded in `status.warmedFingerprint`;
/// then the pod template carries `inference.warmup: "true"` and the init
/// container runs the model at each batch size and saves ONNX Runtime's
/// optimised model for the server. Otherwise the label is absent and the
/// init container only fetches the model.
public struct WarmupPlan: Sendable, Hashable {
    public static let labelKey = "inference.warmup"
    public static let fingerprintAnnotation = "serving.swiftinfer.io/warmup-fingerprint"

    public let fingerprint: WarmupFingerprint
    public let warm: Bool
    /// Batch sizes the init container runs: powers of two below
    /// `maxBatchSize`, then `maxBatchSize` itself (the shapes the batcher forms
    /// most often, without running every size up to a large maximum).
    public let batchSizes: [Int]

    public init(spec: InferenceServiceSpec, lastWarmedFingerprint: String?) {
        fingerprint = WarmupFingerprint(spec: spec)
        warm = spec.warmup.enabled && fingerprint.value != lastWarmedFingerprint
        var sizes: [Int] = []
        var size = 1
        while size < spec.batching.maxBatchSize {
            sizes.append(size)
            size *= 2
        }
        sizes.append(max(1, spec.batching.maxBatchSize))
        batchSizes = sizes
    }
}
