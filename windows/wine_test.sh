#!/usr/bin/env bash
# File: windows/wine_test.sh
#
# The Windows side of the suite under Wine, through real COM (ole32): one
# fresh Wine prefix (windows/wine_prefix.sh: graphics driver "null", so
# windows can be created and none is shown; AeDebug off), our mobsync.dll
# installed in its system32 and the sample handler registered with regsvr32
# (the handler registers itself with CLSID_SyncMgr from its
# DllRegisterServer), then
#   1. windows_smoke.exe  CoCreateInstance(CLSID_SyncMgr) + UpdateItems on
#                         the sample handler, from an STA and from the MTA
#   2. conformance.exe    the conformance suite in both session modes (each
#                         test in its own process, in the MTA), each
#                         compared with the Linux suite's
#                         run against the reference plug-in in the same mode:
#                         every requirement status and every test result must
#                         be equal (compare_reports.py, except
#                         testdata/expected_differences.txt)
#   3. certify.exe        on sample_handler.dll (STA main thread), compared
#                         with the Linux certify on sample_handler.so
#   4. certify.exe        on windows_handlers.dll (regsvr32'd: its items are
#                         in HandlerItems, the window handler's
#                         ThreadingModel is Apartment): the hidden-window
#                         handler and the marshaling handler pass every
#                         scenario (concurrent_sessions included: the
#                         window handler's asynchronous sessions run on STA
#                         threads of their own); the modal-dialog handler
#                         fails its scenario as timed out and the run ends
#   5. regsvr32 /u        the sample handler leaves the Sync Manager's list,
#                         then CLSID_SyncMgr is no longer registered
#
# Usage: wine_test.sh WINE_PREFIX_SH MOBSYNC_DLL LINUX_SUITE LINUX_PLUGIN
#                     EXPECTATIONS_SYNC COMPARE_PY EXPECTED_DIFFERENCES
#                     SPEC_JSON LINUX_CERTIFY
#   MOBSYNC_DLL's directory also holds sample_handler.dll, windows_smoke.exe,
#   conformance.exe, certify.exe and windows_handlers.dll (the genrules of
#   windows/BUILD.bazel).
#
# Skips (prints SKIPPED, exits 0) when MinGW-w64 (placeholder outputs) or
# Wine is missing, unless SYNCMGR_REQUIRE_WINE=1 (CI), which fails instead.
# The prefix (~690 MB) is deleted at the end.
set -euo pipefail

if [[ $# -ne 9 ]]; then
  echo "usage: $0 WINE_PREFIX_SH MOBSYNC_DLL LINUX_SUITE LINUX_PLUGIN" \
    "EXPECTATIONS_SYNC COMPARE_PY EXPECTED_DIFFERENCES SPEC_JSON" \
    "LINUX_CERTIFY" >&2
  exit 2
fi
# shellcheck source=windows/wine_prefix.sh
source "$1"
shift
bin=$(dirname "$1") linux_suite=$2 linux_plugin=$3 expectations_sync=$4
compare=$5 expected_differences=$6 spec_json=$7 linux_certify=$8

missing() {
  if [[ ${SYNCMGR_REQUIRE_WINE:-0} == 1 ]]; then
    echo "wine_test: FAIL: $1 not installed, and SYNCMGR_REQUIRE_WINE=1 ($2)"
    exit 1
  fi
  echo "SKIPPED: $1 not installed ($2); the Windows tests did not run."
  echo "Set SYNCMGR_REQUIRE_WINE=1 to make this a failure."
  exit 0
}

windows_files=(mobsync.dll sample_handler.dll windows_smoke.exe conformance.exe
  certify.exe windows_handlers.dll)
for f in "${windows_files[@]}"; do
  if head -c 21 "$bin/$f" | grep -q SYNCMGR_MINGW_MISSING; then
    missing "MinGW-w64 (x86_64-w64-mingw32-g++)" \
      "apt-get install g++-mingw-w64-x86-64-posix"
  fi
done
wine_find || missing "$wine_missing" "apt-get install wine64"
python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3)

# Short paths: Bazel's test directories are too deep for some Windows paths
# (MAX_PATH) once they are seen from Wine as Z:\...
work=$(mktemp -d /tmp/syncmgr-wine.XXXXXX)
# Bazel's test protocol variables are for this script, not for the
# GoogleTest programs it starts (Wine passes the environment on, and
# GoogleTest would write its XML to a Linux path).
unset XML_OUTPUT_FILE TEST_PREMATURE_EXIT_FILE TEST_SHARD_STATUS_FILE \
  TEST_TOTAL_SHARDS TEST_SHARD_INDEX GTEST_OUTPUT
mkdir -p "$work/bin" "$work/reports"
# shellcheck disable=SC2317  # Invoked by the traps below.
cleanup() {
  if [[ -d $work/wineprefix ]]; then
    "$wineserver" -k >/dev/null 2>&1 || true
  fi
  if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} && -d $work/reports ]]; then
    cp -r "$work/reports/." "$TEST_UNDECLARED_OUTPUTS_DIR/" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

