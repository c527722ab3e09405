#!/bin/bash
# Builds the fuzz targets the way ClusterFuzzLite and OSS-Fuzz expect
# (called by .clusterfuzzlite/build.sh):
#
#   CC=... CXX=... CFLAGS=... CXXFLAGS=... LIB_FUZZING_ENGINE=... OUT=... \
#     bash fuzz/oss_fuzz_build.sh [SOURCE_ROOT]
#
# Into $OUT: every target of fuzz/, <target>_seed_corpus.zip (corpus/<target>/
# and fuzz/regressions/<target>/), <target>.dict, <target>.options where
# corpus/ has one, and syncmgr_reference.so, which differential_fuzzer loads
# from its own directory when SYNCMGR_IMPLEMENTATION is unset. No Bazel: the
# sources are listed here, mirroring fuzz/BUILD.bazel and reference/'s BUILD
# files (the build test fails if a target or source is missing).
set -euo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
: "${CXX:?}" "${OUT:?}" "${LIB_FUZZING_ENGINE:?}"
CXXFLAGS=${CXXFLAGS:-}
work=${WORK:-$(mktemp -d)}/syncmgr-build
mkdir -p "$work/host" "$work/plugin" "$OUT"
cd "$root"

TARGETS=(update_items_fuzzer call_sequence_fuzzer handler_behaviour_fuzzer
  differential_fuzzer)
ENGINE_SOURCES=(reference/sync_manager.cc reference/internal/handler_registry.cc
  reference/internal/session.cc reference/mobsync/guid.cc
  reference/mobsync/hresult.cc)
HOST_SOURCES=("${ENGINE_SOURCES[@]}" reference/com/com_runtime.cc
  reference/com/internal/module_loader.cc
  reference/com/internal/class_registry.cc fuzz/internal/environment.cc
  fuzz/internal/scripted_handler.cc fuzz/internal/differential_rules.cc
  fuzz/internal/guarded_buffer.cc fuzz/internal/verdict.cc)
PLUGIN_SOURCES=(reference/plugin_entry.cc "${ENGINE_SOURCES[@]}")
# shellcheck disable=SC2206
flags=($CXXFLAGS -std=c++17 -I"$root" -pthread
  -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
jobs=$(nproc 2>/dev/null || echo 2)

compile() {  # DIR EXTRA_FLAGS... -- SOURCES...
  local dir=$1 extra=()
  shift
  while [[ $1 != -- ]]; do extra+=("$1"); shift; done
  shift
  local pids=() src
  for src in "$@"; do
    "$CXX" "${flags[@]}" "${extra[@]}" -c "$src" \
      -o "$dir/$(echo "$src" | tr / _).o" &
    pids+=($!)
    if [[ ${#pids[@]} -ge $jobs ]]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}

targets_sources=()
for t in "${TARGETS[@]}"; do targets_sources+=("fuzz/$t.cc"); done
compile "$work/host" -- "${HOST_SOURCES[@]}" "${targets_sources[@]}"
compile "$work/plugin" -fPIC -fvisibility=hidden -fvisibility-inlines-hidden \
  -- "${PLUGIN_SOURCES[@]}"

host_objects=()
for src in "${HOST_SOURCES[@]}"; do
  host_objects+=("$work/host/$(echo "$src" | tr / _).o")
done
for t in "${TARGETS[@]}"; do
  # -rdynamic: plug-ins resolve the Co* functions to the host's.
  # shellcheck disable=SC2086
  "$CXX" "${flags[@]}" "$work/host/fuzz_$t.cc.o" "${host_objects[@]}" \
    $LIB_FUZZING_ENGINE -rdynamic -ldl -o "$OUT/$t"
done
# shellcheck disable=SC2086
"$CXX" "${flags[@]}" -shared "$work"/plugin/*.o \
  -Wl,--version-script="$root/tools/plugin.lds" -o "$OUT/syncmgr_reference.so"

zip_dir() {  # ZIP FILES...
  local zip=$1
  shift
  rm -f "$zip"
  if command -v zip >/dev/null; then
    zip -q -j "$zip" "$@"
  else
    python3 -c 'import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for f in sys.argv[2:]:
        z.write(f, os.path.basename(f))' "$zip" "$@"
  fi
}
for t in "${TARGETS[@]}"; do
  inputs=()
  for f in corpus/"$t"/* fuzz/regressions/"$t"/*; do
    [[ -f $f && $f != *.txt && $f != *.md ]] && inputs+=("$f")
  done
  zip_dir "$OUT/${t}_seed_corpus.zip" "${inputs[@]}"
  cp "corpus/$t.dict" "$OUT/$t.dict"
  if [[ -f corpus/$t.options ]]; then cp "corpus/$t.options" "$OUT/$t.options"; fi
done
echo "oss_fuzz_build: ${TARGETS[*]} -> $OUT"
