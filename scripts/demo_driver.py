#!/usr/bin/env python3
"""Live demo driver: replays a request-rate trace against the demo workload,
closes the loop (latency follows load per ready replica, as an M/M/1 queue),
prints every scaling decision the operator makes as it happens, and writes a
report (decisions + an SVG plot) at the end.

Usage: demo_driver.py --trace CSV --speedup N --duration S --workload URL
                      --kubeconfig PATH --out DIR [--capacity RPS] [--peak-replicas N]
"""
import argparse
import csv
import json
import math
import subprocess
import sys
import time
import urllib.request


def kubectl(kubeconfig, *args):
    out = subprocess.run(["kubectl", "--kubeconfig", kubeconfig, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return out.stdout


def load_trace(path):
    rows = []
    with open(path) as f:
        for row in csv.DictReader(f):
            rows.append((float(row["t_s"]), float(row["rps"])))
    return rows


def rate_at(trace, t):
    # Step function over the trace's buckets, smoothed over 10 buckets.
    lo = 0
    hi = len(trace) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if trace[mid][0] <= t:
            lo = mid
        else:
            hi = mid - 1
    window = trace[max(0, lo - 9): lo + 1]
    return sum(r for _, r in window) / len(window)


def latency_ms(rps, replicas, capacity, idle_ms=40.0):
    # M/M/1-like per replica: idle 40 ms, ~200 ms at 80% utilisation.
    if replicas <= 0:
        return 5000.0
    utilisation = min(0.98, rps / (replicas * capacity))
    return idle_ms / (1 - utilisation)


def svg(samples, decisions, path):
    width, height, pad = 900, 420, 50
    t_max = max(s["t"] for s in samples) or 1
    panels = [("rps", "requests/s", "#1f77b4"), ("replicas", "replicas", "#2ca02c"), ("p95_ms", "p95 (ms, model)", "#d62728")]
    panel_h = (height - 2 * pad) / len(panels)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="{pad}" y="20" font-size="14">Inference Operator live demo: load, replicas, p95</text>']
    for i, (key, label, colour) in enumerate(panels):
        top = pad + i * panel_h
        values = [s[key] for s in samples]
        v_max = max(values + [1]) * 1.1
        if key == "p95_ms":
            v_max = max(v_max, 250)
        pts = " ".join(f"{pad + s['t'] / t_max * (width - 2 * pad):.1f},{top + panel_h - 10 - s[key] / v_max * (panel_h - 20):.1f}" for s in samples)
        parts.append(f'<rect x="{pad}" y="{top}" width="{width - 2 * pad}" height="{panel_h - 10}" fill="none" stroke="#ccc"/>')
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        parts.append(f'<text x="{pad + 4}" y="{top + 12}">{label} (max {max(values):.0f})</text>')
        if key == "p95_ms":
            y = top + panel_h - 10 - 200 / v_max * (panel_h - 20)
            parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y:.1f}" y2="{y:.1f}" stroke="#999" stroke-dasharray="4"/>')
            parts.append(f'<text x="{width - pad - 60}" y="{y - 3:.1f}">SLO 200 ms</text>')
    for d in decisions:
        x = pad + d["t"] / t_max * (width - 2 * pad)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{pad}" y2="{height - pad}" stroke="#999" stroke-width="0.5"/>')
    parts.append(f'<text x="{pad}" y="{height - 15}">seconds of demo (trace compressed); grey lines: scaling decisions</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--trace", required=True)
    p.add_argument("--speedup", type=float, default=20)
    p.add_argument("--duration", type=float, default=150)
    p.add_argument("--workload", required=True)
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--capacity", type=float, default=10.0)
    p.add_argument("--peak-replicas", type=float, default=6.0)
    p.add_argument("--name", default="demo")
    p.add_argument("--namespace", default="ml")
    a = p.parse_args()

    trace = load_trace(a.trace)
    # Normalise: the trace's peak (10-bucket mean) equals peak-replicas' capacity.
    peak = max(rate_at(trace, t) for t, _ in trace[:: max(1, len(trace) // 2000)])
    scale = a.peak_replicas * a.capacity / peak if peak > 0 else 1.0
    print(f"demo: trace {a.trace.split('/')[-1]} x{a.speedup} speed, rates scaled by {scale:.2f}, capacity {a.capacity} rps/replica", flush=True)

    samples, decisions, seen = [], [], set()
    start = time.time()
    while time.time() - start < a.duration:
        t = time.time() - start
        rps = rate_at(trace, t * a.speedup) * scale
        try:
            obj = json.loads(kubectl(a.kubeconfig, "get", "infsvc", a.name, "-n", a.namespace, "-o", "json"))
            dep = json.loads(kubectl(a.kubeconfig, "get", "deployment", f"{a.name}-predictor", "-n", a.namespace, "-o", "json"))
        except Exception as e:  # the API server or object is not there yet
            print(f"demo: waiting for the operator ({e})", flush=True)
            time.sleep(1)
            continue
        ready = dep.get("status", {}).get("readyReplicas", 0) or 0
        replicas = dep.get("spec", {}).get("replicas", 0)
        lat = latency_ms(rps, ready, a.capacity)
        urllib.request.urlopen(f"{a.workload}/control?rps={rps:.3f}&latency_ms={lat:.1f}", timeout=5).read()
        samples.append({"t": t, "rps": rps, "replicas": replicas, "ready": ready, "p95_ms": min(lat * 1.3, 2000)})
        for d in obj.get("status", {}).get("recentDecisions", []) or []:
            key = (d["time"], d["from"], d["to"], d["rule"])
            if key not in seen:
                seen.add(key)
                decisions.append({"t": t, **d})
                print(f"[{t:6.1f}s] {d['from']} -> {d['to']} replicas  rule={d['rule']}  {d['reason']}", flush=True)
        time.sleep(1)

    report = {"trace": a.trace, "speedup": a.speedup, "scale": scale, "capacity_rps_per_replica": a.capacity,
              "decisions": decisions, "samples": samples}
    with open(f"{a.out}/report.json", "w") as f:
        json.dump(report, f, indent=1)
    svg(samples, decisions, f"{a.out}/report.svg")
    over = sum(1 for s in samples if s["p95_ms"] > 200)
    print(f"demo: {len(decisions)} scaling decisions; model p95 above 200 ms in {over} of {len(samples)} samples", flush=True)
    print(f"demo: report written to {a.out}/report.json and {a.out}/report.svg", flush=True)


if __name__ == "__main__":
    main()
