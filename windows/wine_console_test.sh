#!/usr/bin/env bash
# File: windows/wine_console_test.sh
#
# Checks wine_console (windows/wine_prefix.sh), the filter certify_windows.sh
# puts on certify.exe's output, without Wine:
#
#   1. on fake streams: a run of identical lines is printed once with its
#      count ("  [the line above repeated N more times]"), carriage returns
#      go, lines matching DROP go, other lines are kept as they are;
#   2. as it works: each line is passed on as soon as it comes (the input
#      still open), a repeated line is held back only as a count;
#   3. in certify_windows.sh, with a fake Wine ($SYNCMGR_WINE: a script that
#      plays the prefix, regsvr32 and a certify.exe that prints one line
#      5000 times and exits 1): the console shows the run folded and its
#      first line before certify.exe ends, certify's "Report: " line is
#      dropped, and certify_windows exits with certify.exe's status.
#
# Usage: wine_console_test.sh WINE_PREFIX_SH CERTIFY_WINDOWS_SH
set -euo pipefail

prefix_sh=$1 certify_windows=$2
# shellcheck source=windows/wine_prefix.sh
source "$prefix_sh"

tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/wine_console_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
problems=0
check() {  # OK TEXT
  if [[ $1 -eq 1 ]]; then
    echo "  ok    $2"
  else
    echo "  FAIL  $2"
    problems=$((problems + 1))
  fi
}
same() {  # NAME EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then
    check 1 "$1"
  else
    check 0 "$1"
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/          /' || true
  fi
}
# Waits up to 10 s for a line matching PATTERN in FILE.
appears() {  # FILE PATTERN
  local i
  for ((i = 0; i < 100; i++)); do
    grep -qE -e "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

echo "--- 1. fake streams"
same "5000 identical lines: the line and its count" \
  "$(printf '%s\n' "same line" "  [the line above repeated 4999 more times]")" \
  "$(yes "same line" | head -n 5000 | wine_console)"
same "runs folded, other lines kept, CRs removed, DROP left out" \
  "$(printf '%s\n' a b "  [the line above repeated 1 more time]" c \
    "  [the line above repeated 2 more times]" "" \
    "  [the line above repeated 1 more time]" b d)" \
  "$(printf 'a\r\nb\nb\nc\nReport: Z:\\r\nc\nc\n\n\nb\nd' |
    wine_console '^Report: ')"
same "lines that repeat only apart: unchanged" \
  "$(printf '%s\n' x y x y)" "$(printf '%s\n' x y x y | wine_console)"
same "no input, no output" "" "$(wine_console </dev/null)"

echo "--- 2. live"
mkfifo "$tmp/in"
wine_console >"$tmp/out" <"$tmp/in" &
filter=$!
exec 3>"$tmp/in"
printf '%s\n' "[ 1/2] ok first" "again" "again" "again" >&3
appears "$tmp/out" '^\[ 1/2\] ok first$' && ok=1 || ok=0
check "$ok" "a line is passed on while the input is still open"
appears "$tmp/out" '^again$' && ok=1 || ok=0
check "$ok" "the first of a run too"
printf '%s\n' "[ 2/2] ok second" >&3
appears "$tmp/out" '^\[ 2/2\] ok second$' && ok=1 || ok=0
check "$ok" "the next line, after the run's count"
exec 3>&-
wait "$filter"
same "the whole output" \
  "$(printf '%s\n' "[ 1/2] ok first" again \
    "  [the line above repeated 2 more times]" "[ 2/2] ok second")" \
  "$(cat "$tmp/out")"

echo "--- 3. certify_windows.sh with a fake Wine"
fake=$tmp/fake
mkdir -p "$fake"
# Wine as far as certify_windows.sh asks: the prefix's settings read back as
# wine_prefix.sh wrote them, regsvr32 succeeding, no InprocServer32, and
# certify.exe: a line, a wait for the test to have seen it (at most 20 s),
# one line 5000 times (with CRs, as Windows programs print), its Report
# line, exit 1.
cat >"$fake/wine" <<'EOF'
#!/usr/bin/env bash
mkdir -p "$WINEPREFIX/drive_c/windows/system32"
case "$1 ${2:-} ${5:-}" in
  "--version"*) echo "wine-fake" ;;
  "reg query Graphics") printf '    Graphics    REG_SZ    null\r\n' ;;
  "reg query Debugger") printf '    Debugger    REG_SZ    \r\n' ;;
  "reg query Auto") printf '    Auto    REG_SZ    1\r\n' ;;
  "reg query "*) exit 1 ;;
  "regsvr32 "*) echo "regsvr32: Successfully registered DLL '$2'" ;;
  "certify.exe "*)
    printf 'certify: fake, 2 scenario runs\r\n'
    for ((i = 0; i < 200; i++)); do
      [[ -f $FAKE_DIR/seen ]] && break
      sleep 0.1
    done
    for ((i = 0; i < 5000; i++)); do
      printf 'fixme:ole:fake the same line\r\n'
    done
    printf 'Report: Z:\\tmp\\report\\report.html\r\n'
    printf 'certify: FAIL\r\n'
    exit 1
    ;;
  *) echo "fake wine: unexpected: $*" >&2; exit 3 ;;
esac
EOF
printf '#!/bin/sh\nexit 0\n' >"$fake/wineserver"
chmod +x "$fake/wine" "$fake/wineserver"
printf 'MZ fake\n' >"$tmp/handler.dll"
printf 'fake\n' >"$tmp/certify.exe"
cp "$tmp/certify.exe" "$tmp/mobsync.dll"
cp "$tmp/certify.exe" "$tmp/spec.json"
SYNCMGR_WINE=$fake/wine FAKE_DIR=$fake bash "$certify_windows" \
  "$tmp/certify.exe" "$tmp/mobsync.dll" "$tmp/spec.json" "$prefix_sh" \
  --handler="$tmp/handler.dll" --clsid="{5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0F001}" \
  --report_dir="$tmp/report" >"$tmp/console.log" 2>&1 &
run=$!
appears "$tmp/console.log" '^certify: fake, 2 scenario runs$' && ok=1 || ok=0
check "$ok" "certify.exe's first line shown while it runs"
touch "$fake/seen"
status=0
wait "$run" || status=$?
check "$((status == 1))" \
  "certify_windows exits with certify.exe's status (1): $status"
same "certify.exe's output folded, its Report line dropped, no CR" \
  "$(printf '%s\n' "certify: fake, 2 scenario runs" \
    "fixme:ole:fake the same line" \
    "  [the line above repeated 4999 more times]" "certify: FAIL")" \
  "$(sed -n '/^certify: fake/,$p' "$tmp/console.log")"
if [[ $problems -ne 0 ]]; then
  sed 's/^/  | /' "$tmp/console.log" | head -n 40
  echo "wine_console_test: FAIL ($problems problem(s))"
  exit 1
fi
echo "wine_console_test: PASS"
