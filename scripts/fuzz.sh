#!/usr/bin/env bash
# Usage: scripts/fuzz.sh TARGET SECONDS
# Builds a libFuzzer target (swift build -c release --sanitize=fuzzer) and runs
# it for SECONDS, starting from the seed corpus committed under Fuzz/corpus/.
# New inputs and crash reproducers go to .build/fuzz/TARGET/ (not committed);
# copy a reproducer into the corpus once the bug it found is fixed.
# Targets: yaml
set -euo pipefail

target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)

case "$target" in
    yaml) package="$root/Fuzz/YAMLFuzz"; product=YAMLFuzz ;;
    *) echo "unknown fuzz target '$target' (known: yaml)" >&2; exit 2 ;;
esac
corpus="$root/Fuzz/corpus/$target"
dictionary="$root/Fuzz/$target.dict"
work="$root/.build/fuzz/$target"
mkdir -p "$work/corpus" "$work/artifacts"

build=(swift build --package-path "$package" -c release --sanitize=fuzzer --product "$product")
"${build[@]}"
binary="$("${build[@]}" --show-bin-path)/$product"

options=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096
    -artifact_prefix="$work/artifacts/")
[[ -f "$dictionary" ]] && options+=(-dict="$dictionary")
# The first directory collects new inputs; the committed seeds are read only.
exec "$binary" "${options[@]}" "$work/corpus" "$corpus"
