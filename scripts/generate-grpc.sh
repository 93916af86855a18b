#!/usr/bin/env bash
# Generates the Swift messages and gRPC service stubs for the Open Inference Protocol's gRPC
# service (proto/grpc_predict_v2.proto) with swift-protobuf's and grpc-swift-protobuf's protoc
# plugins, built from the package mirror in a scratch package (.build-grpcgen/, ignored by git).
# The generated files are committed in Sources/GRPCPredictV2, so neither CI nor `make test` builds
# the plugins; rerun this after editing the .proto:
#   scripts/generate-grpc.sh Sources/GRPCPredictV2     (default OUT_DIR: out/grpc-generated)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/grpc-generated}
SCRATCH=.build-grpcgen
if ! command -v protoc >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends protobuf-compiler >/dev/null 2>&1 \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends protobuf-compiler >/dev/null; }
fi
mkdir -p "$SCRATCH/Sources/none" "$OUT"
cat > "$SCRATCH/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "grpcgen",
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [.executableTarget(name: "none", path: "Sources/none")]
)
SWIFT
echo 'print("plugins only")' > "$SCRATCH/Sources/none/main.swift"
swift build --package-path "$SCRATCH" --product protoc-gen-grpc-swift-2 >/dev/null
swift build --package-path "$SCRATCH" --product protoc-gen-swift >/dev/null
BIN=$SCRATCH/.build/debug
protoc --proto_path=proto \
    --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" --plugin=protoc-gen-grpc-swift="$BIN/protoc-gen-grpc-swift-2" \
    --swift_out="$OUT" --swift_opt=Visibility=Public \
    --grpc-swift_out="$OUT" --grpc-swift_opt=Visibility=Public,Server=true,Client=true \
    proto/grpc_predict_v2.proto
echo "generated: $(ls "$OUT"/*.swift | tr '\n' ' ')(protoc $(protoc --version | cut -d' ' -f2))"
