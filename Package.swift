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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C shims
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),

        // Foundation layer
        .target(name: "JSONValue"),
        .target(name: "YAML", dependencies: ["CYAML", "JSONValue"]),
        .target(name: "HTTP", dependencies: ["CCurl"]),
        .target(name: "KubeAPI", dependencies: ["JSONValue"]),
        .target(name: "KubeClient", dependencies: ["HTTP", "KubeAPI", "YAML", "JSONValue"]),
        .target(name: "Autoscaling", dependencies: ["HTTP", "JSONValue"]),
        .target(name: "Simulation", dependencies: ["Autoscaling", "JSONValue"]),

        // Executables: argument parsing and wiring only
        .executableTarget(
            name: "inference-operator",
            dependencies: [
                "KubeClient",
                "Autoscaling",
                "Simulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "inference-server",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tests
        .testTarget(name: "JSONValueTests", dependencies: ["JSONValue"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "JSONValue"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "KubeAPI", "HTTP", "JSONValue", "YAML"]),
        .testTarget(name: "AutoscalingTests", dependencies: ["Autoscaling", "HTTP", "JSONValue"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Autoscaling"]),
    ],
    swiftLanguageModes: [.v6]
)
