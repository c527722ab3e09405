#!/usr/bin/env bash
# tools/fresh_machine_check.sh: does README.md's quick start work on a bare
# Debian 12? Builds one with debootstrap, copies a clone of this checkout in,
# and runs the quick-start commands under chroot, as a new user would.
#
#   bash tools/fresh_machine_check.sh [--keep] [--base-tarball FILE]
#
#   --keep               leave the chroot in place afterwards (path printed)
#   --base-tarball FILE  reuse a bare system saved in FILE (made on the first
#                        run with this option), to skip debootstrap next time
#
# Needs root, debootstrap, and Debian's archive (deb.debian.org). Takes 10+
# minutes and ~4 GB of disk. Only committed work is checked (a `git clone` of
# this checkout is copied in). After the quick start it also runs one extra
# check outside the README: a MinGW-built .exe under Wine, since the Wine
# tests skip themselves when Wine cannot run.
#
# Prints PASS/FAIL and the time of each step; exits non-zero if any failed.
set -uo pipefail

# The whole script is one { ... } block: bash reads it completely before
# running it, so editing this file during a run cannot break that run.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEEP=0
BASE_TARBALL=""
while (($#)); do
  case "$1" in
    --keep) KEEP=1 ;;
    --base-tarball)
      BASE_TARBALL=${2:?--base-tarball needs a file}
      shift
      ;;
    -h | --help)
      sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "unknown argument '$1' (try --help)" >&2
      exit 2
      ;;
  esac
  shift
done

[[ $EUID -eq 0 ]] || {
  echo "run as root (debootstrap, mount and chroot need it)" >&2
  exit 2
}
command -v debootstrap >/dev/null || {
  echo "debootstrap is missing: apt-get install debootstrap" >&2
  exit 2
}

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/fresh-debian.XXXXXX")
CHROOT="$WORK/root"
LOG_DIR="$WORK/logs"
mkdir -p "$CHROOT" "$LOG_DIR"
RESULTS=()
FAILED=0
START=$SECONDS

