// swift-tools-version:6.1
import PackageDescription

// libFuzzer target for the gRPC ModelInferRequest decoder (protobuf parsing, then
// GRPCInferDecoder). A separate package so the main build never needs -sanitize=fuzzer.
// Run it with `scripts/fuzz.sh grpc-infer SECONDS`.
let package = Package(
    name: "GRPCInferFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "inference-operator", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "GRPCInferFuzz",
            dependencies: [
                .product(name: "InferenceGRPC", package: "inference-operator"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
