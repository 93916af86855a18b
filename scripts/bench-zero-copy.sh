#!/usr/bin/env bash
# Zero-copy benchmark: per-request heap allocations and server copies by tensor size, through
# decode -> dynamic batch -> ONNX Runtime -> output slices -> encode (no HTTP), with the binary
# tensor extension in and out. Allocations are counted by ordo-one/malloc-interposer (preloaded).
#
#   scripts/bench-zero-copy.sh [--batch 8] [--iterations 50] [--sizes 1024,16384,262144,1048576,4194304]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
[ -x "$BIN/server-bench" ] || swift build -c release --product server-bench
MODELS=$(mktemp -d)
trap 'rm -rf "$MODELS"' EXIT
.venv/bin/python Tests/ONNXRuntimeTests/Fixtures/make_models.py "$MODELS"
LD_PRELOAD="$PWD/$BIN/libMallocInterposerSwift.so" "$BIN/server-bench" --model "$MODELS/scale.onnx" "$@"
