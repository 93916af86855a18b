#!/usr/bin/env python3
"""Operator benchmark: N InferenceServices against the test API server, a
real Prometheus (no targets: every signal reads "no data"), and the
operator as its own process. Prints: time from start to all Deployments
applied; API writes per interval in steady state (goal 0); Prometheus
queries per interval (goal: one per signal); operator RSS (goal <= 150 MB);
reconcile p99 from the operator's own histogram.

With --churn SECONDS it then churns the objects for that long (spec edits
that change the Deployment, deletes, re-creates at --churn-rate operations/s)
and prints: operations done, the operator's peak RSS, reconcile errors, and
the time until everything converged again (every InferenceService observed
at its generation, its Deployment carrying the last edit, no Deployment left
over from a deleted one).

Usage: bench_operator.py BIN_DIR [--objects 1000] [--interval 5] [--steady-intervals 4] [--churn 60] [--churn-rate 50]
       [--max-reconcile-errors N] [--convergence-timeout S]
"""
import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_file(path, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return open(path).read().strip()
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {path}")


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", "User-Agent": "bench"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")


def merge_patch(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="PATCH",
                                 headers={"Content-Type": "application/merge-patch+json", "User-Agent": "bench"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")


def isvc_body(i, interval):
    return {"apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
            "metadata": {"name": f"model-{i}", "namespace": "bench"},
            "spec": {"model": {"name": f"m{i}", "uri": "file:///models/m.onnx"},
                     "autoscaling": {"intervalSeconds": interval, "rules": {"idle": {"afterSeconds": max(300, interval)}}}}}


def reconcile_errors(metrics):
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("controller_runtime_reconcile_errors_total"))


def churn(a, base, op, mport):
    """Edits, deletes and re-creates InferenceServices at a.churn_rate/s for a.churn seconds, then waits for convergence."""
    isvcs = f"{base}/apis/serving.swiftinfer.io/v1alpha1/namespaces/bench/inferenceservices"
    rng = random.Random(7)
    present = set(range(a.objects))
    cpu = {}                     # index -> last cpu request written
    ops = {"edit": 0, "delete": 0, "create": 0}
    errors_before = reconcile_errors(urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=10).read().decode())
    peak = rss_mb(op.pid)
    start = time.time()
    n = 0
    while time.time() - start < a.churn:
        i = rng.randrange(a.objects)
        roll = rng.random()
        if i not in present:
            http("POST", isvcs, isvc_body(i, a.interval)); present.add(i); cpu.pop(i, None); ops["create"] += 1
        elif roll < 0.8:
            value = f"{rng.randrange(100, 2000)}m"
            merge_patch(f"{isvcs}/model-{i}", {"spec": {"resources": {"cpu": value}}}); cpu[i] = value; ops["edit"] += 1
        else:
            http("DELETE", f"{isvcs}/model-{i}"); present.discard(i); cpu.pop(i, None); ops["delete"] += 1
        n += 1
        if n % 25 == 0:
            peak = max(peak, rss_mb(op.pid))
        delay = start + n / a.churn_rate - time.time()
        if delay > 0:
            time.sleep(delay)
    took = time.time() - start
    print(f"churn: {sum(ops.values())} operations in {took:.1f} s ({sum(ops.values()) / took:.0f}/s): {ops}; "
          f"{len(present)} InferenceServices remain", flush=True)
    t1 = time.time()
    while True:
        peak = max(peak, rss_mb(op.pid))
        items = http("GET", isvcs)["items"]
        deps = {d["metadata"]["name"]: d for d in http("GET", f"{base}/apis/apps/v1/namespaces/bench/deployments")["items"]}
        names = {o["metadata"]["name"] for o in items}
        lagging = [o["metadata"]["name"] for o in items
                   if (o.get("status") or {}).get("observedGeneration") != o["metadata"].get("generation")]
        missing = [nm for nm in names if f"{nm}-predictor" not in deps]
        leftover = [d for d in deps if d.removesuffix("-predictor") not in names]
        stale = []
        for i, value in cpu.items():
            d = deps.get(f"model-{i}-predictor")
            got = d and d["spec"]["template"]["spec"]["containers"][0].get("resources", {}).get("requests", {}).get("cpu")
            if got != value:
                stale.append(i)
        if not (lagging or missing or leftover or stale):
            break
        if time.time() - t1 > a.convergence_timeout:
            raise SystemExit(f"not converged after {a.convergence_timeout:.0f} s: lagging {len(lagging)}, missing {len(missing)}, "
                             f"leftover {len(leftover)}, stale {len(stale)}")
        time.sleep(1)
    if op.poll() is not None:
        raise SystemExit(f"the operator exited during churn ({op.returncode})")
    errors = reconcile_errors(urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=10).read().decode()) - errors_before
    print(f"churn converged {time.time() - t1:.1f} s after it stopped: {len(names)} InferenceServices observed at their "
          f"generation, {len(cpu)} edits on their Deployments, no leftover Deployment; reconcile errors {errors:.0f}; "
          f"operator RSS now {rss_mb(op.pid):.1f} MB, peak seen {peak:.1f} MB", flush=True)
    if a.max_reconcile_errors is not None and errors > a.max_reconcile_errors:
        raise SystemExit(f"{errors:.0f} reconcile errors during churn (at most {a.max_reconcile_errors} allowed); see the operator log")


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def histogram_quantile(metrics, name, q):
    buckets = []
    for line in metrics.splitlines():
        if line.startswith(name + "_bucket"):
            le = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
    merged = {}
    for le, c in buckets:
        merged[le] = merged.get(le, 0) + c
    items = sorted(merged.items())
    if not items or items[-1][1] == 0:
        return None
    total = items[-1][1]
    for le, c in items:
        if c >= q * total:
            return le
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bin")
    p.add_argument("--objects", type=int, default=1000)
    p.add_argument("--interval", type=int, default=5)
    p.add_argument("--steady-intervals", type=int, default=4)
    p.add_argument("--churn", type=float, default=0, help="seconds of churn after the steady-state figures (0: none)")
    p.add_argument("--churn-rate", type=float, default=50, help="churn operations per second")
    p.add_argument("--max-reconcile-errors", type=int, default=None,
                   help="fail (exit 1) when churn causes more reconcile errors than this")
    p.add_argument("--convergence-timeout", type=float, default=600, help="seconds churn may take to converge")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="bench-operator-")
    procs = []
    try:
        api = subprocess.Popen([f"{a.bin}/test-apiserver", "--port", "0", "--port-file", f"{work}/api.port",
                                "--kubeconfig", f"{work}/kubeconfig", "--simulate-deployments"],
                               stdout=open(f"{work}/api.log", "w"), stderr=subprocess.STDOUT)
        procs.append(api)
        base = f"http://127.0.0.1:{wait_file(f'{work}/api.port')}"
        wait_file(f"{work}/kubeconfig")
        pport = free_port()
        with open(f"{work}/prometheus.yml", "w") as f:
            f.write(f"global: {{scrape_interval: 15s, query_log_file: {work}/queries.log}}\nscrape_configs: []\n")
        prom = subprocess.Popen(["prometheus", f"--config.file={work}/prometheus.yml", f"--storage.tsdb.path={work}/prom",
                                 f"--web.listen-address=127.0.0.1:{pport}", "--log.level=warn"],
                                stdout=open(f"{work}/prom.log", "w"), stderr=subprocess.STDOUT)
        procs.append(prom)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{pport}/-/ready", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        crd = subprocess.run(["kubectl", "--kubeconfig", f"{work}/kubeconfig", "apply", "-f",
                              "CRDs/serving.swiftinfer.io_inferenceservices.yaml"], capture_output=True, text=True)
        if crd.returncode != 0:
            raise SystemExit(crd.stderr)
        http("POST", f"{base}/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
        t0 = time.time()
        for i in range(a.objects):
            http("POST", f"{base}/apis/serving.swiftinfer.io/v1alpha1/namespaces/bench/inferenceservices", isvc_body(i, a.interval))
        print(f"created {a.objects} InferenceServices in {time.time() - t0:.1f} s (before the operator starts)", flush=True)

        op = subprocess.Popen([f"{a.bin}/inference-operator", "run", "--kubeconfig", f"{work}/kubeconfig",
                               "--prometheus-url", f"http://127.0.0.1:{pport}", "--metrics-bind-address", "127.0.0.1:0",
                               "--port-file", f"{work}/op.port", "--lease-namespace", "default", "--log-level", "warning"],
                              stdout=open(f"{work}/operator.log", "w"), stderr=subprocess.STDOUT)
        procs.append(op)
        start = time.time()
        mport = wait_file(f"{work}/op.port")
        while True:
            n = len(http("GET", f"{base}/apis/apps/v1/namespaces/bench/deployments")["items"])
            if n >= a.objects:
                break
            if time.time() - start > 600:
                raise SystemExit(f"only {n} Deployments after 600 s")
            time.sleep(0.5)
        applied = time.time() - start
        print(f"all {a.objects} Deployments applied {applied:.1f} s after the operator started", flush=True)

        # Let status settle (first scaling pass writes conditions), then measure.
        time.sleep(3 * a.interval)
        http("DELETE", f"{base}/testapi/requests")
        queries_before = sum(1 for _ in open(f"{work}/queries.log")) if os.path.exists(f"{work}/queries.log") else 0
        window = a.steady_intervals * a.interval
        time.sleep(window)
        log = http("GET", f"{base}/testapi/requests")["items"]
        writes = [r for r in log if r["userAgent"].startswith("inference-operator")
                  and r["verb"] in ("create", "update", "patch", "delete") and r["resource"] not in ("leases",)]
        queries = (sum(1 for _ in open(f"{work}/queries.log")) if os.path.exists(f"{work}/queries.log") else 0) - queries_before
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=10).read().decode()
        p99 = histogram_quantile(metrics, "controller_runtime_reconcile_time_seconds", 0.99)
        print(f"steady state over {a.steady_intervals} intervals of {a.interval} s: {len(writes)} API writes "
              f"({len(writes) / a.steady_intervals:.1f} per interval); lease renewals excluded", flush=True)
        if writes:
            print("  e.g.", writes[:3], flush=True)
        print(f"Prometheus queries: {queries} in {a.steady_intervals} intervals = {queries / a.steady_intervals:.1f} per interval "
              f"(one batched query per signal per pass: p95 and request rate; GPU utilisation only when an object has GPUs)", flush=True)
        print(f"operator RSS: {rss_mb(op.pid):.1f} MB with {a.objects} InferenceServices + {a.objects} Deployments + {a.objects} Services cached", flush=True)
        print(f"reconcile p99 (histogram bucket upper bound): {p99 if p99 is None else f'{p99 * 1000:.1f} ms'}", flush=True)
        if a.churn > 0:
            churn(a, base, op, mport)
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except Exception:
                proc.kill()


if __name__ == "__main__":
    main()
