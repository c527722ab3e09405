#!/usr/bin/env bash
# tools/lint.sh: the project's two style checks, as CI runs them.
#
#   bash tools/lint.sh                 both checks
#   bash tools/lint.sh buildifier      BUILD, .bzl and WORKSPACE files
#   bash tools/lint.sh clang-format    tracked .cc and .h files
#
# Only git-tracked files are checked. Exits non-zero if any check fails; fix
# with `buildifier --lint=fix FILE` / `clang-format-14 -i FILE`.
#
# buildifier is not packaged for Debian 12: it is installed with npm
# (@bazel/buildifier, which bundles the Linux binary) into a temporary
# directory, unless $BUILDIFIER names a binary to use instead.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2

BUILDIFIER_NPM_PACKAGE="@bazel/buildifier@8.2.1"
CLANG_FORMAT="${CLANG_FORMAT:-clang-format-14}"

# native-* warnings ask for rules to be load()ed from rules_cc/rules_shell.
# Everywhere but third_party/ we load cc_* from our rules_cc shim
# (@rules_cc//cc:defs.bzl). Files in third_party/ are exempt: the shim itself
# forwards to the native rules, and the BUILD files for /usr libraries and the
# coverage stubs describe system files. rules_shell does not exist for Bazel
# 4.2.3 offline, so sh_* rules are exempt everywhere.
SH_WARNINGS="-native-sh-binary,-native-sh-library,-native-sh-test"
THIRD_PARTY_WARNINGS="$SH_WARNINGS,-native-cc-binary,-native-cc-import,\
-native-cc-library,-native-cc-proto,-native-cc-test,-native-cc-toolchain,\
-native-cc-toolchain-suite,-native-cc-objc-library,-native-cc-shared-library"

tmp=""
cleanup() { [[ -n "$tmp" ]] && rm -rf "$tmp"; }
trap cleanup EXIT

check_buildifier() {
  local buildifier="${BUILDIFIER:-}"
  if [[ -z "$buildifier" ]]; then
    command -v npm >/dev/null || {
      echo "lint: npm not found (bash tools/setup.sh installs it)" >&2
      return 1
    }
    tmp=$(mktemp -d)
    if ! npm install --silent --no-save --no-audit --no-fund --prefix "$tmp" \
      "$BUILDIFIER_NPM_PACKAGE" >"$tmp/npm.log" 2>&1; then
      cat "$tmp/npm.log" >&2
      echo "lint: could not install $BUILDIFIER_NPM_PACKAGE with npm" >&2
      return 1
    fi
    buildifier="$tmp/node_modules/.bin/buildifier"
  fi

  local files=() project=() vendored=() f
  mapfile -t files < <(git ls-files -- 'BUILD' '*/BUILD' 'BUILD.bazel' \
    '*/BUILD.bazel' '*.BUILD' '*.bzl' 'WORKSPACE' '*/WORKSPACE' \
    'WORKSPACE.bazel' '*/WORKSPACE.bazel')
  for f in "${files[@]}"; do
    [[ -e "$f" ]] || continue
    if [[ "$f" == third_party/* ]]; then vendored+=("$f"); else project+=("$f"); fi
  done
  echo "buildifier: checking $((${#project[@]} + ${#vendored[@]})) files"

  local status=0
  if ((${#project[@]})); then
    "$buildifier" --mode=check --lint=warn --warnings="$SH_WARNINGS" \
      "${project[@]}" || status=1
  fi
  if ((${#vendored[@]})); then
    "$buildifier" --mode=check --lint=warn --warnings="$THIRD_PARTY_WARNINGS" \
      "${vendored[@]}" || status=1
  fi
  if ((status)); then
    echo "buildifier: FAILED (fix: buildifier --lint=fix FILE; load cc_* rules from @rules_cc//cc:defs.bzl)"
  else
    echo "buildifier: ok"
  fi
  return $status
}

check_clang_format() {
  command -v "$CLANG_FORMAT" >/dev/null || {
    echo "lint: $CLANG_FORMAT not found (bash tools/setup.sh installs it)" >&2
    return 1
  }
  local files=() existing=() f
  mapfile -t files < <(git ls-files -- '*.cc' '*.h')
  for f in "${files[@]}"; do [[ -e "$f" ]] && existing+=("$f"); done
  echo "clang-format: checking ${#existing[@]} files"
  ((${#existing[@]})) || {
    echo "clang-format: ok"
    return 0
  }
  if "$CLANG_FORMAT" --dry-run --Werror "${existing[@]}"; then
    echo "clang-format: ok"
  else
    echo "clang-format: FAILED (fix: $CLANG_FORMAT -i FILE)"
    return 1
  fi
}

status=0
case "${1:-all}" in
  buildifier) check_buildifier || status=1 ;;
  clang-format) check_clang_format || status=1 ;;
  all)
    check_buildifier || status=1
    check_clang_format || status=1
    ;;
  *)
    echo "usage: bash tools/lint.sh [buildifier|clang-format]" >&2
    exit 2
    ;;
esac
exit $status
