#!/usr/bin/env bash
# The main job: grows as the operator lands. For now it shows the built tools.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build --show-bin-path)
"$bin/inference-operator" --help
"$bin/inference-server" --help
