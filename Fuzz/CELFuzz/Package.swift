// swift-tools-version:6.1
import PackageDescription

// A libFuzzer target for the CEL module (the rules of CRDs the test API
// server compiles and evaluates). It only links with `--sanitize=fuzzer`
// (libFuzzer supplies `main`); run it with `scripts/fuzz.sh cel SECONDS`.
let package = Package(
    name: "CELFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "inference-operator", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "CELFuzz",
            dependencies: [.product(name: "CEL", package: "inference-operator")]),
    ],
    swiftLanguageModes: [.v6]
)
