#!/usr/bin/env bash

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

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

# Every program the kit runs, by package: sysctl (procps), ip/tc/ss (iproute2), ping (iputils-ping),
# nft (nftables), tcpdump, bpftool, modprobe (kmod), cc (gcc), clang, bpftrace (lab 11); mount, setpriv and taskset come with
# util-linux, which every Debian has. "a|b" names one package that releases call differently
# (Debian 13 and Ubuntu 24.04 renamed libpcap0.8 for their 64-bit time_t move; Ubuntu has no bpftool
# package, only linux-tools-common's wrapper, see below): the first one this release has wins.
LAB_PACKAGES="bpfcc-tools python3-bpfcc python3-venv python3-pip procps iproute2 iputils-ping
  tcpdump bpftool|linux-tools-common nftables libpcap0.8t64|libpcap0.8 python3-seccomp kmod gcc libc6-dev
  clang libbpf-dev bpftrace fonts-noto-cjk"
# Arguments name extra ones (`make test` adds what only tests need); a test skips without them.
TEST_PACKAGES="$*"

# (no `grep -q` after a pipe: with pipefail, a writer cut off early would count as "not there")
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"ok installed"* ]]; }
available() { [[ "$(apt-cache show --no-all-versions "$1" 2>/dev/null)" == *"Package: "* ]]; }
# Packages this release does not have are noted once here, so later runs stay silent.
absent_file=/var/lib/ebpflab/absent-packages
absent() { [ -f "$absent_file" ] && grep -qx "${ID}:${VERSION_ID:-}:$1" "$absent_file"; }

missing=()
for spec in $LAB_PACKAGES $TEST_PACKAGES; do
  found=""
  for p in ${spec//|/ }; do installed "$p" && found=1 && break; done
  [ -n "$found" ] || absent "$spec" || missing+=("$spec")
done
is_lab() { [[ " ${LAB_PACKAGES//$'\n'/ } " == *" $1 "* ]]; }

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
# Install what is available. A test extra this release does not have is reported once, not fatal;
# a package the labs need is never noted as absent (a passing apt problem must not stick): it stops
# setup with the likely cause, e.g. an Ubuntu without universe, where BCC lives.
if [ ${#missing[@]} -gt 0 ]; then
  apt_update
  have=() lacking=() extras=()
  for spec in "${missing[@]}"; do
    pick=""
    for p in ${spec//|/ }; do available "$p" && pick=$p && break; done
    if [ -n "$pick" ]; then have+=("$pick"); elif is_lab "$spec"; then lacking+=("${spec//|/ or }"); else extras+=("$spec"); fi
  done
  if [ ${#lacking[@]} -gt 0 ]; then  # before noting extras: fixed sources may well bring them too
    hint="check the apt sources"; [ "$ID" = ubuntu ] && hint="enable the universe component in /etc/apt/sources.list.d/ubuntu.sources"
    die "apt cannot find ${lacking[*]}, which the labs need: $hint, then run make again."
  fi
  for spec in ${extras[@]+"${extras[@]}"}; do
    say "package ${spec//|/ or } is not in this distribution; skipped (the tests that need it skip)"
    mkdir -p "${absent_file%/*}"; echo "${ID}:${VERSION_ID:-}:$spec" >>"$absent_file"
  done
  # Debian's and Ubuntu's prometheus package starts a server on every interface (:9090) as soon as
  # it is installed; the tests run their own on 127.0.0.1. Masked first, it never starts.
  if [[ " ${have[*]-} " == *" prometheus "* ]] && [ -d /run/systemd/system ] && systemctl mask -q prometheus.service; then
    say "masked the prometheus service, which would listen on every interface (the tests start their own on 127.0.0.1; systemctl unmask prometheus undoes it)"
  fi
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
    installed "$generic" || apt_install "$generic"
    donor=$(ls -d /lib/modules/*/build 2>/dev/null | grep -v "/$kver/" | sort -V | tail -n 1 || true)
    [ -n "$donor" ] || die "no kernel headers found after installing $generic."
    donor=$(dirname "$donor")
    mkdir -p "$moddir"
    ln -sfn "$(readlink -f "$donor/build")" "$moddir/build"
    if [ -e "$donor/source" ]; then ln -sfn "$(readlink -f "$donor/source")" "$moddir/source"; fi
    say "no headers package for kernel $kver: using the generic headers of $(basename "$donor") (linked as $moddir/build)."
  fi
fi

# --- bpftool on Ubuntu ------------------------------------------------------------------------
# Ubuntu's /usr/sbin/bpftool (linux-tools-common) runs /usr/lib/linux-tools/<kernel>/bpftool, which
# linux-tools-<kernel> installs. A kernel without that package gets the generic one's, as for the
# headers above: bpftool reads any kernel's BTF and programs.
if [ "$ID" = ubuntu ] && [ ! -e "/usr/lib/linux-tools/$kver/bpftool" ]; then
  if available "linux-tools-$kver" || { apt_update; available "linux-tools-$kver"; }; then
    apt_install "linux-tools-$kver"
  else
    installed linux-tools-generic || apt_install linux-tools-generic
    donor=$(ls -d /usr/lib/linux-tools/*/bpftool 2>/dev/null | grep -v "/$kver/" | sort -V | tail -n 1 || true)
    [ -n "$donor" ] || die "no bpftool found after installing linux-tools-generic."
    donor=$(dirname "$donor")
    ln -sfn "$donor" "/usr/lib/linux-tools/$kver"
    say "no linux-tools package for kernel $kver: using the tools of $(basename "$donor") (linked as /usr/lib/linux-tools/$kver)."
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
