#!/usr/bin/env bash
# tools/coverage.sh: what the fuzz corpora reach in reference/, as clang
# source-based coverage (--config=coverage, llvm-cov-14).
#
#   bash tools/coverage.sh [TARGET...] [-- EXTRA_CORPUS_DIR...]
#   bash tools/coverage.sh update_items_fuzzer reports/fuzz/<run>/new
#
# TARGET: fuzz targets (default: all four). Each target's replay test binary
# is built with --config=coverage and run on corpus/TARGET/ and
# fuzz/regressions/TARGET/ (plus, with one TARGET, any further directories
# given: a campaign's new inputs). Prints, per target and merged, the line,
# function and branch coverage of reference/ (the COM runtime, the Sync
# Manager and the mobsync text helpers; tests and test data excluded), and
# writes an HTML report to reports/coverage/<name>/index.html.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

for tool in llvm-profdata-14 llvm-cov-14; do
  command -v "$tool" >/dev/null || {
    echo "coverage: $tool not found (Debian package llvm-14)" >&2
    exit 2
  }
done

ALL=(update_items_fuzzer call_sequence_fuzzer handler_behaviour_fuzzer
  differential_fuzzer)
targets=() dirs=()
for arg in "$@"; do
  if [[ -f fuzz/$arg.cc ]]; then targets+=("$arg"); else dirs+=("$arg"); fi
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL[@]}")
if [[ ${#dirs[@]} -gt 0 && ${#targets[@]} -gt 1 ]]; then
  echo "coverage: extra corpus directories need exactly one target" >&2
  exit 2
fi

labels=()
for t in "${targets[@]}"; do labels+=("//fuzz:$t"); done
bazel build --config=coverage "${labels[@]}" 2>&1 | tail -1 >&2
bin_dir=$(bazel info --config=coverage bazel-bin 2>/dev/null)

out=reports/coverage
mkdir -p "$out"
profiles=$(mktemp -d)
trap 'rm -rf "$profiles"' EXIT
# Everything but reference/'s own code.
ignore='(^/usr/|external/|(^|/)fuzz/|bazel-out/|_test\.cc$|testdata/|reference/testing/)'
objects=()
for t in "${targets[@]}"; do
  binary=$bin_dir/fuzz/$t
  mkdir -p "$profiles/$t"
  # %m: one file per instrumented module (the plug-in has its own runtime).
  (cd "$ROOT" && LLVM_PROFILE_FILE="$profiles/$t/%p-%m.profraw" \
    "$binary" --allow-missing "corpus/$t" "fuzz/regressions/$t" \
    "${dirs[@]}" >"$profiles/$t.log" 2>&1) || {
    echo "coverage: $t failed on its corpus:" >&2
    tail -20 "$profiles/$t.log" >&2
    exit 1
  }
  llvm-profdata-14 merge -sparse "$profiles/$t"/*.profraw \
    -o "$profiles/$t.profdata"
  echo "== $t ($(grep -c '^replay: .*bytes' "$profiles/$t.log") inputs)"
  llvm-cov-14 report "$binary" -instr-profile="$profiles/$t.profdata" \
    -ignore-filename-regex="$ignore" | tail -1 |
    awk '{printf "   regions %s  functions %s  lines %s  branches %s\n", $4, $7, $10, $13}'
  objects+=("$binary")
done

name=$(IFS=+; echo "${targets[*]}")
[[ ${#targets[@]} -eq ${#ALL[@]} ]] && name=all
llvm-profdata-14 merge -sparse "$profiles"/*.profdata -o "$profiles/all.profdata"
first=${objects[0]}
rest=()
for o in "${objects[@]:1}"; do rest+=(-object "$o"); done
echo "== merged: $name"
llvm-cov-14 report "$first" "${rest[@]}" -instr-profile="$profiles/all.profdata" \
  -ignore-filename-regex="$ignore" | tee "$out/$name.txt" |
  sed -n '1,2p;/^TOTAL/p' | cut -c1-200
rm -rf "${out:?}/$name"
llvm-cov-14 show "$first" "${rest[@]}" -instr-profile="$profiles/all.profdata" \
  -ignore-filename-regex="$ignore" -format=html -show-branches=count \
  -output-dir="$out/$name" -path-equivalence=/proc/self/cwd,"$ROOT"
echo "coverage: $out/$name/index.html"
