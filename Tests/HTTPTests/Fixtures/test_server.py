#!/usr/bin/env python3
"""A real HTTP(S) server for the HTTP module's tests and benchmark.

Listens on 127.0.0.1 (port 0 = any free one) and writes the chosen port to
--port-file once it accepts connections. Python standard library only.

Endpoints (any method unless noted):
  /echo                 JSON with method, path, headers (in order), body
                        (base64), TLS SNI and connection number; answers
                        with X-Echo-Method and two Set-Cookie fields.
  /status/<code>        that status, body "status <code>".
  /slow?seconds=S       waits S seconds, then 200 "slow".
  /chunked-lines        chunked body of JSON lines cut at odd places across
                        chunks, sent with delays; last line has no newline.
  /endless?interval=S   one "tick N" line every S seconds until the client
                        goes away (counted in open_streams).
  /large?bytes=N        N bytes (pattern i % 251), chunked, as fast as the
                        client takes them (bytes sent so far: large_bytes_sent).
  /gzip                 gzip-encoded text when the client accepts gzip.
  /bad-gzip             claims gzip, sends plain bytes.
  /redirect             302 to /echo.
  /small                200 "ok" (benchmark).
  /closed-port          a port number nothing listens on (connection refused).
  /silent-port          a port that accepts TCP but never answers.
  /free-port            a port free a moment ago (for other servers in tests).
  /truncated            promises 100 bytes, sends 10, closes.
  /stats                JSON counters: connections, open_streams,
                        large_bytes_sent.
An `Expect: 100-continue` request gets an interim 100 response carrying an
`X-Interim` field before the final one.

TLS: --cert/--key serve HTTPS; --client-ca additionally requires a client
certificate signed by that CA.
"""
import argparse
import base64
import gzip
import json
import os
import signal
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Lock()
HELD_SOCKETS = []
STATS = {"connections": 0, "open_streams": 0, "large_bytes_sent": 0}

CHUNKED_LINES = [
    b'{"n":1,"text":"alpha"}',
    b'{"n":2,"text":"bravo charlie delta"}',
    b'{"n":3,"text":"' + b"x" * 300 + b'"}',
    b'{"n":4,"text":"echo"}',
    b'{"n":5,"text":"no trailing newline"}',
]


def bump(key, delta=1):
    with LOCK:
        STATS[key] += delta


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body go out in separate writes
    server_version = "httptests/1"

    def log_message(self, *args):
        pass

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()
        with LOCK:
            STATS["connections"] += 1
            self.connection_number = STATS["connections"]

    def handle_expect_100(self):
        self.wfile.write(b"HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n")
        self.wfile.flush()
        return True

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status >= 200 and status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def start_chunked(self, content_type="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_GET(self):
        self.route()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def route(self):
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        path = url.path
        try:
            if path == "/echo":
                self.echo(url)
            elif path.startswith("/status/"):
                code = int(path.rsplit("/", 1)[1])
                self.reply(code, b"status %d" % code)
            elif path == "/slow":
                body = self.read_body()
                time.sleep(float(query.get("seconds", "1")))
                self.reply(200, b"slow" + body)
            elif path == "/chunked-lines":
                self.chunked_lines()
            elif path == "/endless":
                self.endless(float(query.get("interval", "0.05")))
            elif path == "/large":
                self.large(int(query.get("bytes", "1048576")))
            elif path == "/gzip":
                self.gzip()
            elif path == "/bad-gzip":
                self.reply(200, b"this is not gzip data", [("Content-Encoding", "gzip")])
            elif path == "/redirect":
                self.reply(302, b"moved", [("Location", "/echo")])
            elif path == "/closed-port":
                self.reply(200, str(closed_port()).encode())
            elif path == "/free-port":
                probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
                probe.close()
                self.reply(200, str(port).encode())
            elif path == "/silent-port":
                self.reply(200, str(silent_port()).encode())
            elif path == "/truncated":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"only ten b")
                self.wfile.flush()
                self.close_connection = True
            elif path == "/small":
                self.reply(200, b"ok", [("Content-Type", "text/plain")])
            elif path == "/stats":
                with LOCK:
                    body = json.dumps(STATS).encode()
                self.reply(200, body, [("Content-Type", "application/json")])
            else:
                self.reply(404, b"no route " + path.encode())
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def echo(self, url):
        body = self.read_body()
        sni = getattr(self.request, "sni_name", None)
        answer = {
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": base64.b64encode(body).decode(),
            "sni": sni,
            "connection": self.connection_number,
        }
        self.reply(200, json.dumps(answer).encode(), [
            ("Content-Type", "application/json"),
            ("X-Echo-Method", self.command),
            ("Set-Cookie", "first=1"),
            ("Set-Cookie", "second=2"),
        ])

    def chunked_lines(self):
        payload = b"\n".join(CHUNKED_LINES)
        self.start_chunked("application/json")
        sizes = [3, 17, 1, 40, 7, 200, 5]
        position, index = 0, 0
        while position < len(payload):
            size = sizes[index % len(sizes)]
            self.chunk(payload[position:position + size])
            position += size
            index += 1
            time.sleep(0.01)
        self.end_chunked()

    def endless(self, interval):
        bump("open_streams")
        try:
            self.start_chunked()
            n = 0
            while True:
                self.chunk(b"tick %d\n" % n)
                n += 1
                time.sleep(interval)
        finally:
            bump("open_streams", -1)
            self.close_connection = True

    def large(self, total):
        with LOCK:
            STATS["large_bytes_sent"] = 0
        block = bytes(i % 251 for i in range(251 * 261))  # 65511 bytes, pattern-aligned
        self.start_chunked("application/octet-stream")
        sent = 0
        while sent < total:
            piece = block[: min(len(block), total - sent)]
            self.chunk(piece)
            sent += len(piece)
            bump("large_bytes_sent", len(piece))
        self.end_chunked()

    def gzip(self):
        text = b"hello gzip " * 1000
        if "gzip" in (self.headers.get("Accept-Encoding") or ""):
            self.reply(200, gzip.compress(text), [("Content-Encoding", "gzip"), ("Content-Type", "text/plain")])
        else:
            self.reply(200, text, [("X-Not-Compressed", "1")])


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # clients that vanish or fail TLS are part of the tests


def exit_with_parent():
    """Tests may crash before stopping us: leave when the parent goes."""
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def closed_port():
    """A port bound but not listening: connecting to it is refused, and no
    other server can take it while this process lives."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    HELD_SOCKETS.append(sock)
    return sock.getsockname()[1]


def silent_port():
    """A port that completes TCP handshakes (kernel backlog) but never reads
    or answers: a TLS handshake to it stalls until the client gives up."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    HELD_SOCKETS.append(sock)
    return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--client-ca")
    args = parser.parse_args()

    # The test runner may spawn us with signals blocked; stop is SIGTERM/SIGKILL.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=exit_with_parent, daemon=True).start()
    server = Server(("127.0.0.1", args.port), Handler)
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            context.load_verify_locations(args.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED

        def remember_sni(sock, name, _context):
            sock.sni_name = name

        context.sni_callback = remember_sni
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)

    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as handle:
        handle.write(str(server.server_address[1]))
    os.replace(temporary, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
