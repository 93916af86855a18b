import JSONValue
import Rendering
import ServingAPI
import Testing

@Suite struct PredictorRendererTests {
    func render(_ spec: InferenceServiceSpec, replicas: Int = 2) throws -> RenderedPredictor {
        try PredictorRenderer.render(service(spec), replicas: replicas, lastWarmedFingerprint: nil)
    }

    func podSpec(_ r: RenderedPredictor) -> JSON? { r.deployment[path: "spec", "template", "spec"] }
    func server(_ r: RenderedPredictor) -> JSON? { podSpec(r)?["containers"]?[0] }

    @Test func renderingIsDeterministicWhateverTheMapOrder() throws {
        var a = cpuSpec()
        a.nodeSelector = ["zone": "a", "arch": "amd64", "pool": "inference", "os": "linux"]
        var b = cpuSpec()
        b.nodeSelector = ["os": "linux", "pool": "inference", "zone": "a", "arch": "amd64"]
        let first = try render(a)
        for _ in 0..<5 {
            let again = try render(b)
            #expect(again.deployment.serialized() == first.deployment.serialized())
            #expect(again.service.serialized() == first.service.serialized())
        }
        #expect(podSpec(first)?["nodeSelector"]?.objectValue?.keys == ["arch", "os", "pool", "zone"])
    }

    @Test func namesLabelsSelectorAndOwner() throws {
        let r = try PredictorRenderer.render(
            service(name: "bert", namespace: "ml", uid: "uid-1", cpuSpec()), replicas: 4, lastWarmedFingerprint: nil)
        for object in [r.deployment, r.service] {
            #expect(object[path: "metadata", "name"] == "bert-predictor")
            #expect(object[path: "metadata", "namespace"] == "ml")
            let labels = object[path: "metadata", "labels"]
            #expect(labels?["app.kubernetes.io/name"] == "inference-server")
            #expect(labels?["app.kubernetes.io/instance"] == "bert")
            #expect(labels?["app.kubernetes.io/component"] == "predictor")
            #expect(labels?["app.kubernetes.io/managed-by"] == "inference-operator")
            let owner = object[path: "metadata", "ownerReferences"]?[0]
            #expect(owner?["kind"] == "InferenceService" && owner?["apiVersion"] == "serving.swiftinfer.io/v1alpha1")
            #expect(owner?["name"] == "bert" && owner?["uid"] == "uid-1")
            #expect(owner?["controller"] == true && owner?["blockOwnerDeletion"] == true)
        }
        #expect(r.deployment[path: "spec", "replicas"] == 4)
        // The selector matches the pod labels and the Service selects the same pods.
        let selector = try #require(r.deployment[path: "spec", "selector", "matchLabels"]?.objectValue)
        let podLabels = try #require(r.deployment[path: "spec", "template", "metadata", "labels"]?.objectValue)
        for (key, value) in selector { #expect(podLabels[key] == value) }
        #expect(r.service[path: "spec", "selector"]?.objectValue == selector)
        #expect(PredictorLabels.selectorString(instance: "bert")
            == "app.kubernetes.io/name=inference-server,app.kubernetes.io/instance=bert,app.kubernetes.io/component=predictor")
    }

