// swift-tools-version:6.1
import PackageDescription

// libFuzzer target for the v2 infer request decoder (a separate package so the
// main build never needs -sanitize=fuzzer). Run it with
// `scripts/fuzz.sh infer-request SECONDS`.
let package = Package(
    name: "InferRequestFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "inference-operator", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "InferRequestFuzz",
            dependencies: [
                .product(name: "InferenceProtocol", package: "inference-operator"),
                .product(name: "YAML", package: "inference-operator"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
