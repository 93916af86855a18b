#!/usr/bin/env bash
# The main job, on one machine: the operator against a local Kubernetes API
# server (our test API server), a real Prometheus, and a workload that
# exposes the inference server's latency histogram under a replayed trace.
# Prints each scaling decision as it happens and leaves a report in out/demo.
#
# DEMO_TRACE=path.csv DEMO_SECONDS=150 DEMO_SPEEDUP=20 make demo
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build --show-bin-path)
out=${DEMO_OUT:-out/demo}
trace=${DEMO_TRACE:-../shared/traces/llm_azure2023_conv_ramp_1s.csv}
seconds=${DEMO_SECONDS:-150}
speedup=${DEMO_SPEEDUP:-20}
rm -rf "$out"; mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "== starting the test API server"
"$bin/test-apiserver" --port 0 --port-file "$out/api.port" --kubeconfig "$out/kubeconfig" \
    --simulate-deployments --ready-delay-seconds 5 >"$out/apiserver.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -s "$out/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG=$PWD/$out/kubeconfig

echo "== starting the workload (histogram exporter)"
python3 Tests/OperatorTests/Fixtures/histogram_exporter.py "$out/workload.port" & pids+=($!)
for _ in $(seq 100); do [ -s "$out/workload.port" ] && break; sleep 0.1; done
wport=$(cat "$out/workload.port")

echo "== starting Prometheus (scrape every 1 s)"
pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$out/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: demo
  static_configs:
  - targets: ["127.0.0.1:$wport"]
    labels: {namespace: ml, service: demo-predictor}
YAML
prometheus --config.file="$out/prometheus.yml" --storage.tsdb.path="$out/prometheus-data" \
    --web.listen-address="127.0.0.1:$pport" --log.level=warn >"$out/prometheus.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$pport/-/ready" >/dev/null && break; sleep 0.2; done

echo "== installing the CRD and starting the operator"
kubectl apply -f CRDs/serving.swiftinfer.io_inferenceservices.yaml >/dev/null
kubectl create namespace ml >/dev/null
"$bin/inference-operator" run --prometheus-url "http://127.0.0.1:$pport" --metrics-bind-address 127.0.0.1:0 \
    --port-file "$out/operator.port" --lease-namespace default --log-format text >"$out/operator.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -s "$out/operator.port" ] && break; sleep 0.1; done

echo "== applying an InferenceService"
rate_rule=", requestRate: {capacityPerReplicaRPS: 10}"
[ "${DEMO_MATRIX_ONLY:-}" = 1 ] && rate_rule=""
kubectl apply -f - >/dev/null <<YAML
apiVersion: serving.swiftinfer.io/v1alpha1
kind: InferenceService
metadata: {name: demo, namespace: ml}
spec:
  model: {name: demo, uri: "file:///models/demo.onnx"}
  replicas: {min: 2, max: 12}
  autoscaling:
    intervalSeconds: 3
    # capacityPerReplicaRPS turns on the rate-based improvements over the plain matrix
    # (DEMO_MATRIX_ONLY=1 shows the matrix alone); 10 rps is the demo workload's capacity.
    rules: {latency: {consecutiveIntervals: 3}, idle: {afterSeconds: 30}${rate_rule}}
    scaleDown: {stabilizationWindowSeconds: 30}
    queries:
      p95Latency: 'histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{namespace="{{namespace}}",service="{{name}}-predictor"}[10s])))'
      requestRate: 'sum(rate(inference_request_duration_seconds_count{namespace="{{namespace}}",service="{{name}}-predictor"}[10s]))'
YAML
sleep 3
kubectl get infsvc -n ml
echo "== replaying $(basename "$trace") for ${seconds}s (x$speedup); decisions as they happen:"
python3 scripts/demo_driver.py --trace "$trace" --speedup "$speedup" --duration "$seconds" \
    --workload "http://127.0.0.1:$wport" --kubeconfig "$KUBECONFIG" --out "$out"
echo "== final state"
kubectl get infsvc -n ml
kubectl get events -n ml --field-selector reason=ScaledUp 2>/dev/null | tail -5 || true
echo "operator metrics: $(curl -s "http://127.0.0.1:$(cat "$out/operator.port")/metrics" | grep -c '^operator_') operator_* series"
