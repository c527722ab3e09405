#!/bin/bash
# Runs the conformance suite ($1) against a known-bad implementation ($2) and
# checks with $3 that it failed exactly the requirements listed in $4.
set -u
suite=$1 implementation=$2 checker=$3 expected=$4
report_dir=${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}
"$suite" --implementation="$implementation" --report_dir="$report_dir" --quiet \
  --session_timeout_ms=3000 --jobs=8
status=$?
exec /usr/bin/python3 "$checker" "$report_dir/report.json" "$status" "$expected"
