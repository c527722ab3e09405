#!/usr/bin/env bash
# File: tools/install.sh
#
# Installs the suite's programs, with everything they load at run time, into
# a prefix, so they run from any directory without Bazel:
#
#   bazel run //:install -- /opt/syncmgr-conformance
#
#   PREFIX/bin/certify            certify a handler (.so), Linux
#   PREFIX/bin/certify_windows    certify a handler DLL under Wine
#   PREFIX/bin/conformance_suite  the contract suite over a Sync Manager
#   PREFIX/lib/syncmgr-conformance/  their files (one runfiles tree)
#
# A relative PREFIX is taken from the directory `bazel run` was started in.
# Installing again replaces PREFIX/lib/syncmgr-conformance and the three
# programs; nothing else under PREFIX is touched. To uninstall, delete those.
# The programs need the shared libraries of tools/packages.txt's runtime
# packages (GoogleTest for conformance_suite) and, for certify_windows, Wine.
#
# Bazel passes, before the user's arguments, the runfiles paths of: certify,
# conformance_suite, certify_windows.sh, certify.exe, mobsync.dll, spec.json.
set -euo pipefail

die() {
  echo "install: $*" >&2
  exit 2
}

[[ $# -ge 6 ]] || die "run it with: bazel run //:install -- PREFIX"
certify=$1 suite=$2 certify_windows=$3 certify_exe=$4 mobsync_dll=$5
spec_json=$6
shift 6

usage() { sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; }
case ${1:-} in
  -h | --help)
    usage
    exit 0
    ;;
esac
if [[ $# -ne 1 || -z $1 ]]; then
  usage >&2
  die "one argument, the prefix; got $#"
fi
prefix=$1
case $prefix in
  /*) ;;
  *) prefix=${BUILD_WORKING_DIRECTORY:-$PWD}/$prefix ;;
esac

# This program runs in its runfiles tree (the workspace's directory in it),
# which holds every program above with the files it loads.
runfiles=$PWD
[[ -f $runfiles/$certify && -f $runfiles/$suite ]] ||
  die "run it with bazel run //:install (no runfiles in $runfiles)"
for f in "$certify_exe" "$mobsync_dll"; do
  if head -c 21 "$runfiles/$f" | grep -q SYNCMGR_MINGW_MISSING; then
    echo "install: MinGW-w64 was missing when $(basename "$f") was built;" \
      "certify_windows will say so when run" >&2
  fi
done

lib=$prefix/lib/syncmgr-conformance
tree=$lib/runfiles/syncmgr_conformance
mkdir -p "$prefix/bin" "$lib" || die "cannot create $prefix"
staging=$(mktemp -d "$lib.XXXXXX")
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/runfiles"
# Copies of the files, not of Bazel's symbolic links into its cache.
cp -rL "$runfiles" "$staging/runfiles/syncmgr_conformance"
rm -rf "$lib"
mv "$staging" "$lib"
trap - EXIT

# One small launcher per program: the programs find their files through
# RUNFILES_DIR, as under `bazel run`.
launcher() {
  local name=$1
  shift
  {
    echo '#!/bin/sh'
    echo "# Installed by syncmgr-conformance's tools/install.sh."
    echo "RUNFILES_DIR='$lib/runfiles'"
    echo 'export RUNFILES_DIR'
    echo 'unset TEST_SRCDIR RUNFILES_MANIFEST_FILE BUILD_WORKING_DIRECTORY'
    echo "exec $* \"\$@\""
  } >"$prefix/bin/$name.tmp"
  chmod 755 "$prefix/bin/$name.tmp"
  mv "$prefix/bin/$name.tmp" "$prefix/bin/$name"
}
launcher certify "'$tree/$certify'"
launcher conformance_suite "'$tree/$suite'"
launcher certify_windows bash "'$tree/$certify_windows'" "'$tree/$certify_exe'" \
  "'$tree/$mobsync_dll'" "'$tree/$spec_json'"

echo "install: installed into $prefix:"
for name in certify certify_windows conformance_suite; do
  echo "  $prefix/bin/$name"
done
echo "  $lib ($(du -sh "$lib" | cut -f1))"
