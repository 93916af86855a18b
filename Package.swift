// swift-tools-version:6.1
import PackageDescription

// Module map: docs/architecture.md. C libraries are wrapped once, in the
// `C*` system targets and one Swift file per library above them.
let package = Package(
    name: "inference-operator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "inference-operator", targets: ["inference-operator"]),
        .executable(name: "inference-server", targets: ["inference-server"]),
        // For the fuzz package under Fuzz/ (and any tool that reads YAML).
        .library(name: "YAML", targets: ["YAML", "JSONValue"]),
        // For Fuzz/InferRequestFuzz: the v2 request decoder without the HTTP server.
        .library(name: "InferenceProtocol", targets: ["InferenceProtocol"]),
        // For Fuzz/GRPCInferFuzz: the gRPC messages and their decoder without the gRPC server.
        .library(name: "InferenceGRPC", targets: ["InferenceGRPC", "GRPCPredictV2", "InferenceProtocol", "ONNXRuntime"]),
        // For Fuzz/ClientFuzz: the kubeconfig loader and watch decoder, the Prometheus response parser.
        .library(name: "KubeClient", targets: ["KubeClient", "KubeAPI", "HTTP"]),
        .library(name: "Autoscaling", targets: ["Autoscaling"]),
        // For Fuzz/CELFuzz: the CEL subset the test API server runs CRD rules with.
        .library(name: "CEL", targets: ["CEL", "JSONValue"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // No traits: `FullFoundation` (default) imports Foundation in the URL-encoded form coders, which
        // would link ICU into the operator; `ConfigurationSupport` would build swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // Tracing API (already in the graph through Hummingbird) and the OTLP exporter. Only the OTLP/HTTP
        // trait: the default traits would also build gRPC (grpc-swift-2, nio-transport, protobuf plugin).
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        // The Open Inference Protocol's gRPC service (inference.GRPCInferenceService): runtime, HTTP/2
        // transport, and the protobuf codec the generated code in Sources/GRPCPredictV2 uses.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // Allocation counts for the zero-copy benchmark (server-bench) only.
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
    ],
    targets: [
        // C shims
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // ONNX Runtime's C API, declared from the upstream header's ABI order; the library is dlopen'ed.
        .systemLibrary(name: "CONNXRuntime"),
        // OpenSSL's libcrypto (libcurl loads it already): MD5/SHA-256 of downloaded models.
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Foundation layer
        // A pthread-mutex lock ThreadSanitizer can see (Sources/Locking/Locked.swift)
        .target(name: "Locking"),
        .target(name: "SeededRandom"),
        // Whitespace trimming without Foundation (the operator's modules import FoundationEssentials only)
        .target(name: "Trimming"),
        .target(name: "DecimalText"),
        .target(name: "JSONValue"),
        // posix_spawn children (ChildProcess.swift says why not Foundation.Process)
        .target(name: "CChildProcess"),
        .target(name: "ChildProcess", dependencies: ["CChildProcess", "Locking"]),
        // Deep recursion on a thread with a stack sized for it (Sources/LargeStack/LargeStack.swift)
        .target(name: "LargeStack", dependencies: ["Locking"]),
        // CEL for CRD x-kubernetes-validations rules: parse, type-check against the schema, evaluate (as cel-go does)
        .target(name: "CEL", dependencies: ["JSONValue", "LargeStack"]),
        .target(name: "YAML", dependencies: ["CYAML", "JSONValue", "LargeStack"]),
        .target(name: "HTTP", dependencies: ["Locking", "CCurl"]),
        .target(name: "KubeAPI", dependencies: ["JSONValue"]),
        .target(name: "KubeClient", dependencies: ["HTTP", "KubeAPI", "YAML", "JSONValue", "ChildProcess", "Trimming", "Locking"]),
        .target(name: "Autoscaling", dependencies: ["HTTP", "JSONValue"]),
        .target(name: "Simulation", dependencies: ["Autoscaling", "JSONValue", "SeededRandom", "Trimming", "DecimalText"]),
        // Canary rollouts: the step/promotion/rollback state machine and the replica split (pure)
        .target(name: "Rollout"),
        // Model storage: URI parsing, S3/Hub addressing, listings, checks (pure), and the fetcher (IO)
        .target(name: "ModelSource"),
        .target(name: "ModelFetch", dependencies: ["ModelSource", "HTTP", "CCrypto", "Trimming"]),

        // Controller runtime
        .target(
            name: "ControllerRuntime",
            dependencies: [
                "Locking", "KubeClient", "KubeAPI", "JSONValue", "SeededRandom",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),

        // Test-only helpers (scripted transport); product targets never import it
        .target(name: "TestSupport", dependencies: ["Locking", "HTTP", "ChildProcess", "JSONValue"]),

        // InferenceService API and what is rendered from it (pure)
        .target(name: "ServingAPI", dependencies: ["JSONValue", "KubeAPI", "ModelSource"]),
        .target(name: "Rendering", dependencies: ["ServingAPI", "JSONValue", "Rollout"]),

        // The operator: reconcile, scaling loop, status, events, metrics and health endpoints
        .target(
            name: "Operator",
            dependencies: [
                "Locking", "ControllerRuntime", "KubeClient", "KubeAPI", "HTTP", "JSONValue", "ServingAPI", "Rendering", "Autoscaling", "Rollout",
                "ModelSource", "ModelFetch", "Trimming",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),

        // Test-only Kubernetes API server (never imported by product targets)
        .target(
            name: "TestAPIServer",
            dependencies: [
                "JSONValue", "YAML", "CEL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),

        // Inference server
        .target(name: "ONNXRuntime", dependencies: ["CONNXRuntime"]),
        .target(name: "Batching", dependencies: ["Locking"]),
        // The Open Inference Protocol's request decoder and response encoder (no HTTP server)
        .target(
            name: "InferenceProtocol",
            dependencies: ["ONNXRuntime", "JSONValue", .product(name: "NIOCore", package: "swift-nio")]),
        // Messages and service stubs generated from proto/grpc_predict_v2.proto (scripts/generate-grpc.sh)
        .target(
            name: "GRPCPredictV2",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
        // The gRPC request decoder, response encoder and status mapping (no server)
        .target(
            name: "InferenceGRPC",
            dependencies: [
                "GRPCPredictV2", "InferenceProtocol", "ONNXRuntime",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .target(
            name: "InferenceServer",
            dependencies: [
                "GRPCPredictV2", "InferenceGRPC",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                "Locking", "InferenceProtocol", "ONNXRuntime", "Batching", "JSONValue", "HTTP", "ModelFetch", "DecimalText",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ]),

        // Executables: argument parsing and wiring only
        .executableTarget(
            name: "inference-operator",
            dependencies: [
                "KubeClient",
                "ServingAPI",
                "YAML",
                "JSONValue",
                "Autoscaling",
                "Simulation",
                "Operator",
                "HTTP",
                "Trimming",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "inference-server",
            dependencies: [
                "InferenceServer", "ONNXRuntime", "DecimalText",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Closed-loop HTTP load generator for the server benchmarks (scripts/benchmark-server.sh).
        .executableTarget(
            name: "inference-loadgen",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Benchmark: informer and work queue figures (runtime-bench [OBJECTS] [EVENTS] [KEYS])
        .executableTarget(
            name: "runtime-bench",
            dependencies: ["ControllerRuntime", "KubeClient", "KubeAPI", "HTTP", "JSONValue", "TestAPIServer",
                           .product(name: "Logging", package: "swift-log")]),
        // Benchmark: per-request allocations and copies by tensor size (scripts/bench-zero-copy.sh)
        .executableTarget(
            name: "server-bench",
            dependencies: [
                "InferenceServer", "InferenceProtocol", "ONNXRuntime", "Batching",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ]),
        // Benchmark: scripts/bench-http.sh
        .executableTarget(name: "http-bench", dependencies: ["HTTP"]),

        .executableTarget(
            name: "test-apiserver",
            dependencies: [
                "TestAPIServer", "JSONValue",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tests
        .testTarget(name: "JSONValueTests", dependencies: ["JSONValue"]),
        .testTarget(name: "TrimmingTests", dependencies: ["Trimming"]),
        .testTarget(name: "DecimalTextTests", dependencies: ["DecimalText"]),
        // YAML reads the checked-in CRD's rules; TestSupport runs cel-python for the differential test
        .testTarget(name: "CELTests", dependencies: ["CEL", "JSONValue", "YAML", "TestSupport", "LargeStack"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "JSONValue", "SeededRandom", "LargeStack"]),
        .testTarget(name: "ChildProcessTests", dependencies: ["ChildProcess", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport", "ChildProcess"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "KubeAPI", "HTTP", "JSONValue", "YAML", "TestSupport"]),
        .testTarget(
            name: "ControllerRuntimeTests",
            dependencies: [
                "Locking", "ControllerRuntime", "KubeClient", "KubeAPI", "HTTP", "JSONValue", "TestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        .testTarget(name: "ServingAPITests", dependencies: ["ServingAPI", "KubeAPI", "CEL", "JSONValue", "TestSupport", "YAML"]),
        .testTarget(name: "RenderingTests", dependencies: ["Rendering", "Rollout", "ServingAPI", "KubeAPI", "JSONValue", "TestSupport", "YAML"], exclude: ["Fixtures"]),
        .testTarget(name: "AutoscalingTests", dependencies: ["Autoscaling", "HTTP", "JSONValue", "ChildProcess", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RolloutTests", dependencies: ["Rollout"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Autoscaling", "SeededRandom", "JSONValue", "TestSupport"]),
        .testTarget(name: "TestAPIServerTests", dependencies: ["TestAPIServer", "JSONValue", "YAML", "ChildProcess", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ControllerRuntimeIntegrationTests",
            dependencies: ["Locking", "ControllerRuntime", "TestAPIServer", "TestSupport", "KubeClient", "KubeAPI", "HTTP", "JSONValue",
                           .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "OperatorTests",
            dependencies: ["Locking", "Operator", "TestAPIServer", "TestSupport", "KubeClient", "KubeAPI", "HTTP", "JSONValue", "YAML",
                           "ServingAPI", "Autoscaling", "Rendering", "Rollout", "ControllerRuntime", "SeededRandom", "ChildProcess"],
            exclude: ["Fixtures"]),
        // The Helm chart and manifests/install.yaml: helm lint/template, schema validation, least-privilege RBAC
        .testTarget(
            name: "InstallTests",
            dependencies: ["TestAPIServer", "TestSupport", "KubeClient", "KubeAPI", "HTTP", "JSONValue", "YAML"]),
        .testTarget(name: "ONNXRuntimeTests", dependencies: ["ONNXRuntime"], exclude: ["Fixtures"]),
        // The OCI images (scripts/build-image.sh): config, and both executables run from the unpacked rootfs.
        .testTarget(
            name: "ImageTests",
            dependencies: ["TestSupport", "TestAPIServer", "KubeClient", "KubeAPI", "HTTP", "JSONValue", "YAML", "ServingAPI", "ChildProcess"]),
        // Model fetching against real servers on loopback: moto (S3) and scripts/hub_server.py (the Hub's resolve API)
        .testTarget(name: "ModelFetchTests", dependencies: ["ModelFetch", "ModelSource", "HTTP", "TestSupport", "ChildProcess"], exclude: ["Fixtures"]),
        .testTarget(name: "BatchingTests", dependencies: ["Batching", "TestSupport"]),
        .testTarget(
            name: "InferenceServerTests",
            dependencies: [
                "InferenceServer", "InferenceProtocol", "ONNXRuntime", "JSONValue", "Batching", "TestSupport", "SeededRandom",
                "InferenceGRPC", "GRPCPredictV2",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
