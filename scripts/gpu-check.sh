#!/usr/bin/env bash
# The server's GPU path, on a machine with an NVIDIA GPU:
#   1. serve on ONNX Runtime's CUDA execution provider (the "model ready" log line says cuda=true);
#   2. the NVML gauge: /metrics carries inference_gpu_utilization{gpu="0"};
#   3. the seed's batching comparison on the GPU: batching off (max batch 1) against on
#      (max batch $BATCH), throughput and p99 at each concurrency, same server build.
#
#   ORT_GPU_LIBRARY=/path/libonnxruntime.so CONCURRENCY="8 32 128" SECONDS_PER=10 scripts/gpu-check.sh
#
# ONNX Runtime with CUDA: ORT_GPU_LIBRARY, else the onnxruntime-gpu wheel in .venv-gpu (or .venv).
# Without an NVIDIA GPU it prints "gpu-check: skipped: ..." and exits 0, so `make test` runs it
# everywhere; with a GPU but no CUDA-enabled ONNX Runtime it fails and says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "gpu-check: skipped: $*"; exit 0; }
fail() { echo "gpu-check: FAILED: $*" >&2; exit 1; }

command -v nvidia-smi >/dev/null 2>&1 || skip "no NVIDIA GPU on this machine (nvidia-smi not found)"
GPUS=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
[ "$GPUS" -gt 0 ] || skip "no NVIDIA GPU on this machine (nvidia-smi lists none)"

source scripts/lib-server.sh
BATCH=${BATCH:-8}
SECONDS_PER=${SECONDS_PER:-10}
CONCURRENCY=${CONCURRENCY:-"8 32 128"}
SEQ=${SEQ:-16}
PORT=${PORT:-18381}

find_gpu_library() {
    if [ -n "${ORT_GPU_LIBRARY:-}" ]; then echo "$ORT_GPU_LIBRARY"; return; fi
    for venv in .venv-gpu .venv; do
        [ -x "$venv/bin/python" ] || continue
        if "$venv/bin/python" -c 'import onnxruntime as o, sys; sys.exit(0 if "CUDAExecutionProvider" in o.get_available_providers() else 1)' 2>/dev/null; then
            ls "$venv"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so* 2>/dev/null | head -1
            return 0
        fi
    done
    return 0
}
LIBRARY=$(find_gpu_library)
[ -n "$LIBRARY" ] && [ -f "$LIBRARY" ] || fail "$GPUS GPU(s) found but no ONNX Runtime with the CUDA execution provider: \
python3 -m venv .venv-gpu && .venv-gpu/bin/pip install onnxruntime-gpu numpy (or set ORT_GPU_LIBRARY)"
# The CUDA provider's own shared library and the CUDA/cuDNN libraries the wheel ships sit beside it.
export LD_LIBRARY_PATH="$(dirname "$LIBRARY"):${LD_LIBRARY_PATH:-}"

ensure_server_binaries
WORK=$(mktemp -d)
trap 'kill ${PIDS:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
$PY scripts/make_infer_request.py --model "$MODEL" --seq "$SEQ" --out "$WORK/request.json"

echo "# $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1); ORT $LIBRARY; model $MODEL"
start_server() {  # port max_batch
    "$BIN/inference-server" serve --model "$MODEL" --model-name gpu --http-host 127.0.0.1 --http-port "$1" \
        --max-batch-size "$2" --use-cuda true --ort-library "$LIBRARY" --max-queue-size 4096 > "$WORK/server-$1.log" 2>&1 &
    PIDS="${PIDS:-} $!"
    wait_ready "$1" "$!" "$WORK/server-$1.log" || fail "the server did not become ready (log above)"
    grep -q 'cuda=true' "$WORK/server-$1.log" \
        || { cat "$WORK/server-$1.log"; fail "the server did not load the model on the CUDA execution provider"; }
}
start_server "$PORT" "$BATCH"
start_server $((PORT + 1)) 1
echo "cuda: the model runs on the CUDA execution provider (both servers)"

load() {  # port concurrency label
    "$BIN/inference-loadgen" --port "$1" --path /v2/models/gpu/infer --body "$WORK/request.json" \
        --concurrency "$2" --seconds "$SECONDS_PER" --warmup 2 --label "$3"
}
printf '%-12s %-12s %12s %10s %10s\n' concurrency batching throughput_rps p50_ms p99_ms
for c in $CONCURRENCY; do
    for side in off on; do
        port=$PORT; [ "$side" = off ] && port=$((PORT + 1))
        line=$(load "$port" "$c" "$side")
        printf '%-12s %-12s %12s %10s %10s\n' "$c" "$side (max $([ "$side" = on ] && echo "$BATCH" || echo 1))" \
            "$(sed -n 's/.*throughput_rps=\([0-9.]*\).*/\1/p' <<< "$line")" \
            "$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<< "$line")" \
            "$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<< "$line")"
    done
done
metrics=$(curl -sf "http://127.0.0.1:$PORT/metrics")
grep '^inference_gpu_utilization' <<< "$metrics" || fail "/metrics has no inference_gpu_utilization (NVML not loaded?)"
echo "gpu-check: passed"
