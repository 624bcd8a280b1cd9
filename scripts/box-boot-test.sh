#!/usr/bin/env bash

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# `make box-boot-test [BOX=debian-13] [ARCH=amd64|arm64]`: the libvirt box `make box` built, booted
# as it is, without Vagrant or libvirt: its disk (a qcow2 overlay on a copy of box.img; the box file
# is only read) under QEMU with user networking, SSH forwarded from a free port on 127.0.0.1. Logs
# in as `vagrant` with Vagrant's insecure key (Debian's vagrant package), then does what `vagrant up`
# does next with vagrant/Vagrantfile: the checkout into /vagrant (the box has none: the venv's kit is
# installed from there), the setup step (which must only compile lab 11's objects) and a restart of
# the service. Then checks: the architecture, no failed unit, the JupyterLab service on the VM's NAT
# address only, its token (403 without, 200 with), `sudo ebpflab doctor`; for arm64 also the EFI
# partition and GRUB's removable path. arm64 boots QEMU's virt board with EDK2 as pflash (the code read-only, a copy of
# the variables), TCG on an x86_64 machine (-cpu max,pauth-impdef=on, as `make vm-test`).
# amd64: QEMU's PC with its BIOS, TCG (BOX_BOOT_ACCEL=kvm for KVM).
# Environment: BOX_BOOT_FILE (the .box; default build/box/ebpflab-<BOX>-<ARCH>-libvirt.box),
# BOX_BOOT_TIMEOUT (minutes until SSH and the service answer, default 30), BOX_BOOT_KEEP=1 (keep
# the temp dir with the console log).
set -euo pipefail

# All of it in one function: bash reads a function whole before running it.
main() {
say() { echo "box-boot-test: $*"; }
die() { echo "box-boot-test: $*" >&2; exit 2; }

release=${1:-debian-13} arch=${2:-amd64}
case "$arch" in
  amd64) qemu=qemu-system-x86_64 qemu_pkg=qemu-system-x86 uname=x86_64 ;;
  arm64) qemu=qemu-system-aarch64 qemu_pkg=qemu-system-arm uname=aarch64 ;;
  *) die "unknown architecture '$arch': amd64 or arm64." ;;
esac
src=$(cd "$(dirname "$0")/.." && pwd)
box=${BOX_BOOT_FILE:-$src/build/box/ebpflab-$release-$arch-libvirt.box}
[ -f "$box" ] || die "no box at $box: run \`make box BOX=$release ARCH=$arch\` first (or set BOX_BOOT_FILE)."
limit=${BOX_BOOT_TIMEOUT:-30}
[[ "$limit" =~ ^[0-9]+$ ]] || die "BOX_BOOT_TIMEOUT must be a number of minutes, not '$limit'."
command -v "$qemu" >/dev/null || die "$qemu is missing: apt-get install $qemu_pkg"
command -v qemu-img >/dev/null || die "qemu-img is missing: apt-get install qemu-utils"
key=$(dpkg -L vagrant 2>/dev/null | grep '/keys/vagrant$' | head -n 1 || true)
if [ -z "$key" ] || [ ! -f "$key" ]; then die "Vagrant's insecure private key is missing: apt-get install vagrant"; fi
code=/usr/share/AAVMF/AAVMF_CODE.fd vars=/usr/share/AAVMF/AAVMF_VARS.fd  # Debian's qemu-efi-aarch64
if [ "$arch" = arm64 ] && { [ ! -f "$code" ] || [ ! -f "$vars" ]; }; then
  die "the arm64 UEFI firmware ($code) is missing: apt-get install qemu-efi-aarch64"
fi

