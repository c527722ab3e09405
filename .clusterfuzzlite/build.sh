#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz entry point: builds every fuzz target into $OUT
# with $CXX, $CXXFLAGS and $LIB_FUZZING_ENGINE, plus each target's
# <target>_seed_corpus.zip, .dict and .options. The work is done by
# fuzz/oss_fuzz_build.sh (tested by //fuzz:clusterfuzzlite_build_test).
if [[ -d ${SRC:-/nonexistent}/syncmgr-conformance ]]; then
  root=$SRC/syncmgr-conformance
else
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
exec bash "$root/fuzz/oss_fuzz_build.sh" "$root"
