#!/usr/bin/env bash
# The inference server's throughput goals, measured in interleaved rounds so
# that the machine's drift (on a shared VM, raw ONNX Runtime alone varies by
# 30% between minutes) hits both sides alike. Each round runs, back to back:
# raw ONNX Runtime (Python InferenceSession.run loop) at batch 1, 8, 16 and 32;
# the server with dynamic batching (--max-batch-size $BATCH) at concurrency
# $CONCURRENCY; the same server build with batching off (max 1) at the same
# concurrency. Per round and as medians it prints:
#   throughput  = server batching on / raw ORT at its best batch size   (goal >= 0.90)
#   gain_capture = (on / off - 1) / (raw batch 8 / raw batch 1 - 1)      (goal >= 0.90)
#   vs_any_layout = server batching on / the best of raw ORT above and raw ORT as
#                   $THREADS loops at once on one thread each (batch 4, 8, 16 per loop):
#                   the stricter reference once the server may run batches side by side
#
#   ROUNDS=3 SECONDS_PER=8 BATCH=auto|8|16 CONCURRENCY=32 OUTPUT=binary|json INPUT=json|binary scripts/bench-server-goal.sh
#
# BATCH=auto (the default) is the server with default flags as the operator
# runs it: `inference-server warmup` (no --max-batch-size: it measures the
# model's throughput per batch size and per layout, and chooses) into a
# directory, then `serve --model DIR` with no --max-batch-size and no
# --intra-op-threads (warmup's layout decides both). A number passes
# --max-batch-size to serve. MODEL=path picks another model (default MiniLM);
# SEQ sizes its dynamic dimensions here, in raw ORT and in warmup's probe.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-server.sh
THREADS=${THREADS:-2}
SECONDS_PER=${SECONDS_PER:-8}
ROUNDS=${ROUNDS:-3}
BATCH=${BATCH:-auto}
CONCURRENCY=${CONCURRENCY:-32}
SEQ=${SEQ:-16}
OUTPUT=${OUTPUT:-binary}
INPUT=${INPUT:-json}
WORK=$(mktemp -d)
trap 'kill ${PIDS:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
ensure_server_binaries

HEADER_LENGTH=$($PY scripts/make_infer_request.py --model "$MODEL" --seq "$SEQ" --out "$WORK/request.json" \
    $([ "$OUTPUT" = binary ] && echo --binary-output) $([ "$INPUT" = binary ] && echo --binary-input))
LOAD_HEADERS=()
[ "$INPUT" = binary ] && LOAD_HEADERS=(--header "Inference-Header-Content-Length:$HEADER_LENGTH")
MODEL_PATH=$(realpath "$MODEL")
SERVED_MODEL=$MODEL
if [ "$BATCH" = auto ]; then
    "$BIN/inference-server" warmup --model "$MODEL" --out "$WORK/warm" --probe-dimensions "$SEQ" \
        | tee "$WORK/warmup.log" | sed -n 's/^warmup: \(items\|layouts\)/# warmup: \1/p'
    SERVED_MODEL=$WORK/warm
fi
start_server() {  # port max_batch|auto
    local size=()
    if [ "$2" != auto ]; then size=(--max-batch-size "$2" --intra-op-threads "$THREADS"); fi
    "$BIN/inference-server" serve --model "$SERVED_MODEL" --model-name bench --http-host 127.0.0.1 --http-port "$1" \
        "${size[@]}" --inter-op-threads 1 --max-queue-size 1024 \
        ${SERVER_ARGS:-} > "$WORK/server-$1.log" 2>&1 &
    PIDS="${PIDS:-} $!"
    wait_ready "$1" "$!" "$WORK/server-$1.log" || exit 1
}
PORT_ON=${PORT:-18281}; PORT_OFF=$((PORT_ON + 1))
start_server "$PORT_ON" "$BATCH"
start_server "$PORT_OFF" 1
curl -sf "http://127.0.0.1:$PORT_ON/v2/models/bench" | $PY -c 'import json, sys; b = json.load(sys.stdin)["batching"]; print("# served max_batch_size=%s (%s), %s batch(es) at once on %s intra-op thread(s) (%s)" % (b["max_batch_size"], b["max_batch_size_source"], b["concurrent_batches"], b["intra_op_threads"], b["layout_source"]))'

echo "# model=$(basename "$(dirname "$MODEL")") seq=$SEQ threads=$THREADS batch=$BATCH concurrency=$CONCURRENCY output=$OUTPUT input=$INPUT seconds=$SECONDS_PER rounds=$ROUNDS cores=$(nproc)"

load() {  # port -> throughput_rps
    "$BIN/inference-loadgen" --port "$1" --path /v2/models/bench/infer --body "$WORK/request.json" "${LOAD_HEADERS[@]}" \
        --concurrency "$CONCURRENCY" --seconds "$SECONDS_PER" --warmup 1 --label x | sed -n 's/.*throughput_rps=\([0-9.]*\).*/\1/p'
}
: > "$WORK/rounds"
for round in $(seq "$ROUNDS"); do
    raw=$(cd scripts && ../$PY bench_raw_ort.py --model "$MODEL_PATH" --batch-sizes 1,8,16,32 --seq "$SEQ" --threads "$THREADS" --seconds "$SECONDS_PER")
    r1=$(sed -n 's/^raw_ort batch=1 .*items_per_s=\([0-9.]*\).*/\1/p' <<< "$raw")
    r8=$(sed -n 's/^raw_ort batch=8 .*items_per_s=\([0-9.]*\).*/\1/p' <<< "$raw")
    r16=$(sed -n 's/^raw_ort batch=16 .*items_per_s=\([0-9.]*\).*/\1/p' <<< "$raw")
    r32=$(sed -n 's/^raw_ort batch=32 .*items_per_s=\([0-9.]*\).*/\1/p' <<< "$raw")
    streams=$(cd scripts && ../$PY bench_raw_ort.py --model "$MODEL_PATH" --batch-sizes 4,8,16 --seq "$SEQ" --threads 1 --streams "$THREADS" --seconds "$SECONDS_PER")
    rs=$(sed -n 's/^raw_ort .*items_per_s=\([0-9.]*\).*/\1/p' <<< "$streams" | sort -n | tail -1)
    on=$(load "$PORT_ON")
    off=$(load "$PORT_OFF")
    awk -v round="$round" -v r1="$r1" -v r8="$r8" -v r16="$r16" -v r32="$r32" -v rs="$rs" -v on="$on" -v off="$off" 'BEGIN {
        best = (r8 > r16 ? r8 : r16); best = (r1 > best ? r1 : best); best = (r32 > best ? r32 : best)
        any = (rs > best ? rs : best)
        printf "round %d: raw b1=%.1f b8=%.1f b16=%.1f b32=%.1f side-by-side best=%.1f items/s; server on=%.1f off=%.1f rps; throughput=%.3f gain_capture=%.3f vs_any_layout=%.3f\n",
            round, r1, r8, r16, r32, rs, on, off, on / best, (on / off - 1) / (r8 / r1 - 1), on / any }' | tee -a "$WORK/rounds"
done
median() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$WORK/rounds" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "median over $ROUNDS rounds: throughput=$(median throughput) (goal 0.90) gain_capture=$(median gain_capture) (goal 0.90) vs_any_layout=$(median vs_any_layout)"
for pid in ${PIDS:-}; do echo "server pid $pid rss_mb=$(( $(awk '/^VmRSS/ {print $2}' /proc/$pid/status) / 1024 )) peak_rss_mb=$(( $(awk '/^VmHWM/ {print $2}' /proc/$pid/status) / 1024 ))"; done
