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
#   EXPECT slow:MODEL:SECONDS
#                       as pass:MODEL, for a handler that takes long: every
#                       scenario run took at least SECONDS (the handler's
#                       sessions did last that long), certify's own limits
#                       were in force (no --completion_timeout_ms or
#                       --timeout among the flags) and report.json's notes
#                       name them ("completion limit N ms
#                       (--completion_timeout_ms), scenario limit M s
#                       (--timeout)")
#   EXPECT items:MODEL  as pass:MODEL, and the handler's items were
#                       judged: EN-001 and EN-002 passed; each
#                       --registry=FILE among the flags is a setup note
#                       ("registry: FILE imported ... (exit 0)") and each
#                       --setup=COMMAND one with "exit status 0"
#   EXPECT no_items:MODEL
#                       the handler enumerated no items: EN-002 not run,
#                       with a reason saying the handler enumerated no item;
#                       EN-001 passed; no check failed, crashed or timed
#                       out, so the documented verdict is not FAIL for the
#                       missing items; registered as for pass:MODEL
#   EXPECT crash:DLL    certify exits 1, verdict FAIL; a scenario that
#                       crashed fails as "crashed with 0xC0000005 at
#                       DLL+0x...", within 10 s, and nothing timed out;
#                       certify registered the CLSID itself (no
#                       DllRegisterServer), ThreadingModel Both
#   EXPECT setup_errors certify_windows stops with exit 2, a message and no
#                       report for each of: --registry=/nonexistent.reg
#                       (at once, before any prefix is made), a
#                       --registry file that is not a .reg file (wine reg
#                       import fails), and a --setup command that exits 3
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

# certify_windows on the handler with these flags: $status, its output in
# $report/console.log.
certify_windows() {
  set +e
  bash "$certify_windows" "$certify_exe" "$mobsync_dll" "$spec_json" \
    "$prefix_sh" --handler="$tmp/$(basename "$handler")" --clsid="$clsid" \
    --report_dir="$report" "$@" 2>&1 | tee "$report/console.log"
  status=${PIPESTATUS[0]}
  set -e
}

if [[ $expect == setup_errors ]]; then
  problems=0
  # NAME SECONDS PATTERN FLAG...: exit 2, PATTERN in the output, no report,
  # within SECONDS.
  stops() {
    local name=$1 limit=$2 pattern=$3 start seconds
    shift 3
    echo "--- $name"
    rm -rf "$report" && mkdir -p "$report"
    start=$(wine_now)
    certify_windows "$@"
    seconds=$(wine_since "$start")
    local ok=1
    [[ $status -eq 2 ]] || ok=0
    grep -qE -e "$pattern" "$report/console.log" || ok=0
    [[ ! -f $report/report.json ]] || ok=0
    awk -v s="${seconds% s}" -v l="$limit" 'BEGIN { exit !(s < l) }' || ok=0
    if [[ $ok -eq 1 ]]; then
      echo "  ok    $name: exit 2 in $seconds, no report, /$pattern/"
    else
      echo "  FAIL  $name: exit $status in $seconds (limit $limit s)," \
        "report.json $([[ -f $report/report.json ]] || echo "not ")written;" \
        "expected exit 2 and /$pattern/"
      problems=$((problems + 1))
    fi
    if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then
      cp "$report/console.log" "$TEST_UNDECLARED_OUTPUTS_DIR/$name.log" || true
    fi
  }
  stops missing_file 5 \
    "^certify_windows: --registry: /nonexistent.reg is not a file$" \
    --registry=/nonexistent.reg
  if grep -q "Wine prefix:" "$report/console.log"; then
    echo "  FAIL  missing_file: a Wine prefix was made before the check"
    problems=$((problems + 1))
  fi
  printf '%s\n' '[HKEY_CURRENT_USER\Software\SyncmgrConformance]' \
    '"NoHeader"="1"' >"$tmp/no_header.reg"
  stops not_a_reg_file 120 \
    "--registry: wine reg import $tmp/no_header.reg failed \(exit [1-9]" \
    --registry="$tmp/no_header.reg"
  stops setup_fails 120 \
    "--setup: the command exited with status 3: echo configuring; exit 3" \
    --setup="echo configuring; exit 3"
  grep -qx "  | configuring" "$report/console.log" || {
    echo "  FAIL  setup_fails: the command's output was not shown"
    problems=$((problems + 1))
  }
  if [[ $problems -eq 0 ]]; then
    echo "certify_windows_test: PASS"
    exit 0
  fi
  echo "certify_windows_test: FAIL ($problems problem(s))"
  exit 1
fi

certify_windows "$@"
if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then
  cp -r "$report/." "$TEST_UNDECLARED_OUTPUTS_DIR/" 2>/dev/null || true
