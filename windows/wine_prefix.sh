# shellcheck shell=bash
# File: windows/wine_prefix.sh
#
# Sourced (not run) by certify_windows.sh, wine_test.sh and
# certify_windows_test.sh: finds Wine and makes a fresh Wine prefix that
# behaves like a headless desktop session.
#
#   wine_find                   sets $wine and $wineserver; returns 1, with
#                               the reason in $wine_missing, when Wine is
#                               not installed
#   wine_prefix_create DIR LOG  exports HOME, WINEPREFIX (DIR/wineprefix),
#                               TMPDIR and Wine's settings, and creates the
#                               prefix (Wine's errors appended to LOG);
#                               returns 1 on failure
#   wine_install_mobsync DLL LOG
#                               copies our mobsync.dll into the prefix's
#                               system32 (C:\windows\system32, $wine_mobsync)
#                               and registers it there with regsvr32
#   wine_note TEXT...           one setup step: printed (after
#                               $wine_note_prefix) and appended to
#                               $wine_setup_notes when that is set (certify
#                               shows the file's lines in its report,
#                               --setup_notes)
#   wine_console [DROP]         a filter for a Wine program's console
#                               output, line by line as it comes (so
#                               progress shows live): carriage returns
#                               removed, lines matching the extended regular
#                               expression DROP left out, and each run of
#                               identical consecutive lines printed once,
#                               then "  [the line above repeated N more
#                               times]" (a handler, or Wine, that prints the
#                               same line thousands of times costs two)
#
# The prefix:
#   - graphics driver "null", chosen before the prefix's wineserver and
#     desktop process start: the registry files are written before the first
#     Wine program runs (that program creates the prefix around them;
#     wine.inf does not overwrite these values). Handlers can then create
#     hidden top-level windows and run message loops with no display. Set
#     afterwards (wine reg add, as this suite did before), the setting came
#     too late: the desktop process had already failed to load the default
#     X11 driver, and every CreateWindowEx of a top-level window failed
#     ("no driver could be loaded"). The setting is checked once the prefix
#     exists; if it did not hold, it is written and the wineserver
#     restarted (a note says so; the next program then took 2.7-4.6 s
#     longer, measured).
#   - AeDebug off (HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug:
#     Debugger "", Auto "1"): an unhandled exception ends the process with
#     its exception code instead of starting `winedbg --auto`, which, once
#     windows can be created, opens its crash dialog (never shown) and keeps
#     the process alive until its parent's time limit: a crash reported as
#     a timeout (measured: 60 s, certify's --timeout). With Auto "0" Wine
#     would ask in a message box instead.
#   - our mobsync.dll in system32 (wine_install_mobsync), where the loader
#     finds it for a handler DLL that imports it, wherever that DLL is.

# wine_find: $SYNCMGR_WINE, else /usr/lib/wine/wine64 (Debian), wine64, wine.
# shellcheck disable=SC2034  # wine_missing is for the caller.
wine_find() {
  wine=${SYNCMGR_WINE:-} wineserver="" wine_missing=""
  if [[ -z $wine ]]; then
    local candidate
    for candidate in /usr/lib/wine/wine64 wine64 wine; do
      if command -v "$candidate" >/dev/null 2>&1; then
        wine=$candidate
        break
      fi
    done
  fi
  if [[ -z $wine ]] || ! command -v "$wine" >/dev/null 2>&1; then
    wine_missing="Wine (${wine:-wine64})"
    return 1
  fi
  wineserver=$(dirname "$(command -v "$wine")")/wineserver
  [[ -x $wineserver ]] || wineserver=$(command -v wineserver || true)
  if [[ -z $wineserver ]]; then
    wine_missing="wineserver"
    return 1
  fi
}

wine_note() {
  echo "${wine_note_prefix:-}$*"
  if [[ -n ${wine_setup_notes:-} ]]; then echo "$*" >>"$wine_setup_notes"; fi
}

wine_console() {  # [DROP]
  # mawk reads a pipe a buffer at a time unless -W interactive (which also
  # writes each line at once); gawk reads what is there, and fflush()
  # writes each line.
  local awk=(awk)
  if awk -W version 2>/dev/null | grep -q mawk; then awk+=(-W interactive); fi
  # shellcheck disable=SC2016  # An awk program.
  "${awk[@]}" -v drop="${1:-}" '
    function flush() {
      if (repeats > 0) {
        printf "  [the line above repeated %d more time%s]\n", repeats,
          repeats == 1 ? "" : "s"
        fflush()
      }
      repeats = 0
    }
    { gsub(/\r/, "") }
    drop != "" && $0 ~ drop { next }
    seen && $0 == last { repeats++; next }
    { flush(); print; fflush(); last = $0; seen = 1 }
    END { flush() }'
}

