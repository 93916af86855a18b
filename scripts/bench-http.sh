#!/usr/bin/env bash
# Benchmarks CurlTransport (Sources/http-bench) and prints its figures:
#  1. requests/s for small GETs at concurrency 1 and 16 against nginx
#     (from scripts/bootstrap.sh, or installed here; without it only the
#     Python server is measured, and the output says so);
#     and over TLS with HTTP/2 (nginx only);
#  2. the same against the Python test server, for comparison;
#  3. RSS with 100 open watch-like streams (one line per second each) from
#     the Python test server's /endless endpoint.
# Usage: scripts/bench-http.sh [seconds-per-level (default 5)]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_LEVEL=${1:-5}

if ! command -v nginx >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "bench-http: installing nginx (benchmark only)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null 2>&1 || true
fi

swift build -c release --product http-bench >/dev/null
BENCH=$(swift build -c release --show-bin-path)/http-bench

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
    for _ in $(seq 100); do
        python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench-http: $1 did not answer" >&2; exit 1
}

python3 Tests/HTTPTests/Fixtures/test_server.py --port-file "$work/python.port" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/python.port" ] && break; sleep 0.1; done
python_url="http://127.0.0.1:$(cat "$work/python.port")"
wait_for "$python_url/small"

if command -v nginx >/dev/null 2>&1; then
    port=$(free_port)
    tls_port=$(free_port)
    sh Tests/HTTPTests/Fixtures/make-certs.sh "$work/certs"
    mkdir -p "$work/nginx"
    cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        location = /small { default_type text/plain; return 200 "ok"; }
    }
    server {
        listen 127.0.0.1:$tls_port ssl http2;
        ssl_certificate $work/certs/server.pem;
        ssl_certificate_key $work/certs/server.key;
        location = /small { default_type text/plain; return 200 "ok"; }
        location = /endless {
            proxy_pass $python_url;
            proxy_http_version 1.1;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }
    }
}
CONF
    nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
    pids+=($!)
    wait_for "http://127.0.0.1:$port/small"
    echo "== small GETs against nginx $(nginx -v 2>&1 | sed 's/.*\///') (1 worker), ${SECONDS_PER_LEVEL}s per level"
    "$BENCH" --url "http://127.0.0.1:$port/small" --concurrency 1,16 --seconds "$SECONDS_PER_LEVEL"
    echo "== small GETs against nginx over TLS + HTTP/2 (streams multiplexed: expect 1 connection)"
    "$BENCH" --url "https://127.0.0.1:$tls_port/small" --ca "$work/certs/ca.pem" --concurrency 1,16 --seconds "$SECONDS_PER_LEVEL"
else
    echo "== nginx unavailable: small GETs against the Python server only"
fi

echo "== small GETs against the Python test server (ThreadingHTTPServer), ${SECONDS_PER_LEVEL}s per level"
"$BENCH" --url "$python_url/small" --concurrency 1,16 --seconds "$SECONDS_PER_LEVEL"

echo "== 100 open streams (watch-like: one line per second) against the Python test server, HTTP/1.1"
"$BENCH" --stream-url "$python_url/endless?interval=1" --streams 100 --hold 6
if [ -n "${tls_port:-}" ]; then
    echo "== 100 open streams over TLS + HTTP/2 (nginx proxying the Python server)"
    "$BENCH" --stream-url "https://127.0.0.1:$tls_port/endless?interval=1" --ca "$work/certs/ca.pem" --streams 100 --hold 6
fi
