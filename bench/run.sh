#!/usr/bin/env bash
# bench/run.sh: builds bench/dispatch_benchmark optimised, runs it with
# repetitions in random order (so that a slow minute of the shared machine
# spreads over all benchmarks instead of hitting one; medians are what
# bench/report reads), and prints the report.
#
#   bash bench/run.sh [OUT_DIR] [extra benchmark flags...]
#
# OUT_DIR (default /tmp/syncmgr-bench) receives dispatch.json, report.txt
# and the PNG plots.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-/tmp/syncmgr-bench}"
shift || true
mkdir -p "$out"
bazel build -c opt //bench:dispatch_benchmark
"$(bazel info -c opt bazel-bin)/bench/dispatch_benchmark" \
  --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true \
  --benchmark_min_time=0.2 \
  --benchmark_out="$out/dispatch.json" \
  --benchmark_out_format=json \
  "$@"
/usr/bin/python3 bench/report "$out/dispatch.json" --plots "$out" |
  tee "$out/report.txt"
