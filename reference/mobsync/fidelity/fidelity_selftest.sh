#!/usr/bin/env bash
# File: reference/mobsync/fidelity/fidelity_selftest.sh
#
# Proves the fidelity comparison can fail: feeds compare.py synthetic tables
# (a differing value, a missing name, an extra name, a stale or wrong expected
# difference, bad input) and checks each is reported with the right message,
# and that identical tables and an exact expected difference pass. Also
# checks fidelity.sh's skip path (SKIPPED vs. SYNCMGR_REQUIRE_WINE=1).
# Needs neither MinGW nor Wine.
#
# Usage: fidelity_selftest.sh COMPARE_PY FIDELITY_SH
set -euo pipefail

compare=$1 fidelity=$2
python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3)
dir=$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/selftest.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0

# write FILE LINE...: one line per argument.
write() {
  local file=$1
  shift
  printf '%s\n' "$@" >"$dir/$file"
}

# expect CASE WANT_STATUS WANT_TEXT: runs compare.py on windows.txt, ours.txt
# and expected.txt and checks its exit status and that WANT_TEXT is a line of
# its output.
expect() {
  local name=$1 want_status=$2 want_text=$3 output status=0
  output=$("$python" "$compare" "$dir/windows.txt" "$dir/ours.txt" \
    "$dir/expected.txt") || status=$?
  if [[ $status -ne $want_status ]] || ! grep -qxF -- "$want_text" <<<"$output"; then
    echo "FAIL $name: want status $want_status and the line"
    echo "    $want_text"
    echo "  got status $status and:"
    # shellcheck disable=SC2001  # Indents every line.
    sed 's/^/    /' <<<"$output"
    failures=$((failures + 1))
  else
    echo "ok   $name: $want_text"
  fi
}

baseline=("type.DWORD.size 4" "const.MASK 0x7" "hresult.E_FAIL 0x80004005"
  "vtable.IUnknown.Release 2")

write windows.txt "${baseline[@]}"
write ours.txt "${baseline[@]}"
write expected.txt "# nothing expected"
expect "IdenticalTablesPass" 0 \
  "fidelity: PASS: 4 facts compared: 4 identical, 0 expected differences"

write ours.txt "type.DWORD.size 8" "${baseline[@]:1}"
expect "DifferingValueFails" 1 "MISMATCH type.DWORD.size: Windows 4, ours 8"
expect "DifferingValueVerdict" 1 \
  "fidelity: FAIL: 4 facts compared: 3 identical, 0 expected differences, 1 failures (1 MISMATCH)"

write ours.txt "${baseline[@]:0:3}"
expect "MissingNameFails" 1 \
  "MISSING  vtable.IUnknown.Release: Windows 2, ours has no such name"

write ours.txt "${baseline[@]}" "const.HIDDEN 0x8"
expect "ExtraNameFails" 1 "EXTRA    const.HIDDEN: ours 0x8, Windows has no such name"

write ours.txt "type.DWORD.size 4" "const.MASK 0xF" "${baseline[@]:2}" \
  "const.HIDDEN 0x8"
write expected.txt "const.MASK 0x7 0xF SDK mask" "const.HIDDEN - 0x8 SDK only"
expect "ExpectedDifferencePasses" 0 \
  "fidelity: PASS: 5 facts compared: 3 identical, 2 expected differences"
expect "ExpectedDifferenceShowsReason" 0 "EXPECTED const.MASK: SDK mask"

write windows.txt "type.DWORD.size 4" "const.MASK 0xF" "${baseline[@]:2}"
write ours.txt "type.DWORD.size 4" "const.MASK 0xF" "${baseline[@]:2}"
write expected.txt "const.MASK 0x7 0xF SDK mask"
expect "StaleExpectedDifferenceFails" 1 \
  "STALE    const.MASK: expected_differences.txt lists Windows 0x7, ours 0xF, but both are now 0xF: delete the line"

write expected.txt "const.GONE - 0x8 SDK only"
expect "StaleVanishedNameFails" 1 \
  "STALE    const.GONE: expected_differences.txt lists Windows -, ours 0x8, but both are now -: delete the line"

write ours.txt "type.DWORD.size 4" "const.MASK 0x3F" "${baseline[@]:2}"
write expected.txt "const.MASK 0xF 0x7F SDK mask"
expect "OtherDifferenceThanExpectedFails" 1 \
  "MISMATCH const.MASK: Windows 0xF, ours 0x3F; expected_differences.txt expects Windows 0xF, ours 0x7F"

write ours.txt "${baseline[@]}" "type.DWORD.size 4"
write expected.txt ""
expect "DuplicateNameIsAnError" 2 \
  "fidelity: ERROR: $dir/ours.txt:5: duplicate name type.DWORD.size"

write ours.txt "${baseline[@]}"
write expected.txt "const.MASK 0x7 0x7 not a difference"
expect "EqualExpectedValuesAreAnError" 2 \
  "fidelity: ERROR: $dir/expected.txt:1: const.MASK: the two values are equal; that is not a difference"

# fidelity.sh without MinGW: skipped locally, a failure when CI requires it.
skip_status=0
skip_output=$(env -u SYNCMGR_REQUIRE_WINE \
  FIDELITY_MINGW_CXX=/nonexistent/x86_64-w64-mingw32-g++ \
  bash "$fidelity" test unused unused unused unused) || skip_status=$?
if [[ $skip_status -eq 0 && $skip_output == SKIPPED:*"not installed"* ]]; then
  echo "ok   MissingMingwSkips"
else
  echo "FAIL MissingMingwSkips: status $skip_status, output: $skip_output"
  failures=$((failures + 1))
fi
skip_status=0
skip_output=$(SYNCMGR_REQUIRE_WINE=1 \
  FIDELITY_MINGW_CXX=/nonexistent/x86_64-w64-mingw32-g++ \
  bash "$fidelity" test unused unused unused unused) || skip_status=$?
if [[ $skip_status -eq 1 && $skip_output == "fidelity: FAIL:"*"SYNCMGR_REQUIRE_WINE=1"* ]]; then
  echo "ok   MissingMingwFailsWhenRequired"
else
  echo "FAIL MissingMingwFailsWhenRequired: status $skip_status, output: $skip_output"
  failures=$((failures + 1))
fi
skip_status=0
skip_output=$(SYNCMGR_REQUIRE_WINE=1 FIDELITY_MINGW_CXX=/bin/true \
  FIDELITY_WINE=/nonexistent/wine64 \
  bash "$fidelity" test unused unused unused unused) || skip_status=$?
if [[ $skip_status -eq 1 && $skip_output == "fidelity: FAIL: Wine"* ]]; then
  echo "ok   MissingWineFailsWhenRequired"
else
  echo "FAIL MissingWineFailsWhenRequired: status $skip_status, output: $skip_output"
  failures=$((failures + 1))
fi

if [[ $failures -ne 0 ]]; then
  echo "fidelity_selftest: $failures checks failed"
  exit 1
fi
echo "fidelity_selftest: all checks passed"
