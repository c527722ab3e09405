#!/usr/bin/env bash
# File: reference/mobsync/fidelity/fidelity.sh
#
# The type-fidelity check: builds fidelity_printer.cc against the real Windows
# headers with MinGW-w64, runs it under Wine in a fresh prefix, runs the Linux
# printer (built by Bazel against reference/mobsync/mobsync.h) and compares
# the two tables with compare.py, allowing exactly the differences listed in
# expected_differences.txt.
#
# Usage: fidelity.sh test|report LINUX_PRINTER PRINTER_SRC EXPECTED COMPARE_PY
#   test    print failures and the verdict (the fidelity_test sh_test)
#   report  print the whole table side by side (bazel run :fidelity_report)
#
# When MinGW-w64 or Wine is missing it prints "SKIPPED: ... not installed" and
# exits 0, unless SYNCMGR_REQUIRE_WINE=1 (CI), which makes that a failure.
# FIDELITY_MINGW_CXX and FIDELITY_WINE override the tools (fidelity_selftest
# uses them to exercise the skip path).
set -euo pipefail

if [[ $# -ne 5 || ($1 != test && $1 != report) ]]; then
  echo "usage: $0 test|report LINUX_PRINTER PRINTER_SRC EXPECTED COMPARE_PY" >&2
  exit 2
fi
mode=$1 linux_printer=$2 printer_src=$3 expected=$4 compare=$5

# ---- Tools ----
missing() {
  if [[ ${SYNCMGR_REQUIRE_WINE:-0} == 1 ]]; then
    echo "fidelity: FAIL: $1 not installed, and SYNCMGR_REQUIRE_WINE=1 ($2)"
    exit 1
  fi
  echo "SKIPPED: $1 not installed ($2); the fidelity test did not run."
  echo "Set SYNCMGR_REQUIRE_WINE=1 to make this a failure."
  exit 0
}

mingw_cxx=${FIDELITY_MINGW_CXX:-x86_64-w64-mingw32-g++}
command -v "$mingw_cxx" >/dev/null 2>&1 ||
  missing "MinGW-w64 ($mingw_cxx)" "apt-get install g++-mingw-w64-x86-64-posix"

wine=${FIDELITY_WINE:-}
if [[ -z $wine ]]; then
  for candidate in /usr/lib/wine/wine64 wine64 wine; do
    if command -v "$candidate" >/dev/null 2>&1; then
      wine=$candidate
      break
    fi
  done
fi
if [[ -z $wine ]] || ! command -v "$wine" >/dev/null 2>&1; then
  missing "Wine (${wine:-wine64})" "apt-get install wine64"
fi
wineserver=$(dirname "$(command -v "$wine")")/wineserver
[[ -x $wineserver ]] || wineserver=$(command -v wineserver || true)
[[ -n $wineserver ]] || missing "wineserver" "apt-get install wine64"

python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3)

# ---- Scratch space (the Wine prefix alone is ~690 MB) ----
if [[ -n ${TEST_TMPDIR:-} ]]; then
  work=$(mktemp -d "$TEST_TMPDIR/fidelity.XXXXXX")
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/fidelity.XXXXXX")
fi
# Wine keeps its server socket in $TMPDIR/wine-XXXXXX: keep that in $work too.
export HOME=$work/home WINEPREFIX=$work/wineprefix TMPDIR=$work/tmp
export WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
mkdir -p "$HOME" "$TMPDIR"
# shellcheck disable=SC2317  # Invoked by the traps below.
cleanup() {
  # Stop this prefix's wineserver (only ours: it is keyed by WINEPREFIX).
  if [[ -d $WINEPREFIX ]]; then
    "$wineserver" -k >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM  # Bazel's timeout: still run cleanup.
trap 'exit 130' INT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# ---- Windows side ----
start=$(now)
exe=$work/fidelity_printer.exe
if ! "$mingw_cxx" -std=c++17 -static -Wall -Wextra -o "$exe" \
  "$printer_src" -lole32 -luuid 2>"$work/compile.log"; then
  echo "fidelity: FAIL: $mingw_cxx could not build $printer_src:"
  cat "$work/compile.log"
  exit 1
fi
compile_time=$(elapsed "$start")

start=$(now)
if ! "$wine" "$exe" >"$work/windows.raw" 2>"$work/wine.log"; then
  echo "fidelity: FAIL: the printer failed under Wine ($wine); its stderr:"
  cat "$work/wine.log"
  exit 1
fi
tr -d '\r' <"$work/windows.raw" >"$work/windows.txt"
if [[ $(head -n 1 "$work/windows.txt") != "# MinGW-w64 "* ]]; then
  echo "fidelity: FAIL: no table from the printer under Wine; its output:"
  cat "$work/windows.txt" "$work/wine.log"
  exit 1
fi
"$wineserver" -w  # The first start leaves a wineserver running for ~2 s.
rm -rf "$WINEPREFIX"
wine_time=$(elapsed "$start")

# ---- Our side ----
"$linux_printer" >"$work/ours.txt"

if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then
  cp "$work/windows.txt" "$work/ours.txt" "$TEST_UNDECLARED_OUTPUTS_DIR/"
fi

# ---- Compare ----
echo "Windows: $(sed -n '1s/^# //p' "$work/windows.txt"),"
echo "         run under $("$wine" --version 2>/dev/null || echo "$wine")" \
  "(build $compile_time; run $wine_time with a fresh prefix)"
echo "Ours:    $(sed -n '1s/^# //p' "$work/ours.txt")"
echo "Allowed: $expected"
echo
status=0
if [[ $mode == report ]]; then
  "$python" "$compare" --report "$work/windows.txt" "$work/ours.txt" \
    "$expected" || status=$?
else
  "$python" "$compare" "$work/windows.txt" "$work/ours.txt" "$expected" ||
    status=$?
  if [[ $status -ne 0 ]]; then
    echo "Whole table: bazel run //reference/mobsync/fidelity:fidelity_report"
  fi
fi
exit "$status"