now() { wine_now; }
since() { wine_since "$1"; }
winpath() { printf 'Z:%s' "${1//\//\\}"; }
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

for f in "${windows_files[@]}"; do cp "$bin/$f" "$work/bin/"; done
mkdir -p "$work/bin/conformance"
cp "$spec_json" "$work/bin/conformance/spec.json"  # read from the cwd
cp "$expectations_sync" "$work/bin/expectations_sync.txt"
wbin=$(winpath "$work/bin")
total=$(now)

# ---- The prefix ----
if ! wine_prefix_create "$work" "$work/prefix.log"; then
  cat "$work/prefix.log"
  fail "could not create the Wine prefix"
  exit 1
fi

start=$(now)
if ! wine_install_mobsync "$bin/mobsync.dll" "$work/regsvr32.log"; then
  tr -d '\r' <"$work/regsvr32.log"
  fail "regsvr32 mobsync.dll"
fi
if ! "$wine" regsvr32 "$wbin\\sample_handler.dll" >"$work/regsvr32.log" 2>&1 ||
  ! grep -q "Successfully registered" "$work/regsvr32.log"; then
  tr -d '\r' <"$work/regsvr32.log"
  fail "regsvr32 sample_handler.dll"
fi
echo "regsvr32 mobsync.dll sample_handler.dll: $(since "$start")"
"$wine" reg query \
  'HKLM\Software\Microsoft\Windows\CurrentVersion\Syncmgr\Handlers' /s \
  2>/dev/null | tr -d '\r' | sed -n 's/^HKEY/  registered handler: HKEY/p'

# ---- 1. Smoke ----
for run in "sta async" "mta sync"; do
  read -r apartment mode <<<"$run"
  start=$(now)
  if SYNCMGR_REFERENCE_MODE=$mode timeout 120 "$wine" \
    "$wbin\\windows_smoke.exe" "$apartment" >"$work/smoke.log" 2>&1; then
    echo "windows_smoke.exe ($apartment, $mode): passed in $(since "$start")"
  else
    tr -d '\r' <"$work/smoke.log"
    fail "windows_smoke.exe ($apartment, $mode)"
  fi
done

# ---- 2. The conformance suite, Windows against Linux ----
for mode in sync async; do
  expect_args=()
  if [[ $mode == sync ]]; then
    expect_args=(--expectations="$wbin\\expectations_sync.txt")
  fi
  start=$(now)
  (cd "$work/bin" && SYNCMGR_REFERENCE_MODE=$mode \
    SYNCMGR_REFERENCE_TIMEOUT_MS=1000 timeout 600 "$wine" conformance.exe \
    --apartment=mta --session_timeout_ms=10000 --quiet "${expect_args[@]}" \
    --report_dir="$(winpath "$work/reports/windows_$mode")") \
    >"$work/windows_$mode.log" 2>&1 || true
  echo "conformance.exe ($mode, MTA): $(tr -d '\r' <"$work/windows_$mode.log" |
    grep '^conformance: ' || echo 'no verdict') in $(since "$start")"
  if [[ ! -f $work/reports/windows_$mode/report.json ]]; then
    tr -d '\r' <"$work/windows_$mode.log" | tail -40
    fail "conformance.exe ($mode) wrote no report"
    continue
  fi
  start=$(now)
  expect_args=()
  if [[ $mode == sync ]]; then
    expect_args=(--expectations="$expectations_sync")
  fi
  SYNCMGR_REFERENCE_MODE=$mode SYNCMGR_REFERENCE_TIMEOUT_MS=1000 \
    "$linux_suite" --implementation="$linux_plugin" --quiet \
    "${expect_args[@]}" --report_dir="$work/reports/linux_$mode" \
    >"$work/linux_$mode.log" 2>&1 || true
  echo "Linux conformance_suite ($mode): $(grep '^conformance: ' \
    "$work/linux_$mode.log" || echo 'no verdict') in $(since "$start")"
  if ! "$python" "$compare" "conformance_$mode" \
    "$work/reports/linux_$mode/report.json" \
    "$work/reports/windows_$mode/report.json" "$expected_differences"; then
    fail "conformance ($mode): Windows and Linux results differ"
  fi
