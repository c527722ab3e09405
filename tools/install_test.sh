#!/usr/bin/env bash
# File: tools/install_test.sh
#
# Installs the programs with tools/install.sh into a temporary prefix, then
# runs the installed copies from another directory with none of Bazel's
# runfiles variables set: each must find its own files.
#
# Arguments: install.sh, then the arguments Bazel gives //:install.
set -uo pipefail

install_sh=$1
shift
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what" >&2
    failures=$((failures + 1))
  fi
}
# The installed programs, as a vendor's shell runs them.
bare() { env -u RUNFILES_DIR -u TEST_SRCDIR -u RUNFILES_MANIFEST_FILE \
  -u BUILD_WORKING_DIRECTORY "$@"; }

tmp=${TEST_TMPDIR:-$(mktemp -d)}
prefix=$tmp/prefix
log=$tmp/log

bash "$install_sh" "$@" >"$log" 2>&1
status=$?
check "usage error without a prefix exits 2" test "$status" -eq 2
check "install into $prefix" bash "$install_sh" "$@" "$prefix"
check "installing again replaces the installation" \
  bash "$install_sh" "$@" "$prefix"
for name in certify certify_windows conformance_suite; do
  check "$name installed" test -x "$prefix/bin/$name"
done
links=$(find "$prefix" -type l | head -n 3)
check "no symbolic link into Bazel's cache ($links)" test -z "$links"

work=$tmp/elsewhere
mkdir -p "$work"
cd "$work" || exit 1
check "certify --help" bare "$prefix/bin/certify" --help
check "conformance_suite --help" bare "$prefix/bin/conformance_suite" --help
check "certify_windows --help" bare "$prefix/bin/certify_windows" --help

# certify on its bundled sample handler, found in the installation.
bare "$prefix/bin/certify" --scenarios=get_item_object \
  --report_dir=certify-report >"$log" 2>&1
status=$?
check "certify on the bundled sample handler passes (exit $status)" \
  test "$status" -eq 0
check "certify wrote its report in the current directory" \
  grep -q '"HS-008"' certify-report/report.json
[[ $status -eq 0 ]] || cat "$log" >&2

# The suite against its bundled reference, found in the installation.
bare "$prefix/bin/conformance_suite" --gtest_filter='ComContract.*' \
  --report_dir=suite-report >"$log" 2>&1
status=$?
check "conformance_suite on the bundled reference passes (exit $status)" \
  test "$status" -eq 0
check "conformance_suite wrote its report" test -s suite-report/report.json
[[ $status -eq 0 ]] || cat "$log" >&2

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
