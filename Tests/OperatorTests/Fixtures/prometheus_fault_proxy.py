#!/usr/bin/env python3
"""A fault-injecting front for a real Prometheus, for the operator's
fault-injection and security tests. Query requests (/api/v1/...) are
forwarded to the upstream Prometheus unless the test sets another mode
through /control?mode=M[&delay_ms=D]:

  pass    forward unchanged
  down    close the connection without an answer (as a dead endpoint)
  html    503 with an HTML page (as a proxy in front of a dead Prometheus)
  error   422 {"status":"error","errorType":"execution",...}
  nan     forward, then replace every sample value with "NaN"
  empty   forward, then replace every result with an empty vector
  wrong   forward, then give sample values as JSON numbers and labels as
          numbers (wrong types)
  slow    forward after delay_ms (default 15000: past the client timeout)
  unauthorized  401 "Unauthorized"

/control/seen answers JSON: {"queries": N, "authorization": [distinct headers]}.

Usage: prometheus_fault_proxy.py UPSTREAM_URL PORT_FILE
"""
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

upstream = sys.argv[1].rstrip("/")
lock = threading.Lock()
state = {"mode": "pass", "delay_ms": 15000, "queries": 0, "authorization": set()}


def rewrite(body, mode):
    document = json.loads(body)
    data = document.get("data") or {}
    result = data.get("result")
    if mode == "empty":
        data["resultType"] = "vector"
        data["result"] = []
    elif data.get("resultType") == "vector" and isinstance(result, list):
        for item in result:
            if mode == "nan":
                item["value"][1] = "NaN"
            elif mode == "wrong":
                item["value"][1] = 12.5
                item["metric"] = {key: 7 for key in item.get("metric", {})}
    elif data.get("resultType") == "scalar" and isinstance(result, list):
        result[1] = "NaN" if mode == "nan" else 12.5
    return json.dumps(document).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body, content_type="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        url = urlparse(self.path)
        if url.path == "/control":
            query = parse_qs(url.query)
            with lock:
                state["mode"] = query.get("mode", [state["mode"]])[0]
                state["delay_ms"] = int(query.get("delay_ms", [state["delay_ms"]])[0])
            return self.answer(200, b"ok\n", "text/plain")
        if url.path == "/control/seen":
            with lock:
                seen = {"queries": state["queries"], "authorization": sorted(state["authorization"])}
            return self.answer(200, json.dumps(seen).encode())
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else None
        with lock:
            mode = state["mode"]
            delay = state["delay_ms"]
            state["queries"] += 1
            if self.headers.get("Authorization"):
                state["authorization"].add(self.headers["Authorization"])
        if mode == "down":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode == "html":
            return self.answer(503, b"<html><body><h1>503 Service Unavailable</h1></body></html>", "text/html")
        if mode == "error":
            return self.answer(422, json.dumps({"status": "error", "errorType": "execution", "error": "injected failure"}).encode())
        if mode == "unauthorized":
            return self.answer(401, b"Unauthorized\n", "text/plain")
        if mode == "slow":
            time.sleep(delay / 1000)
        request = urllib.request.Request(upstream + self.path, data=payload, method=self.command)
        if self.headers.get("Content-Type"):
            request.add_header("Content-Type", self.headers["Content-Type"])
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                code, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            code, body = error.code, error.read()
        except OSError as error:
            return self.answer(502, str(error).encode(), "text/plain")
        if code == 200 and mode in ("nan", "empty", "wrong"):
            body = rewrite(body, mode)
        self.answer(code, body)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(sys.argv[2] + ".tmp", sys.argv[2])
    parent = os.getppid()

    def watchdog():  # exit when the test process goes away
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