done

# ---- 3. certify, Windows against Linux, on the sample handler ----
certify() {  # LABEL DLL CLSID [certify flags...]: certify.exe's exit status
  local label=$1 dll=$2 clsid=$3
  shift 3
  local start
  start=$(now)
  set +e
  (cd "$work/bin" && timeout 600 "$wine" certify.exe \
    --handler="$wbin\\$dll" --clsid="$clsid" \
    --report_dir="$(winpath "$work/reports/$label")" "$@") \
    >"$work/$label.log" 2>&1
  local status=$?
  set -e
  echo "certify.exe $label: $(tr -d '\r' <"$work/$label.log" |
    grep -E '^certify: (PASS|FAIL)' || echo 'no verdict') (exit $status) in" \
    "$(since "$start")"
  return "$status"
}
sample_clsid={5A3F1E00-6D2B-4C1A-9E57-0C0FFEE00001}
certify certify_sample sample_handler.dll "$sample_clsid" || true
start=$(now)
"$linux_certify" --report_dir="$work/reports/linux_certify" \
  >"$work/linux_certify.log" 2>&1 || true
echo "Linux certify (sample_handler.so): $(grep -E '^certify: (PASS|FAIL)' \
  "$work/linux_certify.log" || echo 'no verdict') in $(since "$start")"
if [[ ! -f $work/reports/certify_sample/report.json ]]; then
  tr -d '\r' <"$work/certify_sample.log" | tail -40
  fail "certify.exe wrote no report"
elif ! "$python" "$compare" certify \
  "$work/reports/linux_certify/report.json" \
  "$work/reports/certify_sample/report.json" "$expected_differences"; then
  fail "certify: Windows and Linux results differ"
fi

# ---- 4. Handlers as Windows writes them ----
# Their DllRegisterServer writes the window handler's HandlerItems and
# registers all five with CLSID_SyncMgr.
if ! "$wine" regsvr32 "$wbin\\windows_handlers.dll" >"$work/regsvr32.log" 2>&1
then
  tr -d '\r' <"$work/regsvr32.log"
  fail "regsvr32 windows_handlers.dll"
fi
for handler in "A001 hidden window *" "A002 marshaled callback *"; do
  read -r suffix what1 what2 scenarios <<<"$handler"
  what="$what1 $what2"
  if ! certify "handler_$suffix" windows_handlers.dll \
    "{5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0$suffix}" \
    --completion_timeout_ms=15000 "--scenarios=$scenarios"; then
    tr -d '\r' <"$work/handler_$suffix.log" | tail -30
    fail "certify.exe on the $what handler"
  fi
done
start=$(now)
if certify handler_modal windows_handlers.dll \
  "{5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0A003}" \
  --scenarios=invoke_flags_startsync/sync --timeout=10; then
  fail "certify.exe passed the modal-dialog handler"
elif ! grep -q '"result": *"timed out"' \
  "$work/reports/handler_modal/report.json" 2>/dev/null; then
  tr -d '\r' <"$work/handler_modal.log" | tail -30
  fail "certify.exe did not report the modal-dialog handler as timed out"
else
  echo "  the modal-dialog handler failed its scenario as timed out, as it must"
fi

# ---- 5. Unregistration ----
"$wine" regsvr32 /u "$wbin\\sample_handler.dll" >"$work/regsvr32.log" 2>&1 ||
  fail "regsvr32 /u sample_handler.dll: $(tr -d '\r' <"$work/regsvr32.log")"
if "$wine" reg query \
  "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Syncmgr\\Handlers\\$sample_clsid" \
  >/dev/null 2>&1; then
  fail "regsvr32 /u sample_handler.dll left its Sync Manager registration"
fi
"$wine" regsvr32 /u "$wine_mobsync" >"$work/regsvr32.log" 2>&1 ||
  fail "regsvr32 /u mobsync.dll: $(tr -d '\r' <"$work/regsvr32.log")"
if timeout 120 "$wine" "$wbin\\windows_smoke.exe" unregistered \
  >"$work/smoke.log" 2>&1; then
  echo "regsvr32 /u sample_handler.dll mobsync.dll: both unregistered"
else
  tr -d '\r' <"$work/smoke.log"
  fail "windows_smoke.exe unregistered"
fi

"$wineserver" -w
echo
echo "wine_test: $([[ $failures -eq 0 ]] && echo PASS || echo FAIL)" \
  "($failures failure(s)) in $(since "$total")"
[[ $failures -eq 0 ]]
