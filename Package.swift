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
        // For Fuzz/InferRequestFuzz, which links the request decoder.
        .library(name: "InferenceServer", targets: ["InferenceServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        // C shims
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // ONNX Runtime's C API, declared from the upstream header's ABI order; the library is dlopen'ed.
        .systemLibrary(name: "CONNXRuntime"),

        // Foundation layer
        .target(name: "JSONValue"),
        .target(name: "YAML", dependencies: ["CYAML", "JSONValue"]),
        .target(name: "HTTP", dependencies: ["CCurl"]),
        .target(name: "KubeAPI", dependencies: ["JSONValue"]),
        .target(name: "KubeClient", dependencies: ["HTTP", "KubeAPI", "YAML", "JSONValue"]),

        // Inference server
        .target(name: "ONNXRuntime", dependencies: ["CONNXRuntime"]),
        .target(name: "Batching"),
        .target(
            name: "InferenceServer",
            dependencies: [
                "ONNXRuntime", "Batching", "JSONValue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),

        // Executables: argument parsing and wiring only
        .executableTarget(
            name: "inference-operator",
            dependencies: [
                "KubeClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "inference-server",
            dependencies: [
                "InferenceServer", "ONNXRuntime",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Closed-loop HTTP load generator for the server benchmarks (scripts/benchmark-server.sh).
        .executableTarget(
            name: "inference-loadgen",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tests
        .testTarget(name: "JSONValueTests", dependencies: ["JSONValue"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "JSONValue"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "KubeAPI", "HTTP", "JSONValue", "YAML"]),
        .testTarget(name: "ONNXRuntimeTests", dependencies: ["ONNXRuntime"], exclude: ["Fixtures"]),
        .testTarget(name: "BatchingTests", dependencies: ["Batching"]),
        .testTarget(
            name: "InferenceServerTests",
            dependencies: [
                "InferenceServer", "ONNXRuntime", "JSONValue", "Batching",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
