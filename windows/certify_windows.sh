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
# It makes a fresh Wine prefix that behaves like a desktop session (graphics
# driver "null": the handler may create windows, none is shown; AeDebug off:
# a crash ends the process at once), installs our mobsync.dll in its
# system32 (for handlers that import it) and registers it, registers the
# handler with regsvr32 (its own DllRegisterServer; when HKCR's
# InprocServer32 does not name the DLL afterwards, e.g. it has no
# DllRegisterServer, certify registers it itself with ThreadingModel Both),
# runs certify.exe (the same scenarios, requirement IDs and reports as the
# Linux certify; each scenario in its own process with a time limit, so a
# modal dialog fails its scenario instead of hanging the run, and a crash
# fails it as crashed, with the module and offset), copies the report to
# --report_dir (default: certify-report in the directory bazel run was
# started from) and deletes the prefix. Every setup step is printed and
# listed in the report's notes. Exit status: certify's (0 every requirement
# passed, 1 one failed, 2 usage error).
#
# Bazel passes CERTIFY_EXE MOBSYNC_DLL SPEC_JSON WINE_PREFIX_SH before the
# user's flags (without WINE_PREFIX_SH, windows/wine_prefix.sh is looked for
# beside this script, then under the current directory).
set -euo pipefail

certify_exe=$1 mobsync_dll=$2 spec_json=$3
shift 3
# The shared prefix setup: the next argument, or (callers that pass only the
# first three, e.g. tools/install.sh's launcher) beside this script or in
# the runfiles tree it runs in.
prefix_sh=""
if [[ ${1:-} == */wine_prefix.sh && -f $1 ]]; then
  prefix_sh=$1
  shift
else
  for candidate in "$(dirname "${BASH_SOURCE[0]}")/wine_prefix.sh" \
    windows/wine_prefix.sh; do
    if [[ -f $candidate ]]; then
      prefix_sh=$candidate
      break
    fi
  done
fi
if [[ -z $prefix_sh ]]; then
  echo "certify_windows: windows/wine_prefix.sh not found" >&2
  exit 2
fi
# shellcheck source=windows/wine_prefix.sh
source "$prefix_sh"

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

handler="" clsid="" report_dir="$here/certify-report" args=() list=0
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
    --clsid=*) clsid=${arg#--clsid=} args+=("$arg") ;;
    -h | --help)
      sed -n '3,29p' "$0" | sed 's/^# \{0,1\}//'
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
wine_find || die "$wine_missing is not installed (apt-get install wine64)"
if [[ $list -eq 0 ]]; then
  [[ -n $handler ]] || die "--handler=/path/to/handler.dll is required"
  [[ -f $handler ]] || die "--handler: $handler is not a file"
  if ! head -c 2 "$handler" | grep -q MZ; then
    die "--handler: $handler is not a Windows DLL (a Linux shared object?" \
      "use bazel run //conformance:certify)"
  fi
fi

work=$(mktemp -d /tmp/syncmgr-certify.XXXXXX)
mkdir -p "$work/bin/conformance" "$work/report"
# shellcheck disable=SC2317  # Invoked by the traps below.
cleanup() {
  if [[ -d $work/wineprefix ]]; then
    "$wineserver" -k >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

winpath() { printf 'Z:%s' "${1//\//\\}"; }

cp "$certify_exe" "$work/bin/"
cp "$spec_json" "$work/bin/conformance/spec.json"  # found from the cwd
total=$(wine_now)
wine_note_prefix="certify_windows: "
wine_setup_notes=$work/setup_notes.txt
: >"$wine_setup_notes"
if ! wine_prefix_create "$work" "$work/prefix.log"; then
  cat "$work/prefix.log" >&2
  die "could not create a Wine prefix in $WINEPREFIX"
fi
if ! wine_install_mobsync "$mobsync_dll" "$work/regsvr32.log"; then
  tr -d '\r' <"$work/regsvr32.log" >&2
  die "regsvr32 mobsync.dll failed"
fi

# The handler's own registration (regsvr32 runs its DllRegisterServer),
# then what HKCR says: certify registers the CLSID itself (ThreadingModel
# Both, windows/platform/com.cc) unless InprocServer32 names this DLL.
register_handler() {
  local name key values path model mine
  name=$(basename "$handler")
  if "$wine" regsvr32 "$(winpath "$handler")" >"$work/regsvr32.log" 2>&1; then
    wine_note "regsvr32 $name: DllRegisterServer succeeded"
  else
    wine_note "regsvr32 $name: failed ($(tr -d '\r' <"$work/regsvr32.log" |
      sed '/^$/d' | tail -n 1))"
  fi
  [[ -n $clsid ]] || return 0
  key="HKCR\\CLSID\\$clsid\\InprocServer32"
  values=$("$wine" reg query "$key" 2>/dev/null | tr -d '\r') || values=""
  path=$(sed -n 's/^ *(Default) *REG_[A-Z_]* *//p' <<<"$values")
  model=$(sed -n 's/^ *ThreadingModel *REG_[A-Z_]* *//p' <<<"$values")
  mine=$(winpath "$handler")
  if [[ -n $path && ${path,,} == "${mine,,}" ]]; then
    wine_note "$key: $path, ThreadingModel ${model:-(none: main-threaded)}," \
      "as $name registered it; certify uses that registration"
  elif [[ -n $path ]]; then
    wine_note "$key names another DLL ($path): certify registers" \
      "$name itself there, with ThreadingModel Both"
  else
    wine_note "$key is not registered: certify registers $name itself," \
      "with ThreadingModel Both"
  fi
}

if [[ $list -eq 0 ]]; then
  register_handler
  args=("--handler=$(winpath "$handler")"
    "--report_dir=$(winpath "$work/report")"
    "--setup_notes=$(winpath "$wine_setup_notes")" "${args[@]}")
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
    "report.xml); $(wine_since "$total") in all"
fi
exit "$status"
