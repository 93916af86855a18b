#!/usr/bin/env bash
# Cold start inside the server image (process start -> /v2/health/ready), the way ImageTests
# starts it: the OCI layout unpacked with umoci, a private mount namespace with /proc, /dev and
# /sys, chroot as the image's user (65532), the image's environment only. Runs `serve` on the
# bundled MiniLM as shipped (original model), then `warmup` into /tmp/warm inside the rootfs and
# `serve` from there (the artefact). Needs root, umoci, unshare and `make image`.
#   IMAGE=out/image/inference-server-oci RUNS=3 scripts/image-cold-start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-out/image/inference-server-oci}
RUNS=${RUNS:-3}
PORT=${PORT:-18283}
BUNDLE=$(mktemp -d)
trap 'kill "${PID:-}" 2>/dev/null || true; rm -rf "$BUNDLE"' EXIT
umoci unpack --image "$IMAGE:0.1.0" "$BUNDLE/b" > /dev/null
ROOT=$BUNDLE/b/rootfs
mkdir -p "$ROOT/proc" "$ROOT/dev" "$ROOT/sys" "$ROOT/tmp/warm"
chown 65532:65532 "$ROOT/tmp/warm"
ENVIRONMENT=(PATH=/usr/local/bin:/usr/bin:/bin ORT_LIBRARY=/usr/lib/libonnxruntime.so.1.32.0 HOME=/home/nonroot)
in_image() {  # argv...
    env -i "${ENVIRONMENT[@]}" unshare --mount --propagation private /bin/sh -c '
        set -e; root=$1; shift
        mount -t proc proc "$root/proc"; mount --rbind /dev "$root/dev"; mount -t sysfs -o ro sysfs "$root/sys"
        exec /usr/sbin/chroot --userspec=65532:65532 "$root" "$@"' sh "$ROOT" "$@"
}
in_image /usr/local/bin/inference-server warmup --model /opt/models/minilm/model.onnx --out /tmp/warm | sed 's/^/# /'
measure() {  # label model
    for run in $(seq "$RUNS"); do
        start=$(date +%s%N)
        in_image /usr/local/bin/inference-server serve --model "$2" --model-name minilm --http-host 127.0.0.1 --http-port "$PORT" \
            > "$BUNDLE/log" 2>&1 &
        PID=$!
        until curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null; do
            kill -0 "$PID" 2>/dev/null || { cat "$BUNDLE/log"; exit 1; }
            sleep 0.005
        done
        ready=$(( ($(date +%s%N) - start) / 1000000 ))
        phases=$(sed -n 's/.*phases=\(.*warm-up runs [0-9.]* s\).*/\1/p' "$BUNDLE/log" | head -1)
        echo "image_cold_start $1 run=$run start_to_ready_ms=$ready ${phases:+phases: $phases}"
        pkill -TERM -f "http-port $PORT" || true; wait "$PID" || true; PID=
    done
}
measure original /opt/models/minilm
measure warmed /tmp/warm
