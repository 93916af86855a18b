#!/usr/bin/env bash
# A/B of the server's run layout on one model, loads alternating so the machine's drift hits
# both: the server with default flags after `warmup` (warmup's measured layout and batch size)
# against one batch at a time on $THREADS intra-op threads with --max-batch-size $B.
#
#   scripts/bench-layout-ab.sh MODEL SEQ        e.g. MODEL=.../ch_ppocr_mobile_v2.0_cls_infer.onnx SEQ=48,192
#   INPUT=binary|json ROUNDS=4 SECONDS_PER=6 B=8 THREADS=2 CONCURRENCY=32
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-server.sh
MODEL=$1; SEQ=$2
INPUT=${INPUT:-binary}; ROUNDS=${ROUNDS:-4}; SECONDS_PER=${SECONDS_PER:-6}; B=${B:-8}; THREADS=${THREADS:-2}; CONCURRENCY=${CONCURRENCY:-32}
WORK=$(mktemp -d)
trap 'kill ${PIDS:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
ensure_server_binaries
HEADER_LENGTH=$($PY scripts/make_infer_request.py --model "$MODEL" --seq "$SEQ" --out "$WORK/request.json" --binary-output \
    $([ "$INPUT" = binary ] && echo --binary-input))
LOAD_HEADERS=()
[ "$INPUT" = binary ] && LOAD_HEADERS=(--header "Inference-Header-Content-Length:$HEADER_LENGTH")
"$BIN/inference-server" warmup --model "$MODEL" --out "$WORK/warm" --probe-dimensions "$SEQ" | sed -n 's/^warmup: /# warmup: /p'
start() {  # port, extra flags...
    local port=$1; shift
    "$BIN/inference-server" serve --model "$WORK/warm" --model-name bench --http-host 127.0.0.1 --http-port "$port" \
        --inter-op-threads 1 --max-queue-size 1024 "$@" > "$WORK/server-$port.log" 2>&1 &
    PIDS="${PIDS:-} $!"
    wait_ready "$port" "$!" "$WORK/server-$port.log" || exit 1
}
PORT_A=${PORT:-18291}; PORT_B=$((PORT_A + 1))
start "$PORT_A"
start "$PORT_B" --max-batch-size "$B" --intra-op-threads "$THREADS"
load() {
    "$BIN/inference-loadgen" --port "$1" --path /v2/models/bench/infer --body "$WORK/request.json" "${LOAD_HEADERS[@]}" \
        --concurrency "$CONCURRENCY" --seconds "$SECONDS_PER" --warmup 1 --label x \
        | sed -n 's/.*throughput_rps=\([0-9.]*\).*p95_ms=\([0-9.]*\).*/\1 rps, p95 \2 ms/p'
}
for round in $(seq "$ROUNDS"); do
    echo "round $round: warmup's layout $(load "$PORT_A") | one batch of $B on $THREADS threads $(load "$PORT_B")"
done
