#!/bin/bash
# Runs .clusterfuzzlite/build.sh as ClusterFuzzLite / OSS-Fuzz would (their
# variables, a copy of the sources under $SRC) and checks that every target,
# <target>_seed_corpus.zip, .dict and .options land in $OUT, and that each
# target runs its seed corpus and a short fuzzing run without a finding.
#
# The sources are taken from the checkout this test's own file lives in;
# the test's data (fuzz/, corpus/ and the built reference plug-in) make
# Bazel rerun it when any of them changes.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
tmp=${TEST_TMPDIR:-$(mktemp -d)}
export SRC=$tmp/src OUT=$tmp/out WORK=$tmp/work
rm -rf "$SRC" "$OUT" "$WORK"
mkdir -p "$SRC/syncmgr-conformance" "$OUT" "$WORK"
for dir in .clusterfuzzlite corpus fuzz reference tools; do
  cp -r "$root/$dir" "$SRC/syncmgr-conformance/"
done

export CC=clang CXX=clang++
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only \
-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address \
-fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS=$CFLAGS LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export SANITIZER=address FUZZING_ENGINE=libfuzzer ARCHITECTURE=x86_64
cp "$SRC/syncmgr-conformance/.clusterfuzzlite/build.sh" "$SRC/build.sh"
(cd "$SRC/syncmgr-conformance" && bash "$SRC/build.sh") >"$tmp/build.log" 2>&1 || {
  tail -40 "$tmp/build.log"
  echo "FAIL: build.sh failed"
  exit 1
}

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
for t in update_items_fuzzer call_sequence_fuzzer handler_behaviour_fuzzer \
  differential_fuzzer; do
  [[ -x $OUT/$t ]] || { fail "$t not built"; continue; }
  [[ -s $OUT/$t.dict ]] || fail "$t.dict missing"
  zip=$OUT/${t}_seed_corpus.zip
  [[ -s $zip ]] || { fail "${t}_seed_corpus.zip missing"; continue; }
  seeds=$tmp/seeds/$t
  mkdir -p "$seeds"
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
    "$zip" "$seeds"
  count=$(find "$seeds" -type f | wc -l)
  [[ $count -gt 0 ]] || fail "${t}_seed_corpus.zip is empty"
  flags=(-dict="$OUT/$t.dict")
  if [[ -f $OUT/$t.options ]]; then
    while IFS='=' read -r key value; do
      key=${key// /} value=${value// /}
      [[ -z $key || $key == \[* || $key == \#* ]] && continue
      flags+=("-$key=$value")
    done <"$OUT/$t.options"
  fi
  # The seed corpus, then 300 fuzzing runs, from $OUT as the engine runs it.
  before=$failures
  if ! (cd "$OUT" && "./$t" "${flags[@]}" -runs=0 "$seeds" \
    >"$tmp/$t.seeds.log" 2>&1); then
    tail -30 "$tmp/$t.seeds.log"
    fail "$t fails on its seed corpus"
  fi
  if ! (cd "$OUT" && "./$t" "${flags[@]}" -runs=300 -seed=1 \
    >"$tmp/$t.fuzz.log" 2>&1); then
    tail -30 "$tmp/$t.fuzz.log"
    fail "$t fails in a short run"
  fi
  [[ $failures == "$before" ]] || continue
  echo "ok: $t ($count seeds, $(grep -o 'cov: [0-9]*' "$tmp/$t.seeds.log" | tail -1))"
done
[[ -f $OUT/differential_fuzzer.options ]] || fail "differential_fuzzer.options missing"
[[ -f $OUT/syncmgr_reference.so ]] || fail "syncmgr_reference.so missing"
grep -q "reference vs $OUT/syncmgr_reference.so" "$tmp/differential_fuzzer.seeds.log" ||
  fail "differential_fuzzer did not load the plug-in from its own directory"
if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS"
