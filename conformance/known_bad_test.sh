#!/bin/bash
# Runs the conformance suite ($1) against an implementation ($2) and checks
# with $3 that it failed exactly the requirements given by the remaining
# arguments: documented=ID,... (documented contract), ours=ID,... (reference
# profile) and timed_out=TEST,... (tests that must time out). Each argument
# keeps its name so that an empty list cannot shift the others.
set -u
suite=$1 implementation=$2 checker=$3
shift 3
report_dir=${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}
"$suite" --implementation="$implementation" --report_dir="$report_dir" --quiet \
  --session_timeout_ms=3000 --jobs=8 --timeout=15
status=$?
exec /usr/bin/python3 "$checker" "$report_dir/report.json" "$status" "$@"
