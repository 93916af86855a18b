// swift-tools-version:6.1
import PackageDescription

// A libFuzzer target for the YAML module. It only links with
// `--sanitize=fuzzer` (libFuzzer supplies `main`); run it with
// `scripts/fuzz.sh yaml SECONDS`. Kept out of the main package so that
// `swift build` and `swift test` there never see it.
let package = Package(
    name: "YAMLFuzz",
    dependencies: [
        .package(name: "inference-operator", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "YAMLFuzz",
            dependencies: [.product(name: "YAML", package: "inference-operator")]),
    ],
    swiftLanguageModes: [.v6]
)
