#!/usr/bin/env bash
# File: windows/certify_windows.sh
#
# certify for a handler that is a Windows DLL, on Linux, in one command:
#
#   bazel run //conformance:certify_windows -- --handler=/abs/path/handler.dll \
#       --clsid={xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} [--report_dir=DIR] \
#       [--apartment=sta|mta] [certify's other flags: --scenarios, --timeout,
#        --expectations, --completion_timeout_ms, --list]
#
# It makes a fresh Wine prefix (graphics driver "null": the handler may
# create windows, none is shown), registers our mobsync.dll and the handler
# there with regsvr32 (a handler without DllRegisterServer is registered by
# certify itself), runs certify.exe (the same scenarios, requirement IDs and
# reports as the Linux certify; each scenario in its own process with a time
# limit, so a modal dialog fails its scenario instead of hanging the run),
# copies the report to --report_dir (default: certify-report in the
# directory bazel run was started from) and deletes the prefix. Exit status:
# certify's (0 every requirement passed, 1 one failed, 2 usage error).
#
# Bazel passes CERTIFY_EXE MOBSYNC_DLL SPEC_JSON before the user's flags.
set -euo pipefail

certify_exe=$1 mobsync_dll=$2 spec_json=$3
shift 3

die() {
  echo "certify_windows: $*" >&2
  exit 2
}

# Paths the user gave are relative to where `bazel run` was started.
here=${BUILD_WORKING_DIRECTORY:-$PWD}
absolute() {
  case $1 in
    /*) printf '%s' "$1" ;;
    *) printf '%s' "$here/$1" ;;
  esac
}

handler="" report_dir="$here/certify-report" args=() list=0
for arg in "$@"; do
  case $arg in
    --handler=*) handler=$(absolute "${arg#--handler=}") ;;
    --report_dir=*) report_dir=$(absolute "${arg#--report_dir=}") ;;
    --expectations=*)
      f=$(absolute "${arg#--expectations=}")
      [[ -f $f ]] || die "--expectations: $f is not a file"
      args+=("--expectations=Z:${f//\//\\}")
      ;;
    --list) list=1 args+=("$arg") ;;
    -h | --help)
      sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) args+=("$arg") ;;
  esac
done

for f in "$certify_exe" "$mobsync_dll"; do
  if head -c 21 "$f" | grep -q SYNCMGR_MINGW_MISSING; then
    die "MinGW-w64 was missing when $(basename "$f") was built:" \
      "apt-get install g++-mingw-w64-x86-64-posix, then bazel run again"
  fi
done
wine=${SYNCMGR_WINE:-}
if [[ -z $wine ]]; then
  for candidate in /usr/lib/wine/wine64 wine64 wine; do
    if command -v "$candidate" >/dev/null 2>&1; then
      wine=$candidate
      break
    fi
  done
fi
if [[ -z $wine ]] || ! command -v "$wine" >/dev/null 2>&1; then
  die "Wine is not installed (apt-get install wine64)"
fi
wineserver=$(dirname "$(command -v "$wine")")/wineserver
[[ -x $wineserver ]] || wineserver=$(command -v wineserver || true)
if [[ $list -eq 0 ]]; then
  [[ -n $handler ]] || die "--handler=/path/to/handler.dll is required"
  [[ -f $handler ]] || die "--handler: $handler is not a file"
  if ! head -c 2 "$handler" | grep -q MZ; then
    die "--handler: $handler is not a Windows DLL (a Linux shared object?" \
      "use bazel run //conformance:certify)"
  fi
fi

work=$(mktemp -d /tmp/syncmgr-certify.XXXXXX)
export HOME=$work/home WINEPREFIX=$work/wineprefix TMPDIR=$work/tmp
export WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
mkdir -p "$HOME" "$TMPDIR" "$work/bin/conformance" "$work/report"
# shellcheck disable=SC2317  # Invoked by the traps below.
cleanup() {
  if [[ -d $WINEPREFIX ]]; then "$wineserver" -k >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
winpath() { printf 'Z:%s' "${1//\//\\}"; }

cp "$certify_exe" "$mobsync_dll" "$work/bin/"
cp "$spec_json" "$work/bin/conformance/spec.json"  # found from the cwd
total=$(now)
start=$(now)
"$wine" reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f \
  >"$work/prefix.log" 2>&1 || {
  cat "$work/prefix.log" >&2
  die "could not create a Wine prefix in $WINEPREFIX"
}
echo "certify_windows: Wine prefix created in $(since "$start")"
if ! "$wine" regsvr32 "$(winpath "$work/bin/mobsync.dll")" \
  >"$work/regsvr32.log" 2>&1; then
  cat "$work/regsvr32.log" >&2
  die "regsvr32 mobsync.dll failed"
fi
if [[ $list -eq 0 ]]; then
  if "$wine" regsvr32 "$(winpath "$handler")" >"$work/regsvr32.log" 2>&1; then
    echo "certify_windows: regsvr32 $(basename "$handler"): registered"
  else
    echo "certify_windows: regsvr32 $(basename "$handler") did not register" \
      "it ($(tr -d '\r' <"$work/regsvr32.log" | tail -n 1));" \
      "certify registers the CLSID itself"
  fi
  args=("--handler=$(winpath "$handler")"
    "--report_dir=$(winpath "$work/report")" "${args[@]}")
fi

set +e
# certify's own "Report: Z:\..." line names the prefix's copy: dropped.
(cd "$work/bin" && "$wine" certify.exe "${args[@]}") 2>&1 | tr -d '\r' |
  sed '/^Report: /d'
status=${PIPESTATUS[0]}
set -e
"$wineserver" -w 2>/dev/null || true
if [[ $list -eq 0 && -f $work/report/report.json ]]; then
  mkdir -p "$report_dir"
  cp "$work/report/"* "$report_dir/"
  echo "certify_windows: report in $report_dir (report.html, report.json," \
    "report.xml); $(since "$total") in all"
fi
exit "$status"
