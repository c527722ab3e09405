#!/usr/bin/env bash
# File: windows/certify_windows_test.sh
#
# Runs certify_windows.sh (a fresh Wine prefix, our mobsync.dll, regsvr32 of
# the handler, certify.exe) on one bundled handler DLL and checks its
# verdict exactly, from the console output and report.json:
#
#   EXPECT pass:MODEL   certify exits 0, verdict PASS, no check failed,
#                       crashed or timed out, and the sessions ran (HS-012
#                       and HS-016, the completions of PrepareForSync and
#                       Synchronize, passed: a handler whose Initialize
#                       fails would pass with them not run); regsvr32
#                       registered the handler itself (its
#                       DllRegisterServer), with ThreadingModel MODEL, and
#                       certify used that
#   EXPECT crash:DLL    certify exits 1, verdict FAIL; a scenario that
#                       crashed fails as "crashed with 0xC0000005 at
#                       DLL+0x...", within 10 s, and nothing timed out;
#                       certify registered the CLSID itself (no
#                       DllRegisterServer), ThreadingModel Both
#
# Usage: certify_windows_test.sh CERTIFY_WINDOWS_SH CERTIFY_EXE MOBSYNC_DLL
#            SPEC_JSON WINE_PREFIX_SH HANDLER_DLL CLSID EXPECT
#            [certify flags...]
#
# Skips (prints SKIPPED, exits 0) when MinGW-w64 (placeholder outputs) or
# Wine is missing, unless SYNCMGR_REQUIRE_WINE=1 (CI), which fails instead.
set -euo pipefail

if [[ $# -lt 8 ]]; then
  echo "usage: $0 CERTIFY_WINDOWS_SH CERTIFY_EXE MOBSYNC_DLL SPEC_JSON" \
    "WINE_PREFIX_SH HANDLER_DLL CLSID EXPECT [certify flags...]" >&2
  exit 2
fi
certify_windows=$1 certify_exe=$2 mobsync_dll=$3 spec_json=$4 prefix_sh=$5
handler=$6 clsid=$7 expect=$8
shift 8
# shellcheck source=windows/wine_prefix.sh
source "$prefix_sh"

missing() {
  if [[ ${SYNCMGR_REQUIRE_WINE:-0} == 1 ]]; then
    echo "certify_windows_test: FAIL: $1 not installed, and" \
      "SYNCMGR_REQUIRE_WINE=1 ($2)"
    exit 1
  fi
  echo "SKIPPED: $1 not installed ($2); the Windows tests did not run."
  echo "Set SYNCMGR_REQUIRE_WINE=1 to make this a failure."
  exit 0
}
for f in "$certify_exe" "$mobsync_dll" "$handler"; do
  if head -c 21 "$f" | grep -q SYNCMGR_MINGW_MISSING; then
    missing "MinGW-w64 (x86_64-w64-mingw32-g++)" \
      "apt-get install g++-mingw-w64-x86-64-posix"
  fi
done
wine_find || missing "$wine_missing" "apt-get install wine64"
python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3)

# A short path for the handler: Bazel's runfiles are too deep for some
# Windows paths (MAX_PATH) once they are seen from Wine as Z:\...
tmp=$(mktemp -d /tmp/syncmgr-certify-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$handler" "$tmp/"
report=$tmp/report
mkdir -p "$report"
# Bazel's test protocol variables are for this script, not for the Windows
# programs (Wine passes the environment on).
unset XML_OUTPUT_FILE TEST_PREMATURE_EXIT_FILE TEST_SHARD_STATUS_FILE \
  TEST_TOTAL_SHARDS TEST_SHARD_INDEX GTEST_OUTPUT

set +e
bash "$certify_windows" "$certify_exe" "$mobsync_dll" "$spec_json" \
  "$prefix_sh" --handler="$tmp/$(basename "$handler")" --clsid="$clsid" \
  --report_dir="$report" "$@" 2>&1 | tee "$report/console.log"
status=${PIPESTATUS[0]}
set -e
if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then
  cp -r "$report/." "$TEST_UNDECLARED_OUTPUTS_DIR/" 2>/dev/null || true
fi
echo
if [[ ! -f $report/report.json ]]; then
  echo "certify_windows_test: FAIL: no report.json (exit $status)"
  exit 1
fi

"$python" - "$report/report.json" "$report/console.log" "$status" \
  "$expect" "$(basename "$handler")" <<'EOF'
import json
import re
import sys

report_path, console_path, status, expect, dll = sys.argv[1:]
status = int(status)
report = json.load(open(report_path))
console = open(console_path).read()
kind, _, what = expect.partition(":")
problems = []


def check(ok, text):
    print(("  ok    " if ok else "  FAIL  ") + text)
    if not ok:
        problems.append(text)


def has_note(pattern):
    notes = [n for n in report["notes"] if n.startswith("setup: ")]
    found = any(re.search(pattern, n) for n in notes)
    return found and re.search(pattern, console) is not None


results = {}
for c in report["checks"]:
    results.setdefault(c["result"], []).append(c)
print("certify exit %d, verdict %s; checks: %s" % (
    status, report["verdict"],
    ", ".join("%d %s" % (len(v), k) for k, v in sorted(results.items()))))
check(has_note(r"Wine prefix: .*graphics driver null.*AeDebug off"),
      "the prefix setup is in the console and in the report's notes")
timed_out = results.get("timed out", [])
check(not timed_out, "no scenario timed out" + "".join(
    "\n          %s: %s" % (c["name"], c["message"]) for c in timed_out))
if kind == "pass":
    check(status == 0, "certify exited 0")
    check(report["verdict"] == "PASS", "verdict PASS")
    bad = results.get("failed", []) + results.get("crashed", [])
    check(not bad, "no check failed or crashed" + "".join(
        "\n          %s %s: %s" % (c["name"], c["requirements"], c["message"])
        for c in bad))
    # A handler whose Initialize fails (no window: the prefix's old
    # problem) passes vacuously, its sessions not observed: the sessions
    # must have run, their completions reached the manager.
    status_of = {r["id"]: r["status"] for r in report["requirements"]}
    for rid in ("HS-012", "HS-016"):
        check(status_of.get(rid) == "pass",
              "%s passed (observed): %s" % (rid, status_of.get(rid)))
    check(has_note(r"regsvr32 %s: DllRegisterServer succeeded" % re.escape(dll)),
          "regsvr32 ran the handler's DllRegisterServer")
    check(has_note(r"ThreadingModel %s, as %s registered it" % (
        re.escape(what), re.escape(dll))),
        "the handler's own registration was used, ThreadingModel " + what)
elif kind == "crash":
    check(status == 1, "certify exited 1")
    check(report["verdict"] == "FAIL", "verdict FAIL")
    crashed = results.get("crashed", [])
    check(crashed, "some scenario crashed")
    where = r"crashed with 0xC0000005 at %s\+0x[0-9a-f]+" % re.escape(what)
    for c in crashed:
        check(re.search(where, c["message"]) is not None and
              c["seconds"] < 10,
              "%s %s: %s (%.1f s)" % (c["name"], c["requirements"][0],
                                      c["message"], c["seconds"]))
    check(has_note(r"certify registers %s itself, with ThreadingModel Both"
                   % re.escape(dll)),
          "certify registered the CLSID itself (no DllRegisterServer)")
else:
    check(False, "unknown EXPECT " + expect)
print("certify_windows_test: %s" % ("PASS" if not problems else
                                   "FAIL (%d problem(s))" % len(problems)))
sys.exit(1 if problems else 0)
EOF
