#!/usr/bin/env bash
# Regenerates the checked-in CRD from the Swift types, its copy in the Helm
# chart, and manifests/install.yaml.
# Usage: scripts/generate-crd.sh [yaml|json]
set -euo pipefail
cd "$(dirname "$0")/.."
format=${1:-yaml}
swift build --product inference-operator
"$(swift build --show-bin-path)/inference-operator" crd --format "$format" > CRDs/serving.swiftinfer.io_inferenceservices.yaml
echo "wrote CRDs/serving.swiftinfer.io_inferenceservices.yaml ($format)"
# The Helm chart carries the same file (a test compares bytes), and install.yaml embeds it.
cp CRDs/serving.swiftinfer.io_inferenceservices.yaml charts/inference-operator/crds/
bash scripts/render-manifests.sh
