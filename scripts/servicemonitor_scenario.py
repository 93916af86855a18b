"""The operator scaling on series Prometheus scraped through our ServiceMonitor, as prometheus-operator would.

Against a running test API server (with the ServiceMonitor CRD), a real Prometheus started
with `--web.enable-lifecycle` on --prometheus-config, and the operator started with
`--service-monitors --service-monitor-labels release=prometheus` and that Prometheus as its
`--prometheus-url`:

1. scripts/local_node.py plays kubelet, kube-proxy and the endpoints controller (Endpoints
   objects for every Service). Its file_sd targets are written to a file no Prometheus reads.
2. scripts/servicemonitor_scrape.py plays prometheus-operator for a Prometheus whose
   serviceMonitorSelector is `release: prometheus`: it writes the scrape jobs
   prometheus-operator generates from the ServiceMonitors and reloads Prometheus, and
   serves kubernetes SD's `role: endpoints` targets over HTTP SD.
3. InferenceService `demo` (1 replica, max 3) serves a model through a batcher that holds
   each request up to 120 ms, against a latency threshold of 60 ms for 2 intervals. A
   decoy Service `decoy` selects the same pods but not the ServiceMonitor's labels.
4. Clients send --rate requests/s through the predictor Service. The operator can only
   see latency through the series the generated job produced, grouped by the `namespace`
   and `service` labels its relabeling rules set.

5. With --helm and --operator-metrics-port: the chart's own ServiceMonitor for the operator
   (`serviceMonitor.enabled`, honorLabels: true) and its metrics Service, rendered by
   `helm template`, are applied in inference-system, with the Pod and Endpoints a cluster
   would have for the operator process on that port.

Checked: the generated job exists; the series carry namespace/service/pod/endpoint/job from
the relabeling; the decoy Service's targets are dropped; the operator scales 1 -> 3 by the
latency rule with a reason naming the p95 it read; Prometheus scrapes the new pods too;
with 5., the operator's per-object series keep their own namespace/name/service labels
(honorLabels) and join the server's series `on (namespace, service)` as the alerts do.
Writes OUT/report.json and exits 1 when a check fails.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canary_scenario import Clients, wait  # noqa: E402
from local_node import Api, Node  # noqa: E402
from servicemonitor_scrape import EndpointsDiscovery, PrometheusOperator  # noqa: E402

NAMESPACE, NAME = "ml", "demo"
OBJECT = f"/apis/serving.swiftinfer.io/v1alpha1/namespaces/{NAMESPACE}/inferenceservices/{NAME}"


def log(message):
    print(message, flush=True)


def query(prometheus, promql):
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())["data"]["result"]


def targets(prometheus):
    with urllib.request.urlopen(f"{prometheus}/api/v1/targets", timeout=10) as response:
        return json.loads(response.read())["data"]


def chart_objects(helm):
    """The chart's operator ServiceMonitor, metrics Service and Deployment (`helm template`)."""
    import tempfile

    import yaml
    home = tempfile.mkdtemp(prefix="helm-home-")
    env = dict(os.environ, KUBECONFIG="/dev/null",
               **{k: os.path.join(home, k) for k in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")})
    chart = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "charts", "inference-operator")
    rendered = subprocess.run([helm, "template", "inference-operator", chart, "--namespace", "inference-system",
                               "--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.labels.release=prometheus",
                               "--set", "serviceMonitor.interval=1s", "--set", "serviceMonitor.scrapeTimeout=1s"],
                              capture_output=True, text=True, env=env, check=True).stdout
    documents = [d for d in yaml.safe_load_all(rendered) if d]
    return {kind: next(d for d in documents if d["kind"] == kind) for kind in ("ServiceMonitor", "Service", "Deployment")}


def apply_operator_monitoring(api, helm, metrics_port):
    """The chart's monitoring objects for the operator, and the Pod and Endpoints a cluster
    would have for it (the operator runs as a local process on `metrics_port`)."""
    chart = chart_objects(helm)
    namespace = "inference-system"
    api.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    template = chart["Deployment"]["spec"]["template"]
    pod_spec = json.loads(json.dumps(template["spec"]))
    for container in pod_spec.get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == "metrics":
                port["containerPort"] = metrics_port
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "inference-operator-0", "namespace": namespace, "labels": template["metadata"]["labels"]},
           "spec": pod_spec}
    api.create(f"/api/v1/namespaces/{namespace}/pods", pod)
    api.merge_patch(f"/api/v1/namespaces/{namespace}/pods/inference-operator-0/status",
                    {"status": {"phase": "Running", "podIP": "127.0.0.1", "hostIP": "127.0.0.1",
                                "conditions": [{"type": "Ready", "status": "True"}]}})
    service = chart["Service"]
    api.create(f"/api/v1/namespaces/{namespace}/services", service)
    api.create(f"/api/v1/namespaces/{namespace}/endpoints", {
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": service["metadata"]["name"], "namespace": namespace, "labels": service["metadata"]["labels"]},
        "subsets": [{"addresses": [{"ip": "127.0.0.1", "targetRef": {"kind": "Pod", "name": "inference-operator-0",
                                                                     "namespace": namespace}}],
                     "ports": [{"name": "metrics", "port": metrics_port, "protocol": "TCP"}]}]})
    monitor = chart["ServiceMonitor"]
    api.create(f"/apis/monitoring.coreos.com/v1/namespaces/{namespace}/servicemonitors", monitor)
    return f"serviceMonitor/{namespace}/{monitor['metadata']['name']}/0"


