#!/usr/bin/env python3
"""A tiny real /metrics endpoint for the Prometheus integration test.

Serves, in the Prometheus text format, what the inference server will
expose (names documented in Sources/Autoscaling/Prometheus/SignalQueries.swift):

- inference_request_duration_seconds histogram for two InferenceServices:
  ns-a/fast at 100 requests/s (50% <= 0.1 s, 90% <= 0.25 s, all <= 0.5 s),
  so its p95 interpolates to 0.375 s; ns-b/idle with counts that never grow
  (rate 0, so its p95 is NaN: "no data").
- inference_gpu_utilization_percent gauge (the server's name and unit): ns-a/fast 42 (no DCGM series,
  so the GPU query falls back to this gauge).

Counts grow with wall time, so Prometheus' rate() sees steady traffic. They grow in whole steps of
10 requests (every 0.1 s), so every bucket's share is exact at every scrape: with truncated
fractions of a growing total at 10 requests/s, the buckets' increases over a 5 s window (about 40
requests) were each off by a count, which moved the interpolated p95 by up to 0.12 s.
Usage: metrics_server.py PORTFILE. Binds 127.0.0.1 on a free port, then
writes "<its port> <another free port>" to PORTFILE (atomically); the test
starts Prometheus on the second one.
"""
import os
import socket
import http.server
import sys
import time

START = time.monotonic()
RATE = 100.0
BUCKETS = [(0.1, 5), (0.25, 9), (0.5, 10)]  # (le, tenths of the requests at or under it)


def histogram(namespace, name, total):
    labels = f'namespace="{namespace}",name="{name}"'
    lines = []
    for le, tenths in BUCKETS:
        lines.append(f'inference_request_duration_seconds_bucket{{{labels},le="{le}"}} {total * tenths // 10}')
    lines.append(f'inference_request_duration_seconds_bucket{{{labels},le="+Inf"}} {int(total)}')
    lines.append(f'inference_request_duration_seconds_count{{{labels}}} {int(total)}')
    lines.append(f'inference_request_duration_seconds_sum{{{labels}}} {total * 0.15:.3f}')
    return lines


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/metrics":
            self.send_error(404)
            return
        total = 1000 + int((time.monotonic() - START) * RATE / 10) * 10
        lines = [
            "# HELP inference_request_duration_seconds Request latency.",
            "# TYPE inference_request_duration_seconds histogram",
        ]
        lines += histogram("ns-a", "fast", total)
        lines += histogram("ns-b", "idle", 500)
        lines += [
            "# HELP inference_gpu_utilization_percent GPU utilisation (0-100) reported by NVML.",
            "# TYPE inference_gpu_utilization_percent gauge",
            'inference_gpu_utilization_percent{namespace="ns-a",name="fast",gpu="0"} 42',
        ]
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port_file = sys.argv[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(f"{server.server_address[1]} {free_port()}\n")
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
