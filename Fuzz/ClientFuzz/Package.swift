// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for the client-side parsers: the kubeconfig loader and the
// watch-stream decoder (KubeClient) and the Prometheus response parser
// (Autoscaling). One package, so the three share one instrumented build of
// their dependencies. They only link with `--sanitize=fuzzer` (libFuzzer
// supplies `main`); run them with `scripts/fuzz.sh kubeconfig|watch|prometheus SECONDS`.
let package = Package(
    name: "ClientFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "inference-operator", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "KubeconfigFuzz",
            dependencies: [.product(name: "KubeClient", package: "inference-operator"),
                           .product(name: "YAML", package: "inference-operator")]),
        .executableTarget(
            name: "WatchStreamFuzz",
            dependencies: [.product(name: "KubeClient", package: "inference-operator"),
                           .product(name: "YAML", package: "inference-operator")]),
        .executableTarget(
            name: "PrometheusFuzz",
            dependencies: [.product(name: "Autoscaling", package: "inference-operator"),
                           .product(name: "YAML", package: "inference-operator")]),
    ],
    swiftLanguageModes: [.v6]
)
