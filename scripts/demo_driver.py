#!/usr/bin/env python3
"""Live demo driver for `make demo` (scripts/demo.sh starts the rest).

There is no kubelet on one machine, so this script is it:
- it polls the Deployment `{name}-predictor`; when `spec.replicas` changes
  it starts or stops real `inference-server` processes (one per replica,
  each on its own port), and writes the Deployment's status
  (`readyReplicas` = replicas whose /v2/health/ready answers 200) through
  the status subresource;
- it keeps Prometheus' file_sd target list equal to the ready replicas,
  labelled `namespace`/`service` as Kubernetes endpoint discovery would
  (the labels the operator groups by, docs/autoscaling.md);
- it measures one replica's capacity, replays a request-rate trace
  (time-compressed, scaled to that capacity) as open-loop Poisson arrivals
  spread round-robin over the ready replicas;
- it prints every scaling decision the operator records as it happens and
  writes out/demo/report.json and report.svg (load, replicas, p95).

Usage: demo_driver.py --api URL --server BIN --model ONNX --request JSON --targets FILE
                      --trace CSV --out DIR [--seconds 150] [--speedup 23] [--peak 1.3]
"""
import argparse
import bisect
import csv
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def log(message):
    print(message, flush=True)


class Api:
    """The few Kubernetes API calls the driver needs (JSON over plain HTTP to the test API server)."""

    def __init__(self, base):
        self.base = base.rstrip("/")

    def _call(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": content_type, "User-Agent": "demo-kubelet/1"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read() or b"{}")

    def get(self, path):
        try:
            return self._call("GET", path)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def merge_patch(self, path, body):
        return self._call("PATCH", path, body, "application/merge-patch+json")


class Replica:
    def __init__(self, index, port, process):
        self.name = f"pod-{index}"
        self.port = port
        self.process = process
        self.ready = False
        self.started = time.time()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Kubelet:
    """Runs one inference-server per replica the Deployment asks for."""

    def __init__(self, api, namespace, deployment, server_args, targets_path, log_dir):
        self.api = api
        self.path = f"/apis/apps/v1/namespaces/{namespace}/deployments/{deployment}"
        self.namespace = namespace
        self.service = deployment
        self.server_args = server_args
        self.targets_path = targets_path
        self.log_dir = log_dir
        self.replicas = []
        self.next_index = 0
        self.lock = threading.Lock()
        self.spec_replicas = 0
        self.last_status = None
        self.last_targets = None
        self.write_targets([])

    def ready_ports(self):
        with self.lock:
            return [r.port for r in self.replicas if r.ready]

    def counts(self):
        with self.lock:
            return len(self.replicas), sum(1 for r in self.replicas if r.ready)

    def start_replica(self):
        port = free_port()
        index = self.next_index
        self.next_index += 1
        out = open(os.path.join(self.log_dir, f"server-{index}.log"), "w")
        process = subprocess.Popen(self.server_args + ["--http-port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        # demo.sh's clean-up kills what is listed here, should this script itself be killed.
        with open(os.path.join(self.log_dir, f"server-{index}.pid"), "w") as f:
            f.write(str(process.pid))
        return Replica(index, port, process)

    def stop_all(self):
        with self.lock:
            replicas, self.replicas = self.replicas, []
        for r in replicas:
            r.process.terminate()
        for r in replicas:
            try:
                r.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                r.process.kill()

    def write_targets(self, ready):
        groups = [{"targets": [f"127.0.0.1:{r.port}" for r in ready],
                   "labels": {"namespace": self.namespace, "service": self.service}}] if ready else []
        if groups == self.last_targets:
            return
        self.last_targets = groups
        tmp = self.targets_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(groups, f)
        os.replace(tmp, self.targets_path)  # Prometheus' file_sd picks up the rename

    def step(self):
        deployment = self.api.get(self.path)
        if deployment is None:
            return
        want = deployment.get("spec", {}).get("replicas", 0) or 0
        generation = deployment.get("metadata", {}).get("generation", 0)
        self.spec_replicas = want
        stopping = []
        with self.lock:
            while len(self.replicas) < want:
                self.replicas.append(self.start_replica())
            while len(self.replicas) > want:
                # The newest pod goes first (as a ReplicaSet prefers not-ready and younger pods).
                stopping.append(self.replicas.pop())
            pending = [r for r in self.replicas if not r.ready]
        for r in stopping:
            r.process.terminate()
        for r in pending:
            if r.process.poll() is not None:
                continue  # crashed: stays not ready (its log is in out/demo/servers)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{r.port}/v2/health/ready", timeout=0.5) as response:
                    r.ready = response.status == 200
            except Exception:
                pass
        with self.lock:
            ready = [r for r in self.replicas if r.ready]
            total = len(self.replicas)
        self.write_targets(ready)
        status = {"observedGeneration": generation, "replicas": total, "updatedReplicas": total,
                  "readyReplicas": len(ready), "availableReplicas": len(ready)}
        live = {k: deployment.get("status", {}).get(k, 0) for k in status}
        if status != live:
            self.api.merge_patch(self.path + "/status", {"status": status})
        for r in stopping:
            try:
                r.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                r.process.kill()


class Traffic:
    """Open-loop Poisson arrivals at a changing rate, round-robin over the ready replicas."""

    def __init__(self, body, path, ports):
        self.body = body
        self.path = path
        self.ports = ports  # callable: current ready ports
        self.pool = ThreadPoolExecutor(max_workers=96)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.done = []  # (completion time, latency s, ok)
        self.sent = 0
        self.dropped = 0
        self.counter = 0
        self.rate = 0.0
        self.running = True

    def _connection(self, port):
        connections = getattr(self.local, "connections", None)
        if connections is None:
            connections = self.local.connections = {}
        if port not in connections:
            connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        return connections[port]

    def _send(self, port, arrived):
        ok = False
        try:
            connection = self._connection(port)
            connection.request("POST", self.path, self.body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except Exception:
            self.local.connections.pop(port, None)
        finished = time.time()
        with self.lock:
            self.done.append((finished, finished - arrived, ok))

    def run(self):
        rng = random.Random(7)
        while self.running:
            rate = self.rate
            if rate <= 0:
                time.sleep(0.05)
                continue
            time.sleep(rng.expovariate(rate))
            ports = self.ports()
            if not ports:
                self.dropped += 1
                continue
            self.counter += 1
            self.sent += 1
            self.pool.submit(self._send, ports[self.counter % len(ports)], time.time())

    def window(self, now, seconds):
        with self.lock:
            recent = [(t, lat, ok) for t, lat, ok in self.done if t > now - seconds]
            self.done = [d for d in self.done if d[0] > now - 30]
        latencies = sorted(lat for _, lat, ok in recent if ok)
        p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] * 1000 if latencies else None
        errors = sum(1 for _, _, ok in recent if not ok)
        return len(recent) / seconds, p95, errors

    def stop(self):
        self.running = False
        self.pool.shutdown(wait=False, cancel_futures=True)


def load_trace(path):
    times, rates = [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            times.append(float(row["t_s"]))
            rates.append(float(row["rps"]))
    return times, rates


def rate_at(trace, t):
    """The trace's rate at t, averaged over the 30 buckets before it (the raw 1 s buckets are Poisson noise)."""
    times, rates = trace
    i = max(0, bisect.bisect_right(times, t) - 1)
    window = rates[max(0, i - 29): i + 1]
    return sum(window) / len(window)


def calibrate(ports, body, path, seconds=4.0):
    """Mean service time of one replica at concurrency 1 (batch 1) → requests/s it serves."""
    port = ports[0]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    end = time.time() + seconds
    while time.time() < end or len(latencies) < 5:
        start = time.time()
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            latencies.append(time.time() - start)
    latencies.sort()
    median = latencies[len(latencies) // 2]
    return 1.0 / median, median * 1000, len(latencies)


def nice_ceiling(v):
    """The smallest 1/2/5 x 10^n at or above v (axis tops that read well)."""
    magnitude = 10 ** len(str(int(max(v, 1)))) / 10
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude >= v:
            return m * magnitude
    return 10 * magnitude


def svg(samples, decisions, capacity, slo, path):
    width, height, left, right, top = 960, 560, 60, 20, 40
    t_max = max(s["t"] for s in samples) or 1
    panels = [
        ("load (requests/s)", [("target_rps", "#1f77b4", "trace"), ("served_rps", "#aec7e8", "served")], None),
        ("replicas", [("replicas", "#2ca02c", "desired (Deployment)"), ("ready", "#98df8a", "ready")], None),
        ("p95 latency (ms)", [("operator_p95_ms", "#d62728", "operator's reading (server histogram)"),
                              ("client_p95_ms", "#ff9896", "client-side, 5 s window")], slo),
    ]
    panel_h = (height - top - 40) / len(panels)
    plot_w = width - left - right

    def x(t):
        return left + t / t_max * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="22" font-size="14">Inference Operator live demo: real inference-server replicas '
           f'(capacity {capacity:.0f} req/s each), replayed trace, operator decisions</text>']
    for i, (title, series, slo) in enumerate(panels):
        y0 = top + i * panel_h
        h = panel_h - 22
        values = [s[k] for k, _, _ in series for s in samples if s.get(k) is not None]
        v_max = max(values + [1.0])
        if slo:
            v_max = min(max(v_max, slo * 1.5), slo * 8)
        if title == "replicas":
            v_max = 2 * ((max(v_max, 4) + 1) // 2)  # even, so the middle tick is a whole replica
        else:
            v_max = nice_ceiling(v_max)

        def y(v):
            return y0 + h - min(v, v_max) / v_max * h

        out.append(f'<rect x="{left}" y="{y0:.1f}" width="{plot_w}" height="{h:.1f}" fill="none" stroke="#bbb"/>')
        out.append(f'<text x="{left + 4}" y="{y0 + 12:.1f}" font-weight="bold">{title}</text>')
        for frac in (0, 0.5, 1.0):
            out.append(f'<text x="{left - 4}" y="{y(v_max * frac) + 4:.1f}" text-anchor="end">{v_max * frac:g}</text>')
        legend_x = left + 160
        for key, colour, label in series:
            points, segment = [], []
            for s in samples:
                if s.get(key) is None:
                    if segment:
                        points.append(segment)
                    segment = []
                else:
                    segment.append(f"{x(s['t']):.1f},{y(s[key]):.1f}")
            if segment:
                points.append(segment)
            step = title == "replicas"
            for seg in points:
                out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" stroke-width="{2 if step else 1.5}"/>')
            out.append(f'<rect x="{legend_x}" y="{y0 + 4:.1f}" width="10" height="10" fill="{colour}"/>')
            out.append(f'<text x="{legend_x + 14}" y="{y0 + 13:.1f}">{label}</text>')
            legend_x += 30 + 6 * len(label)
        if slo:
            out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(slo):.1f}" y2="{y(slo):.1f}" stroke="#666" stroke-dasharray="4"/>')
            out.append(f'<text x="{left + plot_w - 4}" y="{y(slo) - 3:.1f}" text-anchor="end">{"SLO" if slo == 200 else "latency threshold"} {slo} ms</text>')
        for n, d in enumerate(decisions):
            out.append(f'<line x1="{x(d["t"]):.1f}" x2="{x(d["t"]):.1f}" y1="{y0:.1f}" y2="{y0 + h:.1f}" stroke="#9467bd" stroke-width="0.8" stroke-dasharray="2"/>')
            if title == "replicas":
                right_edge = x(d["t"]) > left + 0.85 * plot_w  # label left of the line, not past the frame
                anchor = "end" if right_edge else "start"
                out.append(f'<text x="{x(d["t"]) + (-2 if right_edge else 2):.1f}" y="{y0 + h - 4 - 12 * (n % 4):.1f}" fill="#9467bd" '
                           f'text-anchor="{anchor}">{d["from"]}→{d["to"]} {d["rule"]}</text>')
    for t in range(0, int(t_max) + 1, 15):
        out.append(f'<text x="{x(t):.1f}" y="{height - 22}" text-anchor="middle">{t}</text>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle">seconds of demo (trace time-compressed); '
               'purple dashes: scaling decisions</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--api", required=True)
    p.add_argument("--server", required=True, help="inference-server binary")
    p.add_argument("--model", required=True)
    p.add_argument("--request", required=True, help="v2 JSON infer request body")
    p.add_argument("--targets", required=True, help="Prometheus file_sd JSON file to maintain")
    p.add_argument("--trace", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seconds", type=float, default=150)
    p.add_argument("--speedup", type=float, default=23)
    p.add_argument("--peak", type=float, default=1.3, help="trace peak in replica capacities")
    p.add_argument("--name", default="demo")
    p.add_argument("--namespace", default="ml")
    p.add_argument("--matrix-only", action="store_true", help="leave capacityPerReplicaRPS unset (plain matrix)")
    a = p.parse_args()

    api = Api(a.api)
    infsvc = f"/apis/serving.swiftinfer.io/v1alpha1/namespaces/{a.namespace}/inferenceservices/{a.name}"
    os.makedirs(os.path.join(a.out, "servers"), exist_ok=True)
    server_args = [a.server, "serve", "--model", a.model, "--model-name", "minilm", "--http-host", "127.0.0.1",
                   "--intra-op-threads", "1", "--max-batch-size", "1", "--drain-delay-ms", "100"]
    kubelet = Kubelet(api, a.namespace, f"{a.name}-predictor", server_args, a.targets, os.path.join(a.out, "servers"))
    body = open(a.request, "rb").read()
    infer_path = "/v2/models/minilm/infer"
    traffic = Traffic(body, infer_path, kubelet.ready_ports)
    stop = threading.Event()

    def on_signal(*_):
        stop.set()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def kubelet_loop():
        while not stop.is_set():
            try:
                kubelet.step()
            except Exception as e:  # the API server going away ends the demo anyway
                log(f"kubelet: {e}")
            stop.wait(0.5)

    kubelet_thread = threading.Thread(target=kubelet_loop, daemon=True)
    kubelet_thread.start()
    try:
        # The first replica: wait for it, then measure what one replica serves.
        deadline = time.time() + 90
        while not kubelet.ready_ports() and time.time() < deadline and not stop.is_set():
            time.sleep(0.2)
        if not kubelet.ready_ports():
            log("demo: no replica became ready (see out/demo/servers/*.log)")
            return 1
        capacity, median_ms, n = calibrate(kubelet.ready_ports(), body, infer_path)
        log(f"demo: one replica (1 ONNX Runtime thread, batch 1) serves ~{capacity:.0f} req/s "
            f"(median {median_ms:.1f} ms over {n} requests)")
        rules = {}
        slo = 200
        if 5 * median_ms > slo:
            # A busy machine: one request alone takes most of the SLO, so no replica count could meet it.
            slo = int(round(5 * median_ms, -1))
            rules["latency"] = {"thresholdMs": slo}
            log(f"demo: the machine is busy (one request takes {median_ms:.0f} ms): latency threshold set to {slo} ms "
                f"(5x the service time) so that added replicas can meet it")
        if not a.matrix_only:
            rules["requestRate"] = {"capacityPerReplicaRPS": round(capacity, 1)}
            log(f"demo: set spec.autoscaling.rules.requestRate.capacityPerReplicaRPS={capacity:.1f} (measured)")
        if rules:
            api.merge_patch(infsvc, {"spec": {"autoscaling": {"rules": rules}}})

        trace = load_trace(a.trace)
        span = min(trace[0][-1], a.seconds * a.speedup)
        peak = max(rate_at(trace, t) for t in range(0, int(span), 5))
        scale = a.peak * capacity / peak if peak > 0 else 1.0
        log(f"demo: replaying {os.path.basename(a.trace)} x{a.speedup:.0f} for {a.seconds:.0f} s, "
            f"trace peak {peak:.1f} req/s -> {a.peak * capacity:.0f} req/s ({a.peak} replicas' capacity)")
        log("demo: decisions as the operator records them:")
        threading.Thread(target=traffic.run, daemon=True).start()

        samples, decisions, seen = [], [], set()
        start = time.time()
        last_line = -10
        while not stop.is_set() and time.time() - start < a.seconds:
            t = time.time() - start
            traffic.rate = rate_at(trace, t * a.speedup) * scale
            served, client_p95, errors = traffic.window(time.time(), 5)
            obj = api.get(infsvc) or {}
            status = obj.get("status", {}) or {}
            observed = (status.get("observed") or {}).get("p95LatencyMs")
            total, ready = kubelet.counts()
            samples.append({"t": round(t, 1), "target_rps": round(traffic.rate, 2), "served_rps": round(served, 2),
                            "replicas": kubelet.spec_replicas, "running": total, "ready": ready,
                            "client_p95_ms": None if client_p95 is None else round(client_p95, 1),
                            "operator_p95_ms": None if observed is None else round(observed, 1), "errors_5s": errors})
            for d in status.get("recentDecisions", []) or []:
                key = (d.get("time"), d.get("from"), d.get("to"), d.get("rule"))
                if key not in seen:
                    seen.add(key)
                    decisions.append({"t": round(t, 1), **d})
                    log(f"[{t:6.1f}s] {d.get('from')} -> {d.get('to')} replicas  rule={d.get('rule')}  {d.get('reason', '')}")
            if t - last_line >= 15:
                last_line = t
                op = "-" if observed is None else f"{observed:.0f} ms"
                cl = "-" if client_p95 is None else f"{client_p95:.0f} ms"
                log(f"[{t:6.1f}s]   load {traffic.rate:5.1f} req/s, replicas {kubelet.spec_replicas} (ready {ready}), "
                    f"p95 operator {op} / client {cl}")
            time.sleep(1)
        traffic.stop()

        report = {"trace": a.trace, "speedup": a.speedup, "rate_scale": scale, "capacity_rps_per_replica": capacity,
                  "median_service_ms": median_ms, "latency_threshold_ms": slo, "peak_in_replica_capacities": a.peak, "sent": traffic.sent,
                  "dropped_no_ready_replica": traffic.dropped, "decisions": decisions, "samples": samples}
        with open(os.path.join(a.out, "report.json"), "w") as f:
            json.dump(report, f, indent=1)
        svg(samples, decisions, capacity, slo, os.path.join(a.out, "report.svg"))
        over = sum(1 for s in samples if (s["operator_p95_ms"] or 0) > slo)
        log(f"demo: {len(decisions)} scaling decisions; operator-read p95 above {slo} ms in {over} of {len(samples)} seconds; "
            f"{traffic.sent} requests sent")
        log(f"demo: report in {a.out}/report.json and {a.out}/report.svg")
        return 0
    finally:
        stop.set()
        traffic.stop()
        kubelet_thread.join(timeout=5)
        kubelet.stop_all()


if __name__ == "__main__":
    sys.exit(main())