work=$(mktemp -d /tmp/ebpflab-box-boot.XXXXXX)
qemu_pid=""
teardown() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$qemu_pid" 2>/dev/null || true
  fi
  if [ -n "${BOX_BOOT_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap teardown EXIT
trap 'exit 1' INT TERM
fail() { say "FAILED: $*"; say "console: $work/console.log (last lines below)"; tail -n 15 "$work/console.log" 2>/dev/null || true; BOX_BOOT_KEEP=1; exit 1; }

t0=$(date +%s)
say "copying box.img out of $box"
tar -xf "$box" -C "$work" box.img metadata.json
qemu-img create -q -f qcow2 -b "$work/box.img" -F qcow2 "$work/overlay.qcow2"
# two free ports on 127.0.0.1: SSH and JupyterLab
read -r ssh_port jupyter_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

args=(-m 4096 -smp 2 -nographic -monitor none -serial "file:$work/console.log"
  -drive "file=$work/overlay.qcow2,format=qcow2,if=virtio"
  -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$ssh_port-:22,hostfwd=tcp:127.0.0.1:$jupyter_port-:8888")
# TCG (pointer authentication's IMPDEF algorithm for arm64: far faster to emulate), or KVM when
# asked for on a machine of the box's architecture
cpu=max; [ "$arch" != arm64 ] || cpu=max,pauth-impdef=on
if [ "${BOX_BOOT_ACCEL:-tcg}" = kvm ]; then args+=(-accel kvm -cpu host); else args+=(-accel tcg -cpu "$cpu"); fi
if [ "$arch" = arm64 ]; then
  cp "$vars" "$work/VARS.fd"
  args+=(-M virt -drive "if=pflash,format=raw,readonly=on,file=$code" -drive "if=pflash,format=raw,file=$work/VARS.fd")
else
  args+=(-M pc)
fi
args+=(-device "virtio-net-pci,netdev=n0")
say "booting: $qemu ${args[*]}"
# (the QEMU process ends with this script: its pid, killed by teardown; a bound for a hang too)
timeout "$((limit + 30))m" "$qemu" "${args[@]}" </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!

ssh_args=(-i "$work/key" -p "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=20 -o LogLevel=ERROR vagrant@127.0.0.1)
install -m 0600 "$key" "$work/key"
# (the commands are written here, to be run there)
# shellcheck disable=SC2029
in_vm() { ssh "${ssh_args[@]}" "$@"; }

deadline=$(( t0 + limit * 60 ))
until in_vm true 2>/dev/null; do
  kill -0 "$qemu_pid" 2>/dev/null || fail "QEMU exited before SSH answered ($(tail -n 3 "$work/qemu.log" | tr '\n' ' '))"
  [ "$(date +%s)" -lt "$deadline" ] || fail "no SSH login as vagrant within $limit min"
  sleep 10
done
say "ok: ssh as vagrant with Vagrant's insecure key after $(( $(date +%s) - t0 )) s"

# What vagrant up does after SSH (vagrant/Vagrantfile): the checkout into /vagrant (vagrant-libvirt's
# rsync folder, owned by vagrant), the setup step, the service restarted.
(cd "$src" && git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
  in_vm 'sudo mkdir -p /vagrant && sudo tar -xf - -C /vagrant --no-same-owner && sudo chown -R vagrant:vagrant /vagrant' \
  || fail "could not copy the checkout to /vagrant"
setup_out=$(in_vm 'sudo sh -c "sha256sum --status -c /opt/ebpflab/venv/.pyproject.sha256 && touch /opt/ebpflab/venv/.installed
  make --no-print-directory -C /vagrant setup VENV=/opt/ebpflab/venv" 2>&1') || { echo "$setup_out"; fail "the setup step failed"; }
# the box is provisioned: no package, no venv; only lab 11's objects for this checkout
other=$(echo "$setup_out" | grep -v 'ebpflab setup: \(generating build/vmlinux.h\|compiling bpf/\)' || true)
[ -z "$other" ] || { echo "$setup_out"; fail "the provisioned box's setup step did more than compile lab 11's objects"; }
in_vm 'sudo systemctl restart ebpflab-jupyter' || fail "could not restart ebpflab-jupyter"
say "ok: the checkout in /vagrant, the setup step printed $(echo -n "$setup_out" | grep -c . || true) lines (lab 11's objects only), the service restarted"

got=$(in_vm uname -m)
[ "$got" = "$uname" ] || fail "uname -m is '$got', not $uname"
say "ok: uname -m = $got, kernel $(in_vm uname -r)"

# the service (JupyterLab's start under TCG takes minutes): active and listening
until in_vm "systemctl is-active --quiet ebpflab-jupyter && ss -Hltn 'sport = :8888' | grep -q LISTEN" 2>/dev/null; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "ebpflab-jupyter is '$(in_vm systemctl is-active ebpflab-jupyter || true)', not listening on 8888, after $limit min"
  sleep 10
done
say "ok: ebpflab-jupyter is $(in_vm systemctl is-active ebpflab-jupyter) after $(( $(date +%s) - t0 )) s"

failed=$(in_vm "systemctl list-units --failed --plain --no-legend" | awk '{print $1}' | paste -sd ' ')
[ -z "$failed" ] || fail "failed units: $failed"
say "ok: no failed unit ($(in_vm systemctl is-system-running || true))"

# Every TCP socket the service's processes listen on: the NAT address (the box's EBPFLAB_IP=nat), port 8888, only.
listen=$(in_vm "sudo sh -c 'cg=\$(systemctl show -p ControlGroup --value ebpflab-jupyter)
  for pid in \$(cat /sys/fs/cgroup\$cg/cgroup.procs); do ss -Hltnp | grep \"pid=\$pid,\" ; done' | awk '{print \$4}' | sort -u")
nat=$(in_vm "ip -4 -o route get 192.0.2.1 | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p'")
[ "$listen" = "$nat:8888" ] || fail "the service listens on '${listen//$'\n'/ }', not $nat:8888 only"
say "ok: JupyterLab listens on $listen only (the VM's NAT address; forwarded here to 127.0.0.1:$jupyter_port)"

token=$(in_vm "sudo ebpflab url" | sed -n 's/.*token=\([0-9a-zA-Z_-]*\).*/\1/p' | tail -n 1)
[ -n "$token" ] || fail "sudo ebpflab url printed no token"
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 120 "http://127.0.0.1:$jupyter_port/api/status$1" || true; }
without=$(status "") with=$(status "?token=$token")
if [ "$without" != 403 ] || [ "$with" != 200 ]; then fail "/api/status answered $without without the token and $with with it"; fi
say "ok: the token: $without without it, $with with it"

in_vm "sudo ebpflab doctor" >"$work/doctor.log" 2>&1 || true
if ! grep -q '^ready for the labs\.' "$work/doctor.log" || grep -q '✘' "$work/doctor.log"; then
  cat "$work/doctor.log"
  fail "ebpflab doctor is not ready for the labs"
fi
say "ok: sudo ebpflab doctor: $(grep -c '^✔' "$work/doctor.log") ✔, $(grep -c '^–' "$work/doctor.log") –, $(sed -n 's/^✔ kernel *//p' "$work/doctor.log")"

if [ "$arch" = arm64 ]; then
  efi=$(in_vm "findmnt -n -o FSTYPE /boot/efi; sudo test -s /boot/efi/EFI/BOOT/BOOTAA64.EFI && echo removable")
  [ "$efi" = $'vfat\nremovable' ] || fail "/boot/efi: '${efi//$'\n'/ }', not vfat with EFI/BOOT/BOOTAA64.EFI"
  say "ok: /boot/efi is the EFI partition (vfat) with GRUB on the removable path"
fi

in_vm "sudo systemctl poweroff" >/dev/null 2>&1 || true
for _ in $(seq 60); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 2; done
total=$(( $(date +%s) - t0 ))
say "PASS: $release $arch, $(basename "$box"), in $((total / 60)) min $((total % 60)) s"
}
main "$@"
