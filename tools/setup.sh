#!/usr/bin/env bash
# tools/setup.sh: get a Debian 12 machine ready for this project, then run the
# suite's main job once on its bundled default, so you see it work end to end.
#
#   bash tools/setup.sh                 install packages, then run the main job
#   bash tools/setup.sh --install-only  install packages only (.ci/run uses this)
#
# Packages come from tools/packages.txt and are installed with apt-get (through
# sudo when you are not root). Already-installed packages are left alone, so a
# second run is quick. Nothing is downloaded except from Debian's archive.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACKAGES_FILE="$ROOT/tools/packages.txt"

INSTALL_ONLY=0
case "${1:-}" in
  "") ;;
  --install-only) INSTALL_ONLY=1 ;;
  -h | --help)
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "setup.sh: unknown argument '$1' (try --help)" >&2
    exit 2
    ;;
esac

say() { printf '\n=== %s\n' "$*"; }
die() {
  printf 'setup.sh: error: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------- packages --

if [[ ! -r /etc/debian_version ]] || ! command -v apt-get >/dev/null; then
  die "this script installs Debian 12 packages with apt-get; this machine has no apt-get"
fi
case "$(cat /etc/debian_version)" in
  12.* | bookworm*) ;;
  *) echo "setup.sh: warning: written for Debian 12, this is Debian $(cat /etc/debian_version)" >&2 ;;
esac

SUDO=()
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || die "not root and no sudo: run this as root, or install sudo"
  SUDO=(sudo)
fi

# Reads tools/packages.txt: "PACKAGE" or "PACKAGE when-missing=COMMAND".
wanted=()
while read -r pkg cond _; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  if [[ "$cond" == when-missing=* ]] && command -v "${cond#when-missing=}" >/dev/null; then
    echo "skipping $pkg: ${cond#when-missing=} is already on PATH ($(command -v "${cond#when-missing=}"))"
    continue
  fi
  wanted+=("$pkg")
done < "$PACKAGES_FILE"

missing=()
for pkg in "${wanted[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null)" != "ii " ]]; then
    missing+=("$pkg")
  fi
done

# apt-get with a few retries: a mirror hiccup should not fail a CI run.
apt_retry() {
  local try
  for try in 1 2 3; do
    if "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@"; then return 0; fi
    echo "setup.sh: '$*' failed (attempt $try of 3)" >&2
    sleep $((try * 5))
  done
  return 1
}

if ((${#missing[@]} == 0)); then
  say "All ${#wanted[@]} packages from tools/packages.txt are already installed"
else
  say "Installing ${#missing[@]} of ${#wanted[@]} packages: ${missing[*]}"
  start=$SECONDS
  apt_retry apt-get update -q || die "apt-get update failed"
  apt_retry apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    die "apt-get install failed"
  echo "installed in $((SECONDS - start)) s"
fi

# The tools the build and CI call by name.
for tool in bazel gcc g++ clang clang++ ld.lld-14 clang-format-14 \
  x86_64-w64-mingw32-g++ wine /usr/lib/wine/wine64 python3 npm git; do
  command -v "$tool" >/dev/null || die "'$tool' is still missing after installing packages"
done

if ((INSTALL_ONLY)); then
  echo "setup.sh: packages ready (--install-only: not running the main job)"
  exit 0
fi

# ---------------------------------------------------------------- main job --

cd "$ROOT"
# The main job: certify the bundled sample handler, report in certify-report/.
REPORT_DIR="$ROOT/certify-report"
MAIN_JOB=(bazel run //conformance:certify -- "--report_dir=$REPORT_DIR")

say "Running the main job: ${MAIN_JOB[*]}"
start=$SECONDS
"${MAIN_JOB[@]}" || die "the main job failed: ${MAIN_JOB[*]}"
echo "main job finished in $((SECONDS - start)) s"
echo "The bundled sample handler is certified. Read the report:"
echo "  $REPORT_DIR/report.html   (also report.json, report.xml)"

# ------------------------------------------------------------------- next --

cat <<EOF

=== Ready.

Where things are:
  checkout          $ROOT
  how-to            $ROOT/README.md
  built programs    $ROOT/bazel-bin/        (after a build)
  test logs         $ROOT/bazel-testlogs/   (one test.log and test.xml per test)

What to do next:
  cd $ROOT
  bazel test //...                                   the whole suite
  bazel test --config=asan --test_tag_filters=-wine,-benchmark //...
                                                     the same under ASan+UBSan
  bazel test --config=tsan --test_tag_filters=tsan //...
                                                     the concurrency tests under TSan
  bazel run //conformance:certify -- --handler=/abs/path/handler.so \\
      --clsid={...} --report_dir=DIR                 certify your own handler
  bazel run //conformance:conformance_suite -- --implementation=/abs/impl.so \\
      --report_dir=DIR                               check a Sync Manager
  bash tools/lint.sh                                 buildifier and clang-format checks
  bash .ci/run                                       everything CI runs
EOF
