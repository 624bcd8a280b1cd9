#!/usr/bin/env bash
# System half of `make lab` / `make test`: distribution packages, kernel headers, mounts.
# Idempotent and silent when nothing is missing; one line for each thing it does.
set -euo pipefail

say() { echo "ebpflab setup: $*"; }
die() { echo "ebpflab setup: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (or through sudo): loading eBPF programs needs it."

# --- which distribution -------------------------------------------------------------------
. /etc/os-release
case "${ID}:${VERSION_ID:-}" in
  debian:12|debian:13|ubuntu:24.04) ;;
  ubuntu:22.04)
    die "Ubuntu 22.04's own BCC package (python3-bpfcc 0.18) cannot compile programs on its kernel; use Debian 12, Ubuntu 24.04 or the Vagrant VM (see README)." ;;
  *) say "untested distribution ${PRETTY_NAME:-$ID}; trying the Debian package names." ;;
esac

# Packages the labs use; arguments name extra ones (`make test` adds what only tests need).
LAB_PACKAGES="bpfcc-tools python3-bpfcc python3-venv python3-pip tcpdump iproute2 iputils-ping
  bpftool nftables libpcap0.8 python3-seccomp kmod gcc libc6-dev"
TEST_PACKAGES="$*"

missing=()
for p in $LAB_PACKAGES $TEST_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

apt_updated=""
apt_update() {
  [ -n "$apt_updated" ] && return
  say "apt-get update"
  apt-get update -qq >/dev/null || die "apt-get update failed: check the network or the apt sources."
  apt_updated=1
}
apt_install() {
  apt_update
  say "installing $*"
  local log; log=$(mktemp)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >"$log" 2>&1 \
    || { cat "$log" >&2; rm -f "$log"; die "apt-get install $* failed (output above)."; }
  rm -f "$log"
}
# Install what is available; a package this release does not have is reported, not fatal.
if [ ${#missing[@]} -gt 0 ]; then
  apt_update
  have=()
  for p in "${missing[@]}"; do
    if apt-cache show "$p" >/dev/null 2>&1; then have+=("$p"); else say "package $p is not in this distribution; skipped"; fi
  done
  if [ ${#have[@]} -gt 0 ]; then apt_install "${have[@]}"; fi
fi

# --- kernel headers (BCC compiles against them) ---------------------------------------------
kver=$(uname -r)
moddir=/lib/modules/$kver
if [ ! -e "$moddir/build/include" ] && [ ! -e "$moddir/build/Makefile" ]; then
  if apt-cache show "linux-headers-$kver" >/dev/null 2>&1 || { apt_update; apt-cache show "linux-headers-$kver" >/dev/null 2>&1; }; then
    apt_install "linux-headers-$kver"
  else
    # No headers package for this kernel (custom, cloud, WSL2 or CI kernels): use the
    # distribution's generic headers. XDP programs only need the UAPI part, which is stable.
    arch=$(dpkg --print-architecture)
    case "$ID" in ubuntu) generic=linux-headers-generic ;; *) generic=linux-headers-$arch ;; esac
    dpkg-query -W -f='${Status}' "$generic" 2>/dev/null | grep -q "ok installed" || apt_install "$generic"
    donor=$(ls -d /lib/modules/*/build 2>/dev/null | grep -v "/$kver/" | sort -V | tail -n 1 || true)
    [ -n "$donor" ] || die "no kernel headers found after installing $generic."
    donor=$(dirname "$donor")
    mkdir -p "$moddir"
    ln -sfn "$(readlink -f "$donor/build")" "$moddir/build"
    if [ -e "$donor/source" ]; then ln -sfn "$(readlink -f "$donor/source")" "$moddir/source"; fi
    say "no headers package for kernel $kver: using the generic headers of $(basename "$donor") (linked as $moddir/build)."
  fi
fi

# --- pseudo file systems the labs read ------------------------------------------------------
mountfs() {  # type, mount point
  mountpoint -q "$2" 2>/dev/null && return
  mkdir -p "$2"
  mount -t "$1" "$1" "$2" && say "mounted $1 on $2"
}
mountfs debugfs /sys/kernel/debug
mountfs tracefs /sys/kernel/tracing
mountfs bpf /sys/fs/bpf
exit 0
