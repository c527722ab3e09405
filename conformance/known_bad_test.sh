#!/bin/bash
# Runs the conformance suite ($1) against a known-bad implementation ($2) and
# checks with $3 that it failed exactly the requirements listed in $4 (and
# that the tests listed in $5 timed out).
set -u
suite=$1 implementation=$2 checker=$3 expected=$4 timed_out=${5:-}
report_dir=${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}
"$suite" --implementation="$implementation" --report_dir="$report_dir" --quiet \
  --session_timeout_ms=3000 --jobs=8 --timeout=15
status=$?
exec /usr/bin/python3 "$checker" "$report_dir/report.json" "$status" "$expected" "$timed_out"
