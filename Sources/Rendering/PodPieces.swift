import JSONValue
import ServingAPI

/// Probes, resources and security settings of the predictor pod.
enum PodPieces {
    /// Startup budget when `spec.model.loadTimeoutSeconds` is absent: 120 s on
    /// CPU (reading and optimising a large ONNX graph), 300 s with GPUs (CUDA
    /// context creation and cuDNN autotuning come on top).
    static let cpuLoadTimeoutSeconds = 120
    static let gpuLoadTimeoutSeconds = 300
    static let startupPeriodSeconds = 5

    static func loadTimeoutSeconds(_ spec: InferenceServiceSpec) -> Int {
        spec.model.loadTimeoutSeconds ?? (spec.resources.gpu > 0 ? gpuLoadTimeoutSeconds : cpuLoadTimeoutSeconds)
    }

    static func httpGet(_ path: String) -> JSON {
        ["path": .string(path), "port": .string(ServerCommandLine.portName)]
    }

    /// Ready once the model is loaded; a replica that stops being ready leaves the Service.
    static var readinessProbe: JSON {
        ["httpGet": httpGet("/v2/health/ready"), "periodSeconds": 5, "timeoutSeconds": 2, "failureThreshold": 3]
    }

    /// Restarts a wedged server; only starts counting after the startup probe passed.
    static var livenessProbe: JSON {
        ["httpGet": httpGet("/v2/health/live"), "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3]
    }

    /// Holds off liveness until the model is loaded: `failureThreshold`
    /// periods cover the load timeout.
    static func startupProbe(_ spec: InferenceServiceSpec) -> JSON {
        let periods = (loadTimeoutSeconds(spec) + startupPeriodSeconds - 1) / startupPeriodSeconds
        return [
            "httpGet": httpGet("/v2/health/ready"), "periodSeconds": .int(Int64(startupPeriodSeconds)),
            "timeoutSeconds": 2, "failureThreshold": .int(Int64(periods)),
        ]
    }

    /// CPU and memory are requested; memory and GPUs are limited. No CPU
    /// limit: CFS throttling shows up as tail latency, the signal we scale on.
    static func serverResources(_ spec: InferenceServiceSpec) -> JSON? {
        var requests = JSONObject()
        var limits = JSONObject()
        if let cpu = spec.resources.cpu { requests["cpu"] = .string(cpu) }
        if let memory = spec.resources.memory {
            requests["memory"] = .string(memory)
            limits["memory"] = .string(memory)
        }
        if spec.resources.gpu > 0 { limits["nvidia.com/gpu"] = .string(String(spec.resources.gpu)) }
        var resources = JSONObject()
        if !requests.isEmpty { resources["requests"] = .object(requests) }
        if !limits.isEmpty { resources["limits"] = .object(limits) }
        return resources.isEmpty ? nil : .object(resources)
    }

    /// A fetch-only init container needs little; a warming one runs the model
    /// on the pod's GPU, so it gets the server's resources (init containers'
    /// requests are not added to the pod's, so this costs nothing extra).
    static func initResources(_ spec: InferenceServiceSpec, warm: Bool) -> JSON? {
        if warm { return serverResources(spec) }
        return ["requests": ["cpu": "100m", "memory": "128Mi"]]
    }

    /// The "restricted" Pod Security Standard: non-root, no privilege
    /// escalation, all capabilities dropped, RuntimeDefault seccomp.
    /// 65532 is the conventional "nonroot" user of distroless images.
    static var podSecurityContext: JSON {
        [
            "runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
            "seccompProfile": ["type": "RuntimeDefault"],
        ]
    }

    static var containerSecurityContext: JSON {
        [
            "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
            "capabilities": ["drop": ["ALL"]],
        ]
    }
}
