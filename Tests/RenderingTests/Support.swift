import Foundation
import TestSupport
import JSONValue
import KubeAPI
import ServingAPI

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
let validatorScript = packageRoot.appendingPathComponent("scripts/validate_crd.py").path
let venvPython = packageRoot.appendingPathComponent(".venv/bin/python").path
let venvMissing = !FileManager.default.isExecutableFile(atPath: venvPython)

struct ProcessResult {
    let status: Int32
    let output: String
}

func run(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    let result = try await Subprocess.run(executable, arguments, currentDirectory: packageRoot)
    return ProcessResult(status: result.status, output: result.output)
}

func service(
    name: String = "resnet50", namespace: String? = "default", uid: String? = "7d1c6a52-2f0e-4f7e-9a51-0c5d3b1e8f00",
    _ spec: InferenceServiceSpec
) -> InferenceService {
    InferenceService(metadata: ObjectMeta(name: name, namespace: namespace, uid: uid, generation: 1), spec: spec)
}

func cpuSpec() -> InferenceServiceSpec {
    InferenceServiceSpec(
        model: ModelSpec(name: "resnet50", uri: "pvc://models/resnet50/model.onnx"),
        resources: ResourceSpec(cpu: "2", memory: "4Gi"))
}

func gpuSpec() -> InferenceServiceSpec {
    InferenceServiceSpec(
        model: ModelSpec(name: "bert-large", uri: "https://models.example.com/bert-large/1/model.onnx"),
        image: "ghcr.io/swiftinfer/inference-server:0.1.0",
        resources: ResourceSpec(cpu: "4", memory: "16Gi", gpu: 1),
        nodeSelector: ["nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB", "kubernetes.io/arch": "amd64"],
        tolerations: [Toleration(key: "nvidia.com/gpu", operator: .exists, effect: .noSchedule)],
        env: [EnvVar(name: "ORT_LOG_LEVEL", value: "warning")],
        batching: BatchingSpec(maxBatchSize: 16, maxQueueDelayMs: 20),
        replicas: ReplicasSpec(min: 2, max: 12),
        warmup: WarmupSpec(sampleInput: ["inputs": [["name": "input_ids", "datatype": "INT64", "shape": [1, 4], "data": [101, 2023, 2003, 102]]]]))
}