def spec(model, interval):
    return {"model": {"name": "scale", "uri": f"file://{model}"},
            "replicas": {"min": 1, "max": 3, "manual": 1},
            "batching": {"maxBatchSize": 64, "maxQueueDelayMs": 120},
            "autoscaling": {"mode": "Active", "intervalSeconds": interval,
                            "rules": {"latency": {"thresholdMs": 60, "consecutiveIntervals": 2, "step": 2, "cap": 3}}},
            "warmup": {"enabled": False}}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--api", required=True)
    p.add_argument("--prometheus", required=True, help="the Prometheus URL (started with --web.enable-lifecycle)")
    p.add_argument("--prometheus-config", required=True, help="the configuration file that Prometheus reads")
    p.add_argument("--server", required=True, help="inference-server binary")
    p.add_argument("--server-flag", action="append", default=[])
    p.add_argument("--models", required=True, help="directory with scale.onnx")
    p.add_argument("--out", required=True)
    p.add_argument("--interval", type=int, default=2)
    p.add_argument("--rate", type=float, default=20)
    p.add_argument("--helm", help="helm binary: also scrape the operator through the chart's ServiceMonitor")
    p.add_argument("--operator-metrics-port", type=int, help="the operator process' metrics port (with --helm)")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    api = Api(a.api)
    checks = []
    report = {"checks": checks}

    def check(name, ok, detail):
        checks.append({"name": name, "ok": bool(ok), "detail": detail})
        log(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")

    unread = os.path.join(a.out, "file-sd-nobody-reads.json")
    node = Node(api, NAMESPACE, a.server, a.server_flag, unread, os.path.join(a.out, "node"), log=log).start()
    discovery = EndpointsDiscovery(api)
    sd_url = discovery.serve()
    operator = PrometheusOperator(api, a.prometheus, a.prometheus_config, sd_url, {"release": "prometheus"}, log=log).start()
    clients = None
    try:
        model = os.path.join(os.path.abspath(a.models), "scale.onnx")
        api.create(OBJECT.rsplit("/", 1)[0], {"apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
                                              "metadata": {"name": NAME, "namespace": NAMESPACE},
                                              "spec": spec(model, a.interval)})
        job = f"serviceMonitor/{NAMESPACE}/{NAME}-predictor/0"
        jobs = [job]
        if a.helm:
            jobs.append(apply_operator_monitoring(api, a.helm, a.operator_metrics_port))
        generated = wait(lambda: all(j in operator.jobs for j in jobs), 60, f"the jobs {jobs}")
        check("prometheus-operator's jobs for our ServiceMonitors are loaded", generated, f"jobs {operator.jobs}")
        if not generated:
            return 1
        predictor = api.get(f"/api/v1/namespaces/{NAMESPACE}/services/{NAME}-predictor")
        decoy = {"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "decoy", "namespace": NAMESPACE, "labels": {"app": "decoy"}},
                 "spec": {"selector": predictor["spec"]["selector"], "ports": predictor["spec"]["ports"]}}
        api.create(f"/api/v1/namespaces/{NAMESPACE}/services", decoy)
        ready = wait(lambda: any(p["ready"] for p in node.state()["pods"]), 120, "the first pod")
        check("the predictor's first pod is ready", ready, json.dumps(node.state()["pods"]))
        if not ready:
            return 1
        clients = Clients(node.proxy(f"{NAME}-predictor").port, a.rate, 0).start()
        start = time.time()
        log(f"== {a.rate:g} req/s through {NAME}-predictor; the batcher holds requests up to 120 ms, threshold 60 ms")

        selector = f'{{namespace="{NAMESPACE}", service="{NAME}-predictor"}}'
        series = []

        def scraped():
            series[:] = query(a.prometheus, f"inference_request_duration_seconds_count{selector}")
            return bool(series)
        wait(scraped, 60, "scraped series")
        labels = series[0]["metric"] if series else {}
        report["series_labels"] = labels
        check("the series carry the labels the relabeling sets",
              labels.get("job") == f"{NAME}-predictor" and labels.get("endpoint") == "http"
              and labels.get("pod", "").startswith(f"{NAME}-predictor-") and labels.get("container") == "server"
              and labels.get("namespace") == NAMESPACE, json.dumps(labels))

        decisions = []

        def scaled():
            status = (api.get(OBJECT) or {}).get("status") or {}
            decisions[:] = [d for d in status.get("recentDecisions") or [] if d.get("to", 0) > d.get("from", 0)]
            return any(d.get("rule") == "latency" for d in decisions)
        up = wait(scaled, 90, "a scale-up by the latency rule")
        report["scale_up_seconds"] = round(time.time() - start, 1)
        report["decisions"] = decisions
        latency = next((d for d in decisions if d.get("rule") == "latency"), {})
        check("the operator scales up on the p95 it read through the ServiceMonitor's series",
              up and latency.get("from") == 1 and latency.get("to") == 3 and "p95" in latency.get("reason", ""),
              json.dumps(decisions))
        for d in decisions:
            log(f"   decision {d.get('from')} -> {d.get('to')} rule={d.get('rule')}: {d.get('reason')}")

        def all_scraped():
            pods = {s["metric"].get("pod") for s in query(a.prometheus, f"up{selector} == 1")}
            report["scraped_pods"] = sorted(pods)
            return len(pods) >= 3
        check("the new pods are scraped too", wait(all_scraped, 60, "three scraped pods"),
              f"pods scraped {report.get('scraped_pods')}")

        if a.helm:
            # The operator's series about `demo`, scraped through the chart's ServiceMonitor:
            # honorLabels keeps their namespace/service (else exported_namespace/exported_service).
            own = []

            def operator_series():
                own[:] = query(a.prometheus, f'operator_desired_replicas{{name="{NAME}"}}')
                return bool(own)
            wait(operator_series, 60, "the operator's series")
            labels = own[0]["metric"] if own else {}
            report["operator_series_labels"] = labels
            check("the operator's series keep their namespace and service (honorLabels)",
                  labels.get("namespace") == NAMESPACE and labels.get("name") == NAME
                  and labels.get("job") == "inference-operator-metrics" and "exported_namespace" not in labels,
                  json.dumps(labels))
            joined = query(a.prometheus, 'operator_max_replicas * on (namespace, service) group_left '
                                         'sum by (namespace, service) (rate(inference_request_duration_seconds_count[1m]))')
            report["joined"] = [j["metric"] for j in joined]
            check("the operator's and the server's series join on (namespace, service) as the alerts join them",
                  any(j["metric"].get("service") == f"{NAME}-predictor" for j in joined), json.dumps(report["joined"]))

        state = targets(a.prometheus)
        decoy_dropped = [t for t in state.get("droppedTargets", [])
                         if t.get("discoveredLabels", {}).get("__meta_kubernetes_service_name") == "decoy"]
        decoy_active = [t for t in state.get("activeTargets", []) if t.get("labels", {}).get("service") == "decoy"]
        report["decoy"] = {"dropped": len(decoy_dropped), "active": len(decoy_active)}
        check("the decoy Service's endpoints are discovered and dropped by the selector's keep rule",
              decoy_dropped and not decoy_active, json.dumps(report["decoy"]))
        return 0 if all(c["ok"] for c in checks) else 1
    finally:
        if clients is not None:
            clients.stop()
        operator.stop()
        node.stop()
        discovery.close()
        with open(os.path.join(a.out, "report.json"), "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
