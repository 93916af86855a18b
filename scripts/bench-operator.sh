#!/usr/bin/env bash
# Operator benchmark (release build): N InferenceServices against the test API server.
# Usage: scripts/bench-operator.sh [--objects 1000] [--interval 5] [--steady-intervals 4] [--churn SECONDS] [--churn-rate 50]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build -c release --product inference-operator
swift build -c release --product test-apiserver
python3 scripts/bench_operator.py "$(swift build -c release --show-bin-path)" "$@"
