#!/usr/bin/env python3
"""Live demo driver for `make demo` (scripts/demo.sh starts the API server, Prometheus and the operator).

There is no kubelet on one machine, so this script is it, and the traffic too:
- it measures one replica's capacity on a server of its own (before anything scales), then
  renders the demo's InferenceService with that capacity, prints it and applies it with kubectl;
- it polls the Deployment `{name}-predictor`; when `spec.replicas` changes it starts or stops
  real `inference-server` processes (one per replica, each on its own port) and writes the
  Deployment's status (`readyReplicas` = replicas whose /v2/health/ready answers 200);
- it keeps Prometheus' file_sd target list equal to the ready replicas, labelled
  `namespace`/`service` as Kubernetes endpoint discovery would;
- it replays the load profile (`demo_profile`: a real trace segment, smoothed, time-compressed
  and scaled to the measured capacity) as open-loop Poisson arrivals spread round-robin over
  the ready replicas;
- it prints every scaling decision the operator records (rule and reason) and the holds
  between them, then a summary of the run beside `inference-operator simulate` on the same
  load, and writes out/demo/report.json and report.svg.

Usage: demo_driver.py --api URL --server BIN --operator BIN --model ONNX --request JSON
                      --targets FILE --trace CSV --out DIR [--seconds 175] [--floor 0.3] [--peak 0.9]
"""
import argparse
import csv
import http.client
import json
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from local_node import Api, free_port  # noqa: E402  (the same API client and port picker as the canary node)


def log(message):
    print(message, flush=True)


# ---------------------------------------------------------------- the load profile (pure)

def load_trace(path):
    """A `t_s,rps[,...]` CSV (the simulator's format), expanded to one rate per second."""
    times, rates = [], []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or reader.fieldnames[:2] != ["t_s", "rps"]:
            raise ValueError(f"{path}: header must start with t_s,rps")
        for row in reader:
            times.append(int(float(row["t_s"])))
            rates.append(float(row["rps"]))
    if not times or times[0] != 0:
        raise ValueError(f"{path}: rows must start at t_s 0")
    bucket = times[1] - times[0] if len(times) > 1 else 1
    if bucket <= 0 or any(b - a != bucket for a, b in zip(times, times[1:])):
        raise ValueError(f"{path}: t_s must increase on a regular grid")
    return [r for r in rates for _ in range(bucket)]


def moving_average(values, window):
    """Centred moving average; near the ends the window shrinks (as the simulator's Workload)."""
    prefix = [0.0]
    for v in values:
        prefix.append(prefix[-1] + v)
    before, after = window // 2, window - window // 2 - 1
    out = []
    for i in range(len(values)):
        lo, hi = max(0, i - before), min(len(values) - 1, i + after)
        out.append((prefix[hi + 1] - prefix[lo]) / (hi - lo + 1))
    return out


def demo_profile(rps, seconds, speedup, smooth, floor, peak, fade_in=15):
    """The load of each demo second, in replica capacities.

    The trace's rate is averaged over `smooth` trace seconds (centred), played `speedup`×
    faster (demo second t is the mean of trace seconds [t·speedup, (t+1)·speedup)), and
    mapped linearly so the segment's lowest point is `floor` and its highest `peak`
    capacities. The first `fade_in` seconds rise linearly from 0 to that (the service's
    first users arrive over a while, not all in one second). Past the segment's end the
    last value holds."""
    smoothed = moving_average(rps, max(1, int(smooth)))
    lo, hi = min(smoothed), max(smoothed)
    span = hi - lo
    out = []
    for t in range(int(seconds)):
        a = min(len(smoothed) - 1, int(t * speedup))
        b = max(a + 1, min(len(smoothed), int((t + 1) * speedup)))
        v = sum(smoothed[a:b]) / (b - a)
        level = floor + (peak - floor) * ((v - lo) / span if span > 0 else 0)
        out.append(level * min(1.0, (t + 0.5) / fade_in) if fade_in > 0 else level)
    return out


