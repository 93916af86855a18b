// swift-tools-version:6.1
// libFuzzer target for the v2 infer request decoder (a separate package so the main
// build never needs -sanitize=fuzzer). Run from this folder:
//   swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//   .build/release/InferRequestFuzz -max_total_time=60 corpus/
import PackageDescription

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
                .product(name: "InferenceServer", package: "inference-operator"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
    ]
)
