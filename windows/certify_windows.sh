#!/usr/bin/env bash
# File: windows/certify_windows.sh
#
# certify for a handler that is a Windows DLL, on Linux, in one command:
#
#   bazel run //conformance:certify_windows -- --handler=/abs/path/handler.dll \
#       --clsid={xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} [--report_dir=DIR] \
#       [--registry=FILE.reg]... [--setup=COMMAND]... [--apartment=sta|mta] \
#       [certify's other flags: --scenarios, --timeout, --expectations,
#        --completion_timeout_ms, --list]
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
# listed in the report's notes; certify.exe's output is shown as it comes,
# a line repeated in a row once with its count. Exit status: certify's (0
# every requirement passed, 1 one failed, 2 usage error), or 2 when the
# prefix could not be set up (a --registry file missing or not imported, a
# --setup command that failed).
#
# The handler's own configuration, for handlers whose items come from it
# (in a fresh prefix they have none, and certify can judge no item rule),
# is seeded after regsvr32 and before certify runs, in the order given:
#
#   --registry=FILE.reg  (repeatable) imported into the prefix with
#       `wine reg import` (a file as regedit exports it: first line
#       "Windows Registry Editor Version 5.00" or "REGEDIT4", UTF-8/ANSI
#       or UTF-16). A missing file, a nonzero exit or any message from
#       reg (e.g. a key under an unknown root) stops with exit 2. Wine 8's
#       reg skips a malformed value line without a word (measured), which
#       shows only in certify's results. `wine regedit /S` is not used: it
#       exits 0 even for a file that is missing or not a .reg file.
#   --setup=COMMAND  (repeatable) run with `bash -c` in the directory bazel
#       run was started from, with the prefix's environment (WINEPREFIX,
#       HOME and TMPDIR in the temporary directory, no DISPLAY) and WINE
#       (the Wine program certify uses), HANDLER_DLL (the handler's Linux
#       path) and CLSID set, e.g.
#         --setup='"$WINE" /abs/vendor/configure.exe /silent'
#       Its output is printed; exit status other than 0 stops with exit 2
#       (wrap it for installers that return other codes on success:
#       --setup='"$WINE" setup.exe /q || [ $? -eq 3010 ]').
#
# Each import and command is a setup note in the report (the file and its
# key count; the command, its exit status and time). HKCR's InprocServer32
# is read after them, so a .reg may also change the registration.
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
steps=()  # "registry=FILE" and "setup=COMMAND", in the order given
for arg in "$@"; do
  case $arg in
    --registry=*)
      f=$(absolute "${arg#--registry=}")
      [[ -f $f ]] || die "--registry: $f is not a file"
      steps+=("registry=$f")
      ;;
    --setup=*)
      [[ -n ${arg#--setup=} ]] || die "--setup: the command is empty"
      steps+=("$arg")
      ;;
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
      awk 'NR < 3 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"
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

# The handler's own registration (regsvr32 runs its DllRegisterServer).
register_handler() {
  local name
  name=$(basename "$handler")
  if "$wine" regsvr32 "$(winpath "$handler")" >"$work/regsvr32.log" 2>&1; then
    wine_note "regsvr32 $name: DllRegisterServer succeeded"
  else
    wine_note "regsvr32 $name: failed ($(tr -d '\r' <"$work/regsvr32.log" |
      sed '/^$/d' | tail -n 1))"
  fi
}

# The text of a .reg file (UTF-16 with a byte order mark, as regedit
# exports it, or 8-bit), for counting its keys.
reg_text() {
  if [[ $(head -c 2 "$1" | od -An -tx1 | tr -d ' ') == fffe ]]; then
    iconv -f UTF-16 -t UTF-8 "$1" 2>/dev/null || true
  else
    cat "$1"
  fi
}

# --registry=FILE: `wine reg import`, which prints nothing when it succeeds
# (measured, Wine 8.0).
import_registry() {
  local file=$1 status=0 out keys first
  # A short path: Bazel's runfiles are too deep for some Windows paths
  # (MAX_PATH) once they are seen from Wine as Z:\...
  cp "$file" "$work/import.reg"
  "$wine" reg import "$(winpath "$work/import.reg")" >"$work/reg.log" 2>&1 ||
    status=$?
  out=$(tr -d '\r' <"$work/reg.log" | sed '/^$/d')
  if [[ $status -ne 0 && -z $out ]]; then
    die "--registry: wine reg import $file failed (exit $status, no" \
      "message): is it a .reg file? Its first line must be 'Windows" \
      "Registry Editor Version 5.00' or 'REGEDIT4'"
  elif [[ $status -ne 0 || -n $out ]]; then
    die "--registry: wine reg import $file failed (exit $status): $out"
  fi
  keys=$(reg_text "$file" | tr -d '\r' | grep -c '^\[[^-]' || true)
  first=$(reg_text "$file" | tr -d '\r' | sed -n 's/^\[\([^-].*\)\]$/\1/p' |
    head -n 1)
  wine_note "registry: $file imported into the prefix with wine reg import" \
    "(exit 0): $keys key(s)${first:+, the first $first}"
}

# --setup=COMMAND: bash -c in the user's directory, with the prefix's
# environment; its output is shown.
run_setup() {
  local command=$1 start status
  start=$(wine_now)
  echo "certify_windows: running --setup command: $command"
  set +e
  (cd "$here" && WINE=$wine HANDLER_DLL=$handler CLSID=$clsid \
    bash -c "$command") </dev/null 2>&1 | tr -d '\r' | sed 's/^/  | /'
  status=${PIPESTATUS[0]}
  set -e
  if [[ $status -ne 0 ]]; then
    die "--setup: the command exited with status $status: $command"
  fi
  wine_note "setup command (bash -c, WINEPREFIX set, in $here): $command;" \
    "exit status 0, $(wine_since "$start")"
}

# What HKCR says once the handler is registered and configured: certify
# registers the CLSID itself (ThreadingModel Both, windows/platform/com.cc)
# unless InprocServer32 names this DLL.
read_registration() {
  local name key values path model mine
  [[ -n $clsid ]] || return 0
  name=$(basename "$handler")
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
  for step in "${steps[@]}"; do
    case $step in
      registry=*) import_registry "${step#registry=}" ;;
      --setup=*) run_setup "${step#--setup=}" ;;
    esac
  done
  read_registration
  args=("--handler=$(winpath "$handler")"
    "--report_dir=$(winpath "$work/report")"
    "--setup_notes=$(winpath "$wine_setup_notes")" "${args[@]}")
fi

set +e
# certify's own "Report: Z:\..." line names the prefix's copy: dropped. A
# line repeated many times in a row (a handler, or Wine, in a loop) is
# shown once with its count (wine_console).
(cd "$work/bin" && "$wine" certify.exe "${args[@]}") 2>&1 |
  wine_console '^Report: '
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
