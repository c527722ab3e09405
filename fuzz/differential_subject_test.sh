#!/bin/bash
# Runs the differential fuzzer's replay binary ($1) against a Sync Manager
# plug-in ($2) on the committed corpus plus a fixed number of seeded
# mutations, and checks what it reports:
#
#   differential_subject_test.sh REPLAY PLUGIN profile=documented|strict \
#       expect=none|documented|reference ids=ID,... mutations=N seed=S
#
#   expect=none        no finding; the reference profile's summary names at
#                      least one of IDS (when IDS is not empty)
#   expect=documented  a finding "documented contract: ID: ..." with ID in IDS
#   expect=reference   a finding "reference profile: ID: ..." with ID in IDS
#
# The fuzzer's output is kept in $TEST_UNDECLARED_OUTPUTS_DIR/differential.log
# (with the last mutation run, when it aborted during one).
set -u
binary=$1 plugin=$2
shift 2
declare -A opt=([profile]=documented [expect]=none [ids]="" [mutations]=0
  [seed]=1)
for arg in "$@"; do
  key=${arg%%=*}
  [[ -v "opt[$key]" ]] || { echo "unknown argument: $arg"; exit 2; }
  opt[$key]=${arg#*=}
done
out=${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}
log=$out/differential.log
[[ $plugin == /* ]] || plugin=$PWD/$plugin

start=$(date +%s%N)
SYNCMGR_IMPLEMENTATION=$plugin SYNCMGR_DIFFERENTIAL_PROFILE=${opt[profile]} \
  "$binary" --allow-missing corpus/differential_fuzzer \
  fuzz/regressions/differential_fuzzer --mutations="${opt[mutations]}" \
  --seed="${opt[seed]}" >"$log" 2>&1
status=$?
elapsed=$((($(date +%s%N) - start) / 1000000))

fail() {
  echo "FAIL: $*"
  echo "---- last lines of $log ----"
  tail -40 "$log"
  exit 1
}
# "ID,ID" as an extended regular expression alternation.
ids=${opt[ids]//,/|}
finding=$(grep -m1 -E '^(documented contract|reference profile): ' "$log")
case ${opt[expect]} in
  none)
    [[ $status == 0 ]] || fail "expected no finding, exit status $status${finding:+: $finding}"
    summary=$(sed -n '/^differential_fuzzer: reference profile/,$p' "$log")
    [[ -n $summary ]] || fail "no reference profile summary"
    if [[ -n $ids ]] && ! grep -qE "^  ($ids): [0-9]+ of" <<<"$summary"; then
      fail "the summary names none of ${opt[ids]}"
    fi
    echo "PASS: no finding in ${elapsed} ms (${opt[profile]} profile)"
    echo "$summary"
    ;;
  documented | reference)
    label="documented contract"
    [[ ${opt[expect]} == reference ]] && label="reference profile"
    [[ $status != 0 ]] || fail "expected a finding ($label: ${opt[ids]}), none"
    [[ -n $finding ]] || fail "exit status $status without a finding"
    [[ $finding =~ ^$label:\ ($ids): ]] ||
      fail "expected \"$label: ${opt[ids]}\", got: $finding"
    echo "PASS: found in ${elapsed} ms (${opt[profile]} profile): $finding"
    ;;
  *)
    echo "expect=${opt[expect]}: none, documented or reference"
    exit 2
    ;;
esac
