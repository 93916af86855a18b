#!/usr/bin/env bash
# gRPC against HTTP binary, same server process, same run: one `inference-server serve` with
# --grpc-port, driven by `inference-loadgen` at each concurrency in turn over HTTP/1.1 with the
# binary tensor extension (one keep-alive connection per worker) and over gRPC (one shared
# HTTP/2 connection, as gRPC clients and perf_analyzer use), alternating within each round so
# the machine's drift hits both alike. Prints per round and the median throughput and p95.
#
#   ROUNDS=3 SECONDS_PER=6 CONCURRENCIES="1 8 32 128" MODEL=path SEQ=16 scripts/bench-grpc.sh
#
# The server runs with default flags (warmup's batch-size choice when BATCH=auto, the default),
# --max-queue-size 1024 so concurrency 128 measures queueing, not refusals.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-server.sh
THREADS=${THREADS:-2}
SECONDS_PER=${SECONDS_PER:-6}
ROUNDS=${ROUNDS:-3}
BATCH=${BATCH:-auto}
SEQ=${SEQ:-16}
CONCURRENCIES=${CONCURRENCIES:-1 8 32 128}
WORK=$(mktemp -d)
trap 'kill ${PIDS:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
ensure_server_binaries

HEADER_LENGTH=$($PY scripts/make_infer_request.py --model "$MODEL" --seq "$SEQ" --out "$WORK/request.bin" --binary-output --binary-input)
$PY scripts/make_infer_request.py --model "$MODEL" --seq "$SEQ" --out "$WORK/request.pb" --grpc --model-name bench
SERVED_MODEL=$MODEL
size=()
if [ "$BATCH" = auto ]; then
    INTRA_OP_THREADS=$THREADS "$BIN/inference-server" warmup --model "$MODEL" --out "$WORK/warm" --probe-dimensions "$SEQ" > "$WORK/warmup.log"
    SERVED_MODEL=$WORK/warm
else
    size=(--max-batch-size "$BATCH")
fi
HTTP_PORT=${PORT:-18381}; GRPC_PORT=$((HTTP_PORT + 1))
"$BIN/inference-server" serve --model "$SERVED_MODEL" --model-name bench --http-host 127.0.0.1 --http-port "$HTTP_PORT" \
    --grpc-port "$GRPC_PORT" "${size[@]}" --intra-op-threads "$THREADS" --inter-op-threads 1 --max-queue-size 1024 \
    ${SERVER_ARGS:-} > "$WORK/server.log" 2>&1 &
PIDS="$!"
wait_ready "$HTTP_PORT" "$!" "$WORK/server.log" || exit 1
batch=$(curl -sf "http://127.0.0.1:$HTTP_PORT/v2/models/bench" | $PY -c 'import json, sys; b = json.load(sys.stdin)["batching"]; print("%s (%s)" % (b["max_batch_size"], b["max_batch_size_source"]))')
echo "# model=$(basename "$(dirname "$MODEL")")/$(basename "$MODEL") seq=$SEQ threads=$THREADS max_batch_size=$batch seconds=$SECONDS_PER rounds=$ROUNDS cores=$(nproc)"

server_ticks() { awk '{ print $14 + $15 }' "/proc/$PIDS/stat"; }
TICK_HZ=$(getconf CLK_TCK)
measure() {  # label, loadgen arguments... -> the loadgen line plus the server's CPU per answered request
    local before after line
    before=$(server_ticks)
    line=$("$BIN/inference-loadgen" --concurrency "$c" --seconds "$SECONDS_PER" --warmup 1 --label "$@")
    after=$(server_ticks)
    awk -v line="$line" -v ticks=$((after - before)) -v hz="$TICK_HZ" 'BEGIN {
        split(line, f, " requests="); split(f[2], g, " "); n = g[1]
        # warm-up requests are served too but not counted: this slightly overstates the cost, alike for both
        printf "%s server_cpu_ms_per_request=%.3f\n", line, (n > 0 ? ticks * 1000 / hz / n : 0) }' | tee -a "$WORK/rounds"
}
: > "$WORK/rounds"
for round in $(seq "$ROUNDS"); do
    for c in $CONCURRENCIES; do
        measure "round=$round protocol=http" --port "$HTTP_PORT" --path /v2/models/bench/infer --body "$WORK/request.bin" \
            --header "Inference-Header-Content-Length:$HEADER_LENGTH"
        measure "round=$round protocol=grpc" --port "$GRPC_PORT" --grpc --body "$WORK/request.pb"
    done
done
echo "# medians over $ROUNDS rounds"
$PY - "$WORK/rounds" "$CONCURRENCIES" <<'PY'
import statistics, sys
rows = [dict(f.split("=", 1) for f in line.split() if "=" in f) for line in open(sys.argv[1])]
for c in sys.argv[2].split():
    for p in ("http", "grpc"):
        mine = [r for r in rows if r["protocol"] == p and r["concurrency"] == c]
        print("median concurrency=%s protocol=%s throughput_rps=%.1f p95_ms=%.1f p99_ms=%.1f errors=%d client_cpu_s=%.2f server_cpu_ms_per_request=%.3f" % (
            c, p, statistics.median(float(r["throughput_rps"]) for r in mine), statistics.median(float(r["p95_ms"]) for r in mine),
            statistics.median(float(r["p99_ms"]) for r in mine), sum(int(r["errors"]) for r in mine),
            statistics.median(float(r["client_cpu_s"]) for r in mine), statistics.median(float(r["server_cpu_ms_per_request"]) for r in mine)))
PY
echo "server rss_mb=$(( $(awk '/^VmRSS/ {print $2}' /proc/$PIDS/status) / 1024 ))"