wine_now() { date +%s.%N; }
wine_since() {
  awk -v a="$1" -v b="$(wine_now)" 'BEGIN { printf "%.1f s", b - a }'
}

# The value of NAME under KEY; returns 1 when there is none. Errors go to
# $wine_log.
wine_reg_value() {  # KEY NAME
  local out
  out=$("$wine" reg query "$1" /v "$2" 2>>"${wine_log:-/dev/null}" |
    tr -d '\r') || return 1
  grep -q "^ *$2 *REG_" <<<"$out" || return 1
  sed -n "s/^ *$2 *REG_[A-Z_]* *//p" <<<"$out"
}

wine_prefix_create() {  # DIR LOG
  local dir=$1 start
  wine_log=$2
  export HOME=$dir/home WINEPREFIX=$dir/wineprefix TMPDIR=$dir/tmp
  export WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="
  unset DISPLAY WAYLAND_DISPLAY
  mkdir -p "$HOME" "$TMPDIR" "$WINEPREFIX"
  start=$(wine_now)
  # Wine's registry files (format "WINE REGISTRY Version 2"); the wineserver
  # loads them when it starts, before the prefix is created around them.
  printf '%s\n' 'WINE REGISTRY Version 2' \
    ';; All keys relative to \\User\\S-1-5-21-0-0-0-1000' '' '#arch=win64' \
    '' '[Software\\Wine\\Drivers]' '"Graphics"="null"' \
    >"$WINEPREFIX/user.reg"
  printf '%s\n' 'WINE REGISTRY Version 2' ';; All keys relative to \\Machine' \
    '' '#arch=win64' '' \
    '[Software\\Microsoft\\Windows NT\\CurrentVersion\\AeDebug]' \
    '"Auto"="1"' '"Debugger"=""' >"$WINEPREFIX/system.reg"
  # The first Wine program creates the prefix (wineboot --init), starting
  # its wineserver and desktop process; this one reads the driver back.
  local graphics
  graphics=$(wine_reg_value 'HKCU\Software\Wine\Drivers' Graphics) || true
  [[ -d $WINEPREFIX/drive_c/windows/system32 ]] || return 1
  if [[ $graphics != null ]]; then
    "$wine" reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f \
      >>"$wine_log" 2>&1 || return 1
    "$wineserver" -k >/dev/null 2>&1 || true
    "$wineserver" -w >/dev/null 2>&1 || true
    wine_note "Wine prefix: the graphics driver was '${graphics:-unset}'" \
      "once the prefix existed: set to null, wineserver restarted"
  fi
  local aedebug='HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug'
  local debugger auto
  debugger=$(wine_reg_value "$aedebug" Debugger) || debugger="(none)"
  auto=$(wine_reg_value "$aedebug" Auto) || auto="(none)"
  if [[ -n $debugger || $auto != 1 ]]; then
    "$wine" reg add "$aedebug" /v Debugger /d "" /f >>"$wine_log" 2>&1 &&
      "$wine" reg add "$aedebug" /v Auto /d 1 /f >>"$wine_log" 2>&1 ||
      return 1
    wine_note "Wine prefix: AeDebug was Debugger '$debugger', Auto '$auto'" \
      "once the prefix existed: set to Debugger '', Auto 1"
  fi
  wine_note "Wine prefix: $("$wine" --version 2>/dev/null), graphics driver" \
    "null (hidden windows work, none is shown), AeDebug off (a crash ends" \
    "the process with its exception code); created in $(wine_since "$start")"
}

wine_mobsync='C:\windows\system32\mobsync.dll'

wine_install_mobsync() {  # DLL LOG
  local dll=$1 log=$2
  cp "$dll" "$WINEPREFIX/drive_c/windows/system32/mobsync.dll" || return 1
  if ! "$wine" regsvr32 "$wine_mobsync" >"$log" 2>&1 ||
    ! grep -q "Successfully registered" "$log"; then
    return 1
  fi
  wine_note "mobsync.dll (this suite's Sync Manager) installed as" \
    "$wine_mobsync and registered there with regsvr32" \
    "(CLSID_SyncMgr, ThreadingModel Both)"
}
