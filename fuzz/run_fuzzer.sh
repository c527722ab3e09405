#!/usr/bin/env bash
# The <target>_run launcher (tools/fuzz.bzl): runs a libFuzzer binary on a
# scratch copy of its seed corpus, with its dictionary and options.
#
#   run_fuzzer.sh BINARY SEED_DIR DICT [OPTIONS_FILE] [libFuzzer flags...]
#
# New inputs go to $FUZZ_CORPUS_OUT (default: a temporary directory, printed
# at the start); crashes to the current directory, or -artifact_prefix=.
set -euo pipefail
binary=$1 seeds=$2 dict=$3
shift 3
flags=()
if [[ $# -gt 0 && $1 == *.options ]]; then
  # [libfuzzer] section, one name = value per line.
  while IFS='=' read -r key value; do
    key=${key// /} value=${value// /}
    [[ -z $key || $key == \[* || $key == \#* ]] && continue
    flags+=("-$key=$value")
  done <"$1"
  shift
fi
out=${FUZZ_CORPUS_OUT:-$(mktemp -d -t syncmgr-fuzz-corpus.XXXXXX)}
mkdir -p "$out"
echo "run_fuzzer: new inputs go to $out" >&2
exec "$binary" -dict="$dict" "${flags[@]}" "$@" "$out" "$seeds"
