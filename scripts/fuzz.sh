#!/usr/bin/env bash
# Usage: scripts/fuzz.sh TARGET SECONDS [--build-only]
#        scripts/fuzz.sh all SECONDS      (each target in turn, SECONDS each)
# Builds a libFuzzer target (swift build -c release --sanitize=fuzzer) and runs
# it for SECONDS, starting from the seed corpus committed under Fuzz/corpus/.
# New inputs and crash reproducers go to .build/fuzz/TARGET/ (not committed);
# copy a reproducer into the corpus once the bug it found is fixed.
# Targets: yaml, infer-request, kubeconfig, watch, prometheus, cel (see Fuzz/README.md).
set -euo pipefail

target=${1:?usage: scripts/fuzz.sh TARGET|all SECONDS [--build-only]}
seconds=${2:?usage: scripts/fuzz.sh TARGET|all SECONDS [--build-only]}
mode=${3:-run}
root=$(cd "$(dirname "$0")/.." && pwd)
targets=(yaml infer-request grpc-infer kubeconfig watch prometheus cel)

if [[ "$target" == all ]]; then
    for t in "${targets[@]}"; do "$0" "$t" "$seconds" "$mode"; done
    exit 0
fi

case "$target" in
    yaml) package="$root/Fuzz/YAMLFuzz"; product=YAMLFuzz ;;
    infer-request) package="$root/Fuzz/InferRequestFuzz"; product=InferRequestFuzz ;;
    grpc-infer) package="$root/Fuzz/GRPCInferFuzz"; product=GRPCInferFuzz ;;
    kubeconfig) package="$root/Fuzz/ClientFuzz"; product=KubeconfigFuzz ;;
    watch) package="$root/Fuzz/ClientFuzz"; product=WatchStreamFuzz ;;
    prometheus) package="$root/Fuzz/ClientFuzz"; product=PrometheusFuzz ;;
    cel) package="$root/Fuzz/CELFuzz"; product=CELFuzz ;;
    *) echo "unknown fuzz target '$target' (known: ${targets[*]})" >&2; exit 2 ;;
esac
corpus="$root/Fuzz/corpus/$target"
dictionary="$root/Fuzz/$target.dict"
work="$root/.build/fuzz/$target"
mkdir -p "$work/corpus" "$work/artifacts"

build=(swift build --package-path "$package" -c release --sanitize=fuzzer --product "$product")
"${build[@]}"
binary="$("${build[@]}" --show-bin-path)/$product"
[[ "$mode" == --build-only ]] && exit 0

options=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096
    -artifact_prefix="$work/artifacts/")
[[ -f "$dictionary" ]] && options+=(-dict="$dictionary")
# The first directory collects new inputs; the committed seeds are read only.
# libFuzzer's progress lines go to $work/last-run.log; on success only its
# summary is printed, on failure (a crash or a property failure) the tail.
log="$work/last-run.log"
if "$binary" "${options[@]}" "$work/corpus" "$corpus" > "$log" 2>&1; then
    echo "fuzz $target: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
    grep -E '^stat::(average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" | sed "s/^/fuzz $target: /"
else
    status=$?
    tail -n 120 "$log"
    echo "fuzz $target: FAILED (exit $status); reproducer under $work/artifacts/, full log $log" >&2
    exit "$status"
fi
