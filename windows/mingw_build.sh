#!/usr/bin/env bash
# File: windows/mingw_build.sh
#
# Cross-compiles one Windows program, DLL or static library with MinGW-w64
# for the genrules of windows/BUILD.bazel (the project has no MinGW
# toolchain in Bazel).
#
# Usage: mingw_build.sh OUTPUT INPUT...
#   OUTPUT  *.exe, *.dll (link; a *.def among the inputs names the exports)
#           or *.a (a static library of the inputs' objects)
#   INPUT   *.cc (compiled, two at a time, unless another input #includes
#           it), *.def, *.a, *.o (linked as is), *.dll (imported from: the
#           linker reads its exports, the output loads it by name),
#           *.h (ignored: listed so that the sandbox has them)
#
# Includes: the workspace root, windows/platform/posix (POSIX headers the
# Windows runtime lacks, e.g. fnmatch.h), Debian's GoogleTest sources
# (/usr/src/googletest), and nlohmann-json and CLI11 from /usr/include
# (only those two: the rest of /usr/include is Linux's).
#
# Without MinGW-w64 the OUTPUT becomes a placeholder file whose first line
# is "SYNCMGR_MINGW_MISSING" and the build still succeeds, so that
# `bazel build //...` works on machines without it; windows/wine_test.sh
# then skips (or fails under SYNCMGR_REQUIRE_WINE=1).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 OUTPUT INPUT..." >&2
  exit 2
fi
output=$1
shift

cxx=${SYNCMGR_MINGW_CXX:-x86_64-w64-mingw32-g++}
ar=${cxx%g++}ar
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "SYNCMGR_MINGW_MISSING: $cxx is not installed" \
    "(apt-get install g++-mingw-w64-x86-64-posix)" >"$output"
  echo "mingw_build.sh: $cxx not installed: wrote a placeholder $output" >&2
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mingw_build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/include"
for dir in nlohmann CLI; do
  [[ -d /usr/include/$dir ]] && ln -s "/usr/include/$dir" "$work/include/$dir"
done

gtest=/usr/src/googletest
flags=(
  -std=c++17 -O1 -Wall -Wno-attributes
  -D_POSIX_THREAD_SAFE_FUNCTIONS=200112L  # gmtime_r
  -I. -I"$work/include" -Iwindows/platform/posix
  -I"$gtest/googletest/include" -I"$gtest/googletest"
  -I"$gtest/googlemock/include" -I"$gtest/googlemock"
)

sources=() others=()
for input in "$@"; do
  case $input in
    *.cc) sources+=("$input") ;;
    *.h | *.inc) ;;  # declared for the sandbox, included by the sources
    *) others+=("$input") ;;
  esac
done

# A .cc that another source #includes (windows/certify/
# certify_main_windows.cc includes conformance/certify_main.cc) is compiled
# only there.
if [[ ${#sources[@]} -gt 0 ]]; then
  included=$(sed -n 's/^#include "\(.*\.cc\)".*/\1/p' "${sources[@]}")
  kept=()
  for source in "${sources[@]}"; do
    if ! grep -qxF "$source" <<<"$included"; then kept+=("$source"); fi
  done
  sources=("${kept[@]}")
fi

# Compile, two at a time (the machines have two cores).
objects=()
running=0
for k in "${!sources[@]}"; do
  objects+=("$work/$k.o")
  "$cxx" "${flags[@]}" -c "${sources[$k]}" -o "$work/$k.o" \
    2>"$work/$k.log" &
  running=$((running + 1))
  if [[ $running -ge 2 ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true
status=0
for k in "${!sources[@]}"; do
  if [[ -s $work/$k.log ]]; then cat "$work/$k.log" >&2; fi
  if [[ ! -s ${objects[$k]} ]]; then
    echo "mingw_build.sh: compiling ${sources[$k]} failed" >&2
    status=1
  fi
done
[[ $status -eq 0 ]] || exit 1

case $output in
  *.a)
    rm -f "$output"
    "$ar" rcs "$output" "${objects[@]}" "${others[@]}"
    ;;
  *.dll)
    "$cxx" -shared -static -o "$output" "${objects[@]}" "${others[@]}" \
      -lole32 -luuid -ladvapi32 -luser32
    ;;
  *.exe)
    "$cxx" -static -o "$output" "${objects[@]}" "${others[@]}" \
      -lole32 -luuid -ladvapi32 -luser32
    ;;
  *)
    echo "mingw_build.sh: OUTPUT must end in .exe, .dll or .a: $output" >&2
    exit 2
    ;;
esac