    @Test func serverRunsServeWithModelBatchingAndPort() throws {
        var spec = cpuSpec()
        spec.batching = BatchingSpec(maxBatchSize: 4, maxQueueDelayMs: 10, maxQueueSize: 64)
        let container = try #require(server(try render(spec)))
        #expect(container["command"] == ["inference-server"])
        #expect(container["args"] == [
            "serve", "--model-name", "resnet50", "--model", "/models", "--http-port", "8080", "--grpc-port", "8081",
            "--use-cuda", "false", "--max-batch-size", "4", "--max-queue-delay-ms", "10", "--max-queue-size", "64",
            "--drain-delay-ms", "5000", "--canary-url", "http://resnet50-canary:80",
        ])
        #expect(container["ports"] == [
            ["name": "http", "containerPort": 8080, "protocol": "TCP"], ["name": "grpc", "containerPort": 8081, "protocol": "TCP"],
        ])
    }

    @Test func probesUseTheV2HealthEndpoints() throws {
        let container = try #require(server(try render(cpuSpec())))
        #expect(container[path: "readinessProbe", "httpGet", "path"] == "/v2/health/ready")
        #expect(container[path: "livenessProbe", "httpGet", "path"] == "/v2/health/live")
        #expect(container[path: "startupProbe", "httpGet", "port"] == "http")
    }

    @Test(arguments: [(0, nil, 24), (1, nil, 60), (0, 600, 120), (1, 12, 3)] as [(Int, Int?, Int64)])
    func startupProbeCoversTheModelLoadTime(gpus: Int, loadTimeout: Int?, periods: Int64) throws {
        var spec = cpuSpec()
        spec.resources.gpu = gpus
        spec.model.loadTimeoutSeconds = loadTimeout
        let probe = try #require(server(try render(spec))?["startupProbe"])
        #expect(probe["failureThreshold"]?.intValue == periods)
        #expect(probe["periodSeconds"] == 5)
    }

    @Test func resourcesMapGPUsToNvidiaLimits() throws {
        var spec = cpuSpec()
        spec.resources = ResourceSpec(cpu: "500m", memory: "2Gi", gpu: 2)
        let resources = try #require(server(try render(spec))?["resources"])
        #expect(resources == ["requests": ["cpu": "500m", "memory": "2Gi"], "limits": ["memory": "2Gi", "nvidia.com/gpu": "2"]])
        spec.resources = ResourceSpec()
        #expect(server(try render(spec))?["resources"] == nil)
    }

    @Test func podAndContainersFollowTheRestrictedSecurityProfile() throws {
        let r = try render(cpuSpec())
        let pod = try #require(podSpec(r))
        #expect(pod[path: "securityContext", "runAsNonRoot"] == true)
        #expect(pod[path: "securityContext", "seccompProfile", "type"] == "RuntimeDefault")
        #expect(pod["automountServiceAccountToken"] == false)
        for container in (pod["containers"]?.arrayValue ?? []) + (pod["initContainers"]?.arrayValue ?? []) {
            #expect(container[path: "securityContext", "allowPrivilegeEscalation"] == false)
            #expect(container[path: "securityContext", "readOnlyRootFilesystem"] == true)
            #expect(container[path: "securityContext", "capabilities", "drop"] == ["ALL"])
        }
    }

    @Test(arguments: [
        ("pvc://models/resnet50/model.onnx", "file:///mnt/model-source/resnet50/model.onnx", "models"),
        ("https://h.example/m.onnx", "https://h.example/m.onnx", nil),
        ("file:///opt/m.onnx", "file:///opt/m.onnx", nil),
    ] as [(String, String, String?)])
    func initContainerFetchesTheModelIntoTheSharedVolume(uri: String, fetched: String, claim: String?) throws {
        var spec = cpuSpec()
        spec.model.uri = uri
        let pod = try #require(podSpec(try render(spec)))
        let initContainer = try #require(pod["initContainers"]?[0])
        #expect(initContainer["args"]?.arrayValue?.prefix(5) == ["warmup", "--model", .string(fetched), "--out", "/models"])
        #expect(initContainer[path: "volumeMounts"]?[0] == ["name": "model", "mountPath": "/models"])
        #expect(server(try render(spec))?["volumeMounts"]?[0] == ["name": "model", "mountPath": "/models", "readOnly": true])
        let volumes = pod["volumes"]?.arrayValue ?? []
        #expect(volumes.first == ["name": "model", "emptyDir": [:]])
        let claimVolume = volumes.first { $0["persistentVolumeClaim"] != nil }
        #expect(claimVolume?[path: "persistentVolumeClaim", "claimName"]?.stringValue == claim)
    }

    @Test func serviceCarriesScrapeAnnotationsAndTargetsTheServerPort() throws {
        let s = try render(cpuSpec()).service
        #expect(s[path: "metadata", "annotations"] == ["prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics"])
        #expect(s[path: "spec", "ports"] == [
            ["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"],
            ["name": "grpc", "port": 8081, "targetPort": "grpc", "protocol": "TCP", "appProtocol": "kubernetes.io/h2c"],
        ])
        #expect(s[path: "spec", "type"] == "ClusterIP")
    }

    @Test(arguments: [
        (nil as String?, "uid" as String?, "pvc://m/x.onnx", RenderingError.missingField("metadata.namespace")),
        ("ns", nil, "pvc://m/x.onnx", .missingField("metadata.uid")),
        ("ns", "", "pvc://m/x.onnx", .missingField("metadata.uid")),
    ])
    func missingIdentityIsAnErrorNotACrash(namespace: String?, uid: String?, uri: String, error: RenderingError) {
        var spec = cpuSpec()
        spec.model.uri = uri
        #expect(throws: error) {
            try PredictorRenderer.render(service(namespace: namespace, uid: uid, spec), replicas: 1, lastWarmedFingerprint: nil)
        }
    }

    @Test func unsupportedModelURIIsAnErrorNamingTheField() {
        var spec = cpuSpec()
        spec.model.uri = "gs://bucket/model.onnx"
        #expect {
            try PredictorRenderer.render(service(spec), replicas: 1, lastWarmedFingerprint: nil)
        } throws: { error in
            guard case RenderingError.invalidModelURI = error else { return false }
            return "\(error)".contains("spec.model.uri") && "\(error)".contains("gs")
        }
    }
}
