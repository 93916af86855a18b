#!/usr/bin/env python3
"""A stand-in workload for operator end-to-end tests: exposes the inference
server's request histogram (`inference_request_duration_seconds`) on
/metrics, fed by simulated requests whose rate and latency the test sets
through /control?rps=R&latency_ms=L&error_ratio=E&version=V. Prometheus
scrapes it for real. With a version, every series carries version="V", as
the server's do with --model-version (a new version starts from zero, as a
new pod would); failed requests are counted under outcome="error", as the
server counts them.

Usage: histogram_exporter.py PORT_FILE [VERSION]
"""
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0]

lock = threading.Lock()
state = {"rps": 0.0, "latency": 0.05, "error_ratio": 0.0}
OUTCOMES = ("ok", "error")
counts = {outcome: [0] * len(BUCKETS) for outcome in OUTCOMES}
total = {outcome: {"count": 0, "sum": 0.0} for outcome in OUTCOMES}
state["version"] = sys.argv[2] if len(sys.argv) > 2 else None


def observe(seconds, outcome):
    for i, bound in enumerate(BUCKETS):
        if seconds <= bound:
            counts[outcome][i] += 1
    total[outcome]["count"] += 1
    total[outcome]["sum"] += seconds


def generator():
    rng = random.Random(7)
    carry = 0.0
    while True:
        time.sleep(0.1)
        with lock:
            carry += state["rps"] * 0.1
            while carry >= 1:
                carry -= 1
                outcome = "error" if rng.random() < state["error_ratio"] else "ok"
                observe(max(0.001, rng.uniform(0.8, 1.2) * state["latency"]), outcome)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/control":
            query = parse_qs(url.query)
            with lock:
                if "rps" in query:
                    state["rps"] = float(query["rps"][0])
                if "latency_ms" in query:
                    state["latency"] = float(query["latency_ms"][0]) / 1000
                if "error_ratio" in query:
                    state["error_ratio"] = float(query["error_ratio"][0])
                if "version" in query and query["version"][0] != state["version"]:
                    state["version"] = query["version"][0]
                    for outcome in OUTCOMES:
                        counts[outcome] = [0] * len(BUCKETS)
                        total[outcome] = {"count": 0, "sum": 0.0}
            body = b"ok\n"
        elif url.path == "/metrics":
            name = "inference_request_duration_seconds"
            lines = [f"# TYPE {name} histogram"]
            with lock:
                version = f',version="{state["version"]}"' if state["version"] else ""
                for outcome in OUTCOMES:
                    labels = f'model="demo"{version},outcome="{outcome}"'
                    for bound, count in zip(BUCKETS, counts[outcome]):
                        lines.append(f'{name}_bucket{{{labels},le="{bound}"}} {count}')
                    lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {total[outcome]["count"]}')
                    lines.append(f'{name}_count{{{labels}}} {total[outcome]["count"]}')
                    lines.append(f'{name}_sum{{{labels}}} {total[outcome]["sum"]}')
            body = ("\n".join(lines) + "\n").encode()
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    threading.Thread(target=generator, daemon=True).start()
    # Exit when the parent (the test) goes away.
    parent = __import__("os").getppid()

    def watchdog():
        while True:
            time.sleep(1)
            if __import__("os").getppid() != parent:
                __import__("os")._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