def peak_minute_mean(values):
    """Highest mean over 60 consecutive seconds (the simulator's normalisation)."""
    window = min(60, len(values))
    if window == 0:
        return 0.0
    best = current = sum(values[:window])
    for i in range(window, len(values)):
        current += values[i] - values[i - window]
        best = max(best, current)
    return best / window


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] if sorted_values else None


# ---------------------------------------------------------------- Kubernetes, replicas, traffic

def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=0.5) as response:
            return response.status == 200
    except Exception:
        return False


class Replica:
    def __init__(self, index, port, process, pid_file):
        self.name = f"pod-{index}"
        self.port = port
        self.process = process
        self.pid_file = pid_file
        self.ready = False
        self.started = time.time()

    def stop(self):
        """Waits for a terminated process (kills it after 5 s) and forgets its pid file."""
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        try:
            os.remove(self.pid_file)
        except OSError:
            pass


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
        self.start_seconds = []  # process start -> ready, per replica
        self.last_targets = None
        self.write_targets([])

    def ready_ports(self):
        with self.lock:
            return [r.port for r in self.replicas if r.ready]

    def counts(self):
        with self.lock:
            return len(self.replicas), sum(1 for r in self.replicas if r.ready)

    def start_replica(self, label=None):
        port = free_port()
        index = self.next_index
        self.next_index += 1
        name = label or f"server-{index}"
        out = open(os.path.join(self.log_dir, f"{name}.log"), "w")
        process = subprocess.Popen(self.server_args + ["--http-port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        # demo.sh's clean-up kills what is listed here, should this script itself be killed.
        pid_file = os.path.join(self.log_dir, f"{name}.pid")
        with open(pid_file, "w") as f:
            f.write(str(process.pid))
        return Replica(index, port, process, pid_file)

    def stop_all(self):
        with self.lock:
            replicas, self.replicas = self.replicas, []
        for r in replicas:
            r.process.terminate()
        for r in replicas:
            r.stop()

    def write_targets(self, ready_replicas):
        groups = [{"targets": [f"127.0.0.1:{r.port}" for r in ready_replicas],
                   "labels": {"namespace": self.namespace, "service": self.service}}] if ready_replicas else []
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
            if ready(r.port):
                r.ready = True
                self.start_seconds.append(time.time() - r.started)
        with self.lock:
            ready_replicas = [r for r in self.replicas if r.ready]
            total = len(self.replicas)
        self.write_targets(ready_replicas)
        status = {"observedGeneration": generation, "replicas": total, "updatedReplicas": total,
                  "readyReplicas": len(ready_replicas), "availableReplicas": len(ready_replicas)}
        live = {k: deployment.get("status", {}).get(k, 0) for k in status}
        if status != live:
            self.api.merge_patch(self.path + "/status", {"status": status})
        for r in stopping:
            r.stop()


class Traffic:
    """Open-loop Poisson arrivals at a changing rate, round-robin over the ready replicas.

    Arrival times are scheduled on the clock (next = previous + exponential gap), so a
    descheduled sender catches up instead of silently sending less than the profile."""

    def __init__(self, body, path, ports, seed=7):
        self.body = body
        self.path = path
        self.ports = ports  # callable: current ready ports
        self.pool = ThreadPoolExecutor(max_workers=96)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.done = []      # (completion time, latency s, ok), the last 30 s
        self.requests = []  # (arrival time, latency s or None when it failed), every request
        self.sent = 0
        self.dropped = 0
        self.counter = 0
        self.rate = 0.0
        self.running = True
        self.rng = random.Random(seed)

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
            self.requests.append((arrived, finished - arrived if ok else None))

    def run(self):
        next_at = time.time()
        while self.running:
            rate = self.rate
            if rate <= 0:
                time.sleep(0.05)
                next_at = time.time()
                continue
            next_at += self.rng.expovariate(rate)
            delay = next_at - time.time()
            if delay > 0:
                time.sleep(delay)
            elif delay < -1:
                next_at = time.time()  # more than a second behind: do not send a flood
            ports = self.ports()
            if not ports:
                self.dropped += 1
                with self.lock:
                    self.requests.append((next_at, None))
                continue
            self.counter += 1
            try:
                self.pool.submit(self._send, ports[self.counter % len(ports)], next_at)
            except RuntimeError:  # stopped: the pool takes no more work
                return
            self.sent += 1

    def window(self, now, seconds):
        with self.lock:
            recent = [(t, lat, ok) for t, lat, ok in self.done if t > now - seconds]
            self.done = [d for d in self.done if d[0] > now - 30]
        latencies = sorted(lat for _, lat, ok in recent if ok)
        p95 = percentile(latencies, 0.95)
        errors = sum(1 for _, _, ok in recent if not ok)
        return len(recent) / seconds, None if p95 is None else p95 * 1000, errors

    def stop(self):
        self.running = False
        self.pool.shutdown(wait=False, cancel_futures=True)


def calibrate(port, body, path, seconds=4.0):
    """Service time of one replica at concurrency 1 (batch 1) → requests/s it serves, and the
    p95 of one request alone (the latency model's idle p95 for the simulator)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def one():
        start = time.time()
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return time.time() - start if response.status == 200 else None

    for _ in range(10):  # warm-up: the first runs of a session are slower
        one()
    latencies = []
    end = time.time() + seconds
    while time.time() < end or len(latencies) < 20:
        latency = one()
        if latency is not None:
            latencies.append(latency)
    latencies.sort()
    median = latencies[len(latencies) // 2]
    return 1.0 / median, median * 1000, percentile(latencies, 0.95) * 1000, len(latencies)


# ---------------------------------------------------------------- the demo's InferenceService

def render_object(model, capacity, threshold_ms, with_rate_rule):
    """The demo's InferenceService as YAML. Every value that is not the default is what a user
    would pick for a 3-minute demo on a 2-core machine, and says so."""
    p95 = ('histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket'
           '{namespace="{{namespace}}",service="{{name}}-predictor"}[10s])))')
    rate = 'sum(rate(inference_request_duration_seconds_count{namespace="{{namespace}}",service="{{name}}-predictor"}[10s]))'
    rules = [f"      latency: {{thresholdMs: {threshold_ms}}}                 # the SLO (default 200; more on a busy machine)"]
    if with_rate_rule:
        rules = [f"      requestRate: {{capacityPerReplicaRPS: {capacity:.1f}}}      # measured above: one replica, batch 1",
                 rules[0],
                 "      burst: {windowSeconds: 10, holdSeconds: 30}   # window = the rate query's (default 60 s); hold 30 s (default 20 min)"]
    return "\n".join([
        "apiVersion: serving.swiftinfer.io/v1alpha1",
        "kind: InferenceService",
        "metadata: {name: demo, namespace: ml}",
        "spec:",
        f'  model: {{name: minilm, uri: "file://{model}"}}',
        "  replicas: {min: 1, max: 3}                 # the machine has 2 cores, shared with the load generator",
        "  autoscaling:",
        "    intervalSeconds: 3                       # default 15: the demo's load is time-compressed",
        "    queries:                                 # 10 s windows (the defaults read 1 m)",
        f"      p95Latency: '{p95}'",
        f"      requestRate: '{rate}'",
        "    rules:",
        *rules,
        "    scaleDown: {stabilizationWindowSeconds: 30, maxStep: 2}   # defaults 300 s and 1: down to what the rate needs in one step",
        "",
    ])


# ---------------------------------------------------------------- the summary

def live_figures(requests, samples, seconds, slo_ms):
    """The run's own row: minutes whose client-side p95 (failed requests count as too slow) is
    within the SLO, replica-seconds (Deployment replicas, each second), as the simulator counts."""
    minutes = max(1, math.ceil(seconds / 60))
    within = 0
    for m in range(minutes):
        lo, hi = m * 60, min(seconds, (m + 1) * 60)
        window = sorted(math.inf if lat is None else lat * 1000 for t, lat in requests if lo <= t < hi)
        if not window or percentile(window, 0.95) <= slo_ms:
            within += 1
    replica_seconds = 0.0
    for i, s in enumerate(samples):
        end = samples[i + 1]["t"] if i + 1 < len(samples) else seconds
        replica_seconds += s["replicas"] * max(0.0, min(end, seconds) - min(s["t"], seconds))
    return within, minutes, replica_seconds


# Seconds without traffic before the load in the simulator's trace. `simulate` starts every
# policy with the replicas the oracle needs for the trace's first minute, all ready; the live
# run starts with one replica and no traffic. With an idle minute first, every policy starts
# at replicas.min, as the live run does, and that minute is left out of the figures.
LEAD_IN = 60


def simulate(operator, trace, obj, capacity, peak_replicas, cold_start, idle_p95_ms, policies, out_dir, tag):
    """Runs `inference-operator simulate --object` and returns {policy: (SLO minutes within,
    minutes, replica-seconds, decisions)} for the seconds after the lead-in."""
    minutes_csv = os.path.join(out_dir, f"simulate-{tag}-minutes.csv")
    args = [operator, "simulate", "--trace", trace, "--object", obj, "--capacity", f"{capacity:.3f}",
            "--peak-replicas", f"{peak_replicas:.6f}", "--cold-start", f"{cold_start:.1f}",
            "--idle-p95-ms", f"{idle_p95_ms:.1f}", "--scrape-interval", "1", "--rate-window", "10",
            "--minutes-csv", minutes_csv, "--json"]
    for p in policies:
        args += ["--policy", p]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"inference-operator simulate failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
    with open(os.path.join(out_dir, f"simulate-{tag}.json"), "w") as f:
        f.write(result.stdout)
    report = json.loads(result.stdout)
    if abs(report["normalisation"]["factor"] - 1) > 0.01:
        raise RuntimeError(f"simulate scaled the load by {report['normalisation']['factor']} instead of replaying it")
    slo_ms, seconds = report["slo_ms"], report["duration_s"]
    with open(minutes_csv, newline="") as f:
        minutes = list(csv.DictReader(f))
    figures = {}
    for name in policies:
        lead = float(minutes[0][f"{name}_replicas"])
        within, replica_seconds = 0, 0.0
        for m, row in enumerate(minutes[1:], start=1):
            length = min(seconds, 60 * (m + 1)) - 60 * m
            within += float(row[f"{name}_p95_ms"]) <= slo_ms + 1e-6
            replica_seconds += float(row[f"{name}_replicas"]) * length
        # The idle lead-in holds replicas.min throughout unless a policy acted in it (its decisions
        # would then be counted with the rest; say so rather than hide it).
        figures[name] = (within, len(minutes) - 1, replica_seconds, report["policies"][name]["scale_events"], lead == 1.0)
    return figures


# ---------------------------------------------------------------- the plot

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
        ("load (requests/s)", [("target_rps", "#1f77b4", "profile"), ("served_rps", "#aec7e8", "served")], None),
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
           f'(capacity {capacity:.0f} req/s each), replayed trace segment, operator decisions</text>']
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


# ---------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--api", required=True)
    p.add_argument("--server", required=True, help="inference-server binary")
    p.add_argument("--operator", required=True, help="inference-operator binary (for `simulate`)")
    p.add_argument("--model", required=True)
    p.add_argument("--request", required=True, help="v2 JSON infer request body")
    p.add_argument("--targets", required=True, help="Prometheus file_sd JSON file to maintain")
    p.add_argument("--trace", required=True, help="t_s,rps CSV: the segment to replay")
    p.add_argument("--out", required=True)
    p.add_argument("--seconds", type=float, default=175, help="demo seconds the segment is played in")
    p.add_argument("--speedup", type=float, default=0, help="trace seconds per demo second (0: the whole segment in --seconds)")
    p.add_argument("--smooth", type=int, default=60, help="centred moving average of the trace, trace seconds")
    p.add_argument("--floor", type=float, default=0.3, help="the segment's lowest point, in replica capacities")
    p.add_argument("--peak", type=float, default=0.9, help="the segment's highest point, in replica capacities")
    p.add_argument("--grace", type=float, default=30, help="seconds the last load level is held if no scale-down was seen yet")
    p.add_argument("--matrix-only", action="store_true", help="leave capacityPerReplicaRPS unset (plain matrix)")
    a = p.parse_args()

    name, namespace = "demo", "ml"
    api = Api(a.api, user_agent="demo-kubelet/1", timeout=5)
    infsvc = f"/apis/serving.swiftinfer.io/v1alpha1/namespaces/{namespace}/inferenceservices/{name}"
    log_dir = os.path.join(a.out, "servers")
    os.makedirs(log_dir, exist_ok=True)
    server_args = [a.server, "serve", "--model", a.model, "--model-name", "minilm", "--http-host", "127.0.0.1",
                   "--intra-op-threads", "1", "--max-batch-size", "1", "--drain-delay-ms", "100"]
    kubelet = Kubelet(api, namespace, f"{name}-predictor", server_args, a.targets, log_dir)
    body = open(a.request, "rb").read()
    infer_path = "/v2/models/minilm/infer"
    trace = load_trace(a.trace)
    speedup = a.speedup or len(trace) / a.seconds
    profile = demo_profile(trace, a.seconds, speedup, a.smooth, a.floor, a.peak)
    stop = threading.Event()

    def on_signal(*_):
        stop.set()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    # 1. One replica's capacity, on a server of its own that Prometheus does not scrape.
    probe = kubelet.start_replica("calibration")
    deadline = time.time() + 90
    while not ready(probe.port) and probe.process.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    if not ready(probe.port):
        log(f"demo: the calibration server did not become ready (see {log_dir}/calibration.log)")
        probe.process.kill()
        probe.stop()
        return 1
    kubelet.start_seconds.append(time.time() - probe.started)
    capacity, median_ms, idle_p95_ms, n = calibrate(probe.port, body, infer_path)
    probe.process.terminate()
    probe.stop()
    log(f"demo: one replica (1 ONNX Runtime thread, batch 1) serves ~{capacity:.1f} req/s "
        f"(median {median_ms:.1f} ms, p95 {idle_p95_ms:.1f} ms over {n} requests one at a time); "
        f"it started in {kubelet.start_seconds[0]:.1f} s")
    slo = 200
    if 5 * median_ms > slo:
        # A busy machine: one request alone takes most of the SLO, so no replica count could meet it.
        slo = int(round(5 * median_ms, -1))
        log(f"demo: the machine is busy (one request takes {median_ms:.0f} ms): latency threshold {slo} ms "
            f"(5x the service time) so that added replicas can meet it")

    # 2. The InferenceService, with the measured capacity.
    applied = os.path.join(a.out, "inferenceservice.yaml")
    other = os.path.join(a.out, "inferenceservice-" + ("default" if a.matrix_only else "matrix") + ".yaml")
    with open(applied, "w") as f:
        f.write(render_object(a.model, capacity, slo, not a.matrix_only))
    with open(other, "w") as f:
        f.write(render_object(a.model, capacity, slo, a.matrix_only))
    log(f"== kubectl apply -f {applied}")
    log(open(applied).read().rstrip())
    subprocess.run(["kubectl", "apply", "-f", applied], check=True, stdout=subprocess.DEVNULL)

    def kubelet_loop():
        while not stop.is_set():
            try:
                kubelet.step()
            except Exception as e:  # the API server going away ends the demo anyway
                log(f"kubelet: {e}")
            stop.wait(0.5)

    kubelet_thread = threading.Thread(target=kubelet_loop, daemon=True)
    kubelet_thread.start()
    traffic = Traffic(body, infer_path, kubelet.ready_ports)
    try:
        deadline = time.time() + 90
        while not kubelet.ready_ports() and time.time() < deadline and not stop.is_set():
            time.sleep(0.2)
        if not kubelet.ready_ports():
            log(f"demo: no replica became ready (see {log_dir}/*.log)")
            return 1

        top = max(profile)
        log(f"== load: {os.path.basename(a.trace)} ({len(trace)} s of trace), centred {a.smooth} s mean, "
            f"{speedup:g}x faster, from {a.floor:g} to {a.peak:g} replicas' capacity "
            f"({a.floor * capacity:.1f}-{a.peak * capacity:.1f} req/s) over {len(profile)} s")
        log("== decisions as the operator records them (rule and reason), and the holds between them:")
        threading.Thread(target=traffic.run, daemon=True).start()

        samples, decisions, seen = [], [], set()
        played = []
        start = time.time()
        last_line = -15.0
        last_change_t, hold_printed, fall_printed = None, True, False
        peak_passed = False
        t = 0.0
        while not stop.is_set():
            t = time.time() - start
            second = int(t)
            scaled_up = any(d["to"] > d["from"] for d in decisions)
            scaled_down = any(d["to"] < d["from"] for d in decisions if scaled_up)
            if second >= len(profile) and (scaled_down or not scaled_up or a.matrix_only or second >= len(profile) + a.grace):
                break
            level = profile[min(second, len(profile) - 1)]
            while len(played) <= second:  # one entry per second, also after a slow iteration
                if len(played) == len(profile):
                    log(f"[{t:6.1f}s] no scale-down yet: the last load level is held up to {a.grace:.0f} s more")
                played.append(profile[min(len(played), len(profile) - 1)])
            traffic.rate = level * capacity
            served, client_p95, errors = traffic.window(time.time(), 5)
            obj = api.get(infsvc) or {}
            status = obj.get("status", {}) or {}
            observed = status.get("observed") or {}
            operator_p95 = observed.get("p95LatencyMs")
            condition = next((c for c in status.get("conditions", []) or [] if c.get("type") == "ScalingActive"), {})
            total, ready_count = kubelet.counts()
            samples.append({"t": round(t, 1), "target_rps": round(traffic.rate, 2), "served_rps": round(served, 2),
                            "replicas": kubelet.spec_replicas, "running": total, "ready": ready_count,
                            "client_p95_ms": None if client_p95 is None else round(client_p95, 1),
                            "operator_p95_ms": None if operator_p95 is None else round(operator_p95, 1), "errors_5s": errors})
            for d in status.get("recentDecisions", []) or []:
                key = (d.get("time"), d.get("from"), d.get("to"), d.get("rule"))
                if key not in seen:
                    seen.add(key)
                    decisions.append({"t": round(t, 1), **d})
                    word = "scale-up  " if d["to"] > d["from"] else "scale-down"
                    log(f"[{t:6.1f}s] {word} {d['from']} -> {d['to']}  rule={d.get('rule')}: {d.get('reason', '')}")
                    last_change_t, hold_printed = t, False
            rate_seen = observed.get("requestsPerSecond")
            readings = (f"rate {rate_seen:.1f}/s" if rate_seen is not None else "rate -") + \
                       (f", p95 {operator_p95:.0f} ms" if operator_p95 is not None else "")
            holding = f"operator: {condition.get('reason', '?')}, \"{condition.get('message', '')}\""
            if level >= top * 0.999:
                peak_passed = True
            if not hold_printed and last_change_t is not None and t - last_change_t >= 10 and kubelet.spec_replicas > 1:
                hold_printed = True
                log(f"[{t:6.1f}s] hold       {kubelet.spec_replicas} replicas for {t - last_change_t:.0f} s while the load stays "
                    f"({traffic.rate:.1f} req/s; {readings}; {holding})")
            if not a.matrix_only and peak_passed and not fall_printed and level <= a.floor + 0.5 * (a.peak - a.floor) and kubelet.spec_replicas > 1:
                fall_printed = True
                log(f"[{t:6.1f}s] hold       {kubelet.spec_replicas} replicas while the load falls to {traffic.rate:.1f} req/s: "
                    f"a scale-down waits for 30 s of lower readings (scaleDown.stabilizationWindowSeconds) and 60 s "
                    f"after the last change ({readings}; {holding})")
            if t - last_line >= 15:
                last_line = t
                op = "-" if operator_p95 is None else f"{operator_p95:.0f} ms"
                cl = "-" if client_p95 is None else f"{client_p95:.0f} ms"
                log(f"[{t:6.1f}s]   load {traffic.rate:5.1f} req/s, replicas {kubelet.spec_replicas} (ready {ready_count}), "
                    f"p95 operator {op} / client {cl}")
            stop.wait(max(0.0, start + second + 1 - time.time()))
        traffic.stop()
        seconds = len(played)
        time.sleep(1)  # requests in flight finish (30 s client timeout aside)
        requests = [(arrived - start, latency) for arrived, latency in list(traffic.requests)]

        # 3. The summary: this run beside the simulator on the same load.
        played_path = os.path.join(a.out, "load.csv")
        with open(played_path, "w") as f:
            f.write("t_s,rps\n")
            for i, v in enumerate(played):
                f.write(f"{i},{v * capacity:.3f}\n")
        starts = sorted(kubelet.start_seconds)
        cold_start = starts[len(starts) // 2]
        within, minutes, replica_seconds = live_figures(requests, samples, seconds, slo)
        ups = sum(1 for d in decisions if d["to"] > d["from"])
        downs = sum(1 for d in decisions if d["to"] < d["from"])
        peak_replicas = peak_minute_mean([0.0] * LEAD_IN + [v * capacity for v in played]) / capacity
        rows = [("live run (" + ("matrix" if a.matrix_only else "default") + ")", within, minutes, replica_seconds, len(decisions))]
        simulated = {}
        try:
            sim_trace = os.path.join(a.out, "simulate-load.csv")
            with open(sim_trace, "w") as f:
                f.write("t_s,rps\n")
                for i in range(LEAD_IN):
                    f.write(f"{i},0\n")
                for i, v in enumerate(played):
                    f.write(f"{LEAD_IN + i},{v * capacity:.3f}\n")
            live = simulate(a.operator, sim_trace, applied, capacity, peak_replicas, cold_start, idle_p95_ms,
                            ["default", "hpa", "hpa-util", "kpa", "oracle"], a.out, "object")
            variant = simulate(a.operator, sim_trace, other, capacity, peak_replicas, cold_start, idle_p95_ms,
                               ["default"], a.out, "variant")["default"]
            # `default` in each run is that object's own policy: the applied object's, and the
            # variant's with (or without) capacityPerReplicaRPS.
            simulated = {"default": variant if a.matrix_only else live["default"],
                         "matrix": live["default"] if a.matrix_only else variant,
                         **{k: live[k] for k in ("hpa", "hpa-util", "kpa", "oracle")}}
            labels = [("default", "default (this spec)"), ("matrix", "matrix (this spec's rules)"),
                      ("hpa", "HPA on p95, 150 ms"), ("hpa-util", "HPA on CPU, 60%"), ("kpa", "Knative KPA"),
                      ("oracle", "oracle (knows the load)")]
            for key, label in labels:
                sim_within, sim_minutes, sim_rs, sim_decisions, clean = simulated[key]
                rows.append((label + ("" if clean else " *"), sim_within, sim_minutes, sim_rs, sim_decisions))
        except Exception as e:
            log(f"demo: no simulator comparison: {e}")

        svg(samples, decisions, capacity, slo, os.path.join(a.out, "report.svg"))
        log(f"== summary: {seconds} s of load ({minutes} minutes; a minute is within the SLO when its p95 is at most {slo} ms)")
        log(f"   simulated: inference-operator simulate --object on the same load ({played_path}, after {LEAD_IN} s")
        log(f"   without traffic so that every policy starts at replicas.min), 1 s scrape, 10 s windows, capacity")
        log(f"   {capacity:.1f} req/s, idle p95 {idle_p95_ms:.0f} ms, cold start {cold_start:.1f} s (measured), Poisson arrivals (seed 1)")
        log(f"   {'policy':<30} {'SLO minutes':>13} {'replica-s':>10} {'decisions':>10}")
        for label, ok_minutes, all_minutes, rs, n_dec in rows:
            log(f"   {label:<30} {ok_minutes:>3}/{all_minutes} {100.0 * ok_minutes / all_minutes:4.0f}% {rs:10.0f} {n_dec:10d}")
        if any(label.endswith(" *") for label, *_ in rows):
            log("   * acted during the idle lead-in; its decisions include those")
        log("   The simulator's latency is idle p95 / (1 - utilisation), its idle p95 that of one request alone: it does")
        log("   not see the cores the replicas share with the load generator and the rest of the machine, so on a busy")
        log("   machine it predicts lower latency, and fewer replicas, than the live run meets.")
        simulated = {k: {"slo_minutes": [v[0], v[1]], "replica_seconds": round(v[2], 1), "decisions": v[3]}
                     for k, v in simulated.items()}
        report = {"trace": a.trace, "speedup": speedup, "smooth_s": a.smooth, "floor": a.floor, "peak": a.peak,
                  "capacity_rps_per_replica": capacity, "median_service_ms": median_ms, "idle_p95_ms": idle_p95_ms,
                  "replica_start_s": starts, "latency_threshold_ms": slo, "seconds": seconds, "sent": traffic.sent,
                  "dropped_no_ready_replica": traffic.dropped, "decisions": decisions,
                  "summary": {"slo_minutes": [within, minutes], "replica_seconds": round(replica_seconds, 1),
                              "scale_ups": ups, "scale_downs": downs, "simulated": simulated},
                  "samples": samples}
        with open(os.path.join(a.out, "report.json"), "w") as f:
            json.dump(report, f, indent=1)
        held = [s["t"] for s in samples if s["replicas"] > 1]
        first_up = next((d for d in decisions if d["to"] > d["from"]), None)
        first_down = next((d for d in decisions if d["to"] < d["from"] and first_up and d["t"] > first_up["t"]), None)
        cycle = first_up is not None and first_down is not None and (hold_printed or fall_printed)
        log(f"demo: {ups} scale-up(s), {downs} scale-down(s), more than one replica for {len(held)} s; "
            f"{traffic.sent} requests sent" + ("" if traffic.dropped == 0 else f", {traffic.dropped} with no ready replica"))
        if cycle:
            log(f"demo: full cycle: scale-up at {first_up['t']:.0f} s ({first_up['rule']}), held "
                f"{first_down['t'] - first_up['t']:.0f} s, scale-down at {first_down['t']:.0f} s ({first_down['rule']})")
        log(f"demo: report in {a.out}/report.json and {a.out}/report.svg")
        if a.matrix_only:
            log("demo: the plain matrix scales down only after 300 s without requests (idle rule), so this run shows no scale-down")
        elif not cycle:
            log("demo: NOT a full cycle (scale-up, hold, scale-down): see the decisions above and out/demo/operator.log")
            return 2
        return 0
    finally:
        stop.set()
        traffic.stop()
        kubelet_thread.join(timeout=5)
        kubelet.stop_all()


if __name__ == "__main__":
    sys.exit(main())