# Undo everything, whatever happened: stop the chroot's Bazel server and any
# other process still running inside, unmount, then delete the chroot unless
# --keep, and never while anything is still mounted under it.
mounts_under() { findmnt -rn -o TARGET | grep -F "$CHROOT" | sort -r; }
cleanup() {
  local pid m
  if [[ -x "$CHROOT/usr/bin/bazel" && -d "$CHROOT/root/work/main" ]]; then
    chroot "$CHROOT" /bin/bash -c 'cd /root/work/main && timeout 60 bazel shutdown' \
      >/dev/null 2>&1
  fi
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    if [[ "$(readlink "/proc/$pid/root" 2>/dev/null)" == "$CHROOT" ]]; then
      kill "$pid" 2>/dev/null
    fi
  done
  sleep 1
  for m in $(mounts_under); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
  if [[ -n "$(mounts_under)" ]]; then
    echo "WARNING: still mounted under $CHROOT, not deleting it:" >&2
    mounts_under >&2
  elif ((KEEP)); then
    echo "Kept the chroot: $CHROOT (logs: $LOG_DIR)"
  else
    rm -rf --one-file-system "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# step NAME COMMAND...: runs, times and records one step; output to its log.
step() {
  local name=$1
  shift
  local log="$LOG_DIR/$(printf '%s' "$name" | tr -c 'A-Za-z0-9.-' _).log" start=$SECONDS rc
  printf '\n=== %s\n' "$name"
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  local verdict=PASS
  if ((rc != 0)); then
    verdict="FAIL (exit $rc)"
    FAILED=1
  fi
  RESULTS+=("$(printf '%-28s %-16s %5d s' "$name" "$verdict" $((SECONDS - start)))")
  return $rc
}

report() {
  printf '\n=== Fresh Debian 12 check of %s (%s)\n' "$ROOT" \
    "$(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null)"
  printf '%s\n' "${RESULTS[@]}"
  printf 'total %d s; result: %s\n' $((SECONDS - START)) \
    "$( ((FAILED)) && echo FAIL || echo PASS)"
}

# Runs a command in the chroot as a fresh login would: clean environment.
in_chroot() {
  chroot "$CHROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "$1"
}

# --- 1. A bare Debian 12 -----------------------------------------------------
make_base() {
  if [[ -n "$BASE_TARBALL" && -s "$BASE_TARBALL" ]]; then
    echo "unpacking $BASE_TARBALL"
    tar -C "$CHROOT" -xpf "$BASE_TARBALL"
    return
  fi
  debootstrap --variant=minbase bookworm "$CHROOT" http://deb.debian.org/debian || return
  if [[ -n "$BASE_TARBALL" ]]; then
    tar -C "$CHROOT" -cpf "$BASE_TARBALL" . && echo "saved $BASE_TARBALL"
  fi
}
step "debootstrap minbase" make_base || {
  report
  exit 1
}

# The archive as a standard Debian 12 install lists it, DNS, and the mounts
# Bazel and Java need (/proc, /sys, /dev with /dev/pts and /dev/shm).
prepare() {
  rm -f "$CHROOT/etc/apt/sources.list"
  cat >"$CHROOT/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Keep this host's apt settings on Release-file validity (a snapshot mirror's
  # Release files are past their Valid-Until date).
  if [[ -f /etc/apt/apt.conf.d/99artifact-registry ]]; then
    cp /etc/apt/apt.conf.d/99artifact-registry "$CHROOT/etc/apt/apt.conf.d/"
  fi
  cp -L /etc/resolv.conf "$CHROOT/etc/resolv.conf"
  mount -t proc proc "$CHROOT/proc" &&
    mount -t sysfs sysfs "$CHROOT/sys" &&
    mount --rbind /dev "$CHROOT/dev" &&
    mount --make-rslave "$CHROOT/dev" || return

  # The checkout as a user gets it (committed work only) and nothing else:
  # the quick start needs no file from outside the repository.
  mkdir -p "$CHROOT/root/work"
  git clone -q "$ROOT" "$CHROOT/root/work/main" || return
  echo "checkout: $(git -C "$CHROOT/root/work/main" log -1 --format='%h %s')"
}
step "prepare chroot" prepare || {
  report
  exit 1
}

# --- 2. The README's quick start, line by line ------------------------------
mapfile -t QUICK_START < <(awk '
  /<!-- *\/quick-start/ { inside = 0 }
  inside && !/^ *```/ && !/^ *$/ && !/^ *#/ { print }
  /<!-- *quick-start/ { inside = 1 }
' "$ROOT/README.md")
if ((${#QUICK_START[@]} != 2)); then
  RESULTS+=("README.md quick start: expected 2 commands, found ${#QUICK_START[@]}")
  FAILED=1
fi
for cmd in "${QUICK_START[@]}"; do
  step "$cmd" in_chroot "cd /root/work/main && $cmd"
done

# --- 3. Extra: Wine runs a Windows program ----------------------------------
wine_smoke() {
  mkdir -p "$CHROOT/tmp/wine-smoke"
  cat >"$CHROOT/tmp/wine-smoke/hello.cc" <<'EOF'
#include <windows.h>

#include <cstdio>

int main() {
  std::printf("hello from Windows %lu\n", GetVersion() & 0xff);
  return 0;
}
EOF
  in_chroot '
    set -e
    cd /tmp/wine-smoke
    x86_64-w64-mingw32-g++ -std=c++17 -static hello.cc -o hello.exe
    out=$(WINEDEBUG=-all WINEPREFIX=$PWD/prefix /usr/lib/wine/wine64 hello.exe | tr -d "\r")
    WINEPREFIX=$PWD/prefix /usr/lib/wine/wineserver64 -w || true
    echo "program printed: $out"
    case "$out" in "hello from Windows "*) ;; *) exit 1 ;; esac'
  local rc=$?
  rm -rf "$CHROOT/tmp/wine-smoke"
  return $rc
}
step "extra: wine runs a .exe" wine_smoke

report
exit $FAILED
}