fi
echo
if [[ ! -f $report/report.json ]]; then
  echo "certify_windows_test: FAIL: no report.json (exit $status)"
  exit 1
fi

"$python" - "$report/report.json" "$report/console.log" "$status" \
  "$expect" "$(basename "$handler")" "$@" <<'EOF'
import json
import re
import sys

report_path, console_path, status, expect, dll = sys.argv[1:6]
flags = sys.argv[6:]
status = int(status)
report = json.load(open(report_path))
console = open(console_path).read()
kind, _, what = expect.partition(":")
if kind == "slow":
    what, _, least = what.partition(":")
    least = float(least)
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
status_of = {r["id"]: r["status"] for r in report["requirements"]}
bad = results.get("failed", []) + results.get("crashed", [])
if kind in ("pass", "slow", "items", "no_items"):
    check(status == 0, "certify exited 0")
    check(not bad, "no check failed or crashed" + "".join(
        "\n          %s %s: %s" % (c["name"], c["requirements"], c["message"])
        for c in bad))
    check(has_note(r"regsvr32 %s: DllRegisterServer succeeded" % re.escape(dll)),
          "regsvr32 ran the handler's DllRegisterServer")
    check(has_note(r"ThreadingModel %s, as %s registered it" % (
        re.escape(what), re.escape(dll))),
        "the handler's own registration was used, ThreadingModel " + what)
if kind in ("pass", "slow", "items"):
    check(report["verdict"] == "PASS", "verdict PASS")
    # A handler whose Initialize fails (no window: the prefix's old
    # problem) passes vacuously, its sessions not observed: the sessions
    # must have run, their completions reached the manager.
    for rid in ("HS-012", "HS-016"):
        check(status_of.get(rid) == "pass",
              "%s passed (observed): %s" % (rid, status_of.get(rid)))
if kind == "items":
    # The items came from the imported configuration: the enumerator
    # rules were judged, not left "not run".
    for rid in ("EN-001", "EN-002"):
        check(status_of.get(rid) == "pass",
              "%s passed: %s" % (rid, status_of.get(rid)))
    for flag in flags:
        if flag.startswith("--registry="):
            name = flag[len("--registry="):]
            check(has_note(r"registry: \S*%s imported into the prefix with "
                           r"wine reg import \(exit 0\): [1-9]\d* key"
                           % re.escape(name.rsplit("/", 1)[-1])),
                  "the import of %s is a setup note" % name)
        elif flag.startswith("--setup="):
            check(has_note(r"setup command .*: %s; exit status 0" %
                           re.escape(flag[len("--setup="):])),
                  "the --setup command is a setup note, exit status 0")
elif kind == "no_items":
    documented = report["verdicts"]["documented"]["verdict"]
    check(documented != "FAIL",
          "documented verdict not FAIL for the missing items: " + documented)
    check(status_of.get("EN-001") == "pass",
          "EN-001 passed (Next was called): %s" % status_of.get("EN-001"))
    check(status_of.get("EN-002") == "not run",
          "EN-002 not run: %s" % status_of.get("EN-002"))
    why = [c["message"] for c in report["checks"]
           if "EN-002" in c["requirements"] and c["result"] == "skipped"]
    check(why and all("enumerated no item" in m for m in why),
          "EN-002's reason: the handler enumerated no item: %s" %
          (why[0] if why else "(none)"))
    check(not has_note(r"registry: "), "no --registry import was noted")
elif kind == "slow":
    # Certify's defaults, as a user who passes no limit gets them.
    given = [f for f in flags if f.split("=", 1)[0] in
             ("--completion_timeout_ms", "--timeout")]
    check(not given, "no limit among the flags (certify's defaults): %s" %
          (" ".join(given) or "none"))
    limits = [m.group(0) for m in (
        re.search(r"completion limit \d+ ms \(--completion_timeout_ms\), "
                  r"scenario limit \d+ s \(--timeout\)", n)
        for n in report["notes"]) if m]
    check(len(limits) == 1, "the notes name the limits: %s" %
          (limits[0] if limits else "(no such note)"))
    took = {}
    for c in report["checks"]:
        took[c["name"]] = max(took.get(c["name"], 0), c["seconds"])
    check(took, "some scenario ran")
    for name, seconds in sorted(took.items()):
        check(seconds >= least, "%s took %.1f s (at least %g s: the "
              "handler's sessions were as slow as it is)" %
              (name, seconds, least))
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
elif kind != "pass":
    check(False, "unknown EXPECT " + expect)
print("certify_windows_test: %s" % ("PASS" if not problems else
                                   "FAIL (%d problem(s))" % len(problems)))
sys.exit(1 if problems else 0)
EOF
