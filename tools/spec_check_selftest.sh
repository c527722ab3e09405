#!/bin/bash
# spec_check must pass on a consistent pair and report each kind of problem
# of testdata/spec_check with its own message.
set -u
checker="$1"
spec="$2"
tests="$3"
certify="$4"
failures=0

out=$(/usr/bin/python3 "$checker" --certify "$certify" "$spec" "$tests")
status=$?
if [ "$status" -ne 1 ]; then
  echo "expected exit 1 on the broken fixture, got $status"
  failures=$((failures + 1))
fi
for expected in \
  "AA-002 has no test" \
  "AA-003 names Good.Missing, which does not exist" \
  "Good.Traced is named for AA-004 in SPEC.md but its REQUIREMENT line says AA-001" \
  "Good.NamesAnUnknownId names ZZ-999, which SPEC.md does not define" \
  "AA-005 is defined twice" \
  "DEFERRED AA-005" \
  'certify checks AA-006 but nothing in it observes it (no Observed("AA-006"))' \
  'certify checks AA-003 but nothing in it observes it (no Observed("AA-003"))'; do
  if ! grep -qF "$expected" <<<"$out"; then
    echo "missing from the report: $expected"
    failures=$((failures + 1))
  fi
done
if grep -qF "certify checks AA-001" <<<"$out"; then
  echo "AA-001 is observed, yet reported as never observed"
  failures=$((failures + 1))
fi

# A consistent pair passes.
dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/spec.XXXXXX")
printf '| AA-001 | MUST | x | doc | Good.Traced |\n' >"$dir/SPEC.md"
printf 'TEST(Good, Traced) {\n  REQUIREMENT("AA-001");\n}\n' >"$dir/t_test.cc"
printf 'const L kSessionRequirements = {"AA-001"};\nvoid f() { d.Observed("AA-001"); }\n' \
  >"$dir/certify_main.cc"
if ! /usr/bin/python3 "$checker" --certify "$dir/certify_main.cc" \
  "$dir/SPEC.md" "$dir/t_test.cc" >/dev/null; then
  echo "a consistent spec, test and certify failed"
  failures=$((failures + 1))
fi
rm -rf "$dir"

if [ "$failures" -ne 0 ]; then
  echo "--- report was:"
  echo "$out"
  exit 1
fi
echo "spec_check self-test: OK"
