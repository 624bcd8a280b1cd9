#!/usr/bin/env bash

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# `make vm-test KERNEL=debian-12|debian-13`: the kernel-sensitive tests on a distribution's own
# kernel, booted. Builds (and caches) a disk image from Debian's packages - the release's
# linux-image-amd64 and its headers, the kit provisioned by the same `make setup` the
# Vagrantfile runs, its JupyterLab service - boots it with QEMU without a network, runs the
# tests inside (scripts/vm-test-guest.sh) and prints pytest's summary line here.
# Everything is installed in a chroot on this machine while the image is built.
# Environment: EBPFLAB_VM_CACHE (default /var/cache/ebpflab/vm), VM_TESTS (pytest arguments
# instead of the list below), VM_TIMEOUT (minutes, default 40), VM_ACCEL (kvm|tcg: skip the probe),
# VM_BUILD_ONLY=1 (build the image, do not boot), VM_BOOT_ONLY=1 (boot the image built last, with
# this checkout and VM_TESTS or the list below: a long list in parts, one boot each).
set -euo pipefail

# The kernel-sensitive tests, by path (the one place to adjust when tests move): the doctor;
# every XDP program the labs load passes this verifier; the gallery and its labels; lab 08's hooks, kprobe and fentry for real; the capture
# proof (same bytes as tcpdump, read back by tcpdump); seccomp and notebooks 01, 02, 05 and 08
# (system call names and numbers differ between architectures: lab 01 and lab 08 use them).
TESTS="tests/kernel/test_doctor_cli.py
  tests/kernel/test_xdp_programs_verify.py
  tests/kernel/test_verifier.py::test_the_gallery_has_at_least_14_pairs_with_a_rule_each
  tests/kernel/test_verifier.py::test_pair_behaves_as_labelled
  tests/kernel/test_hooks.py
  tests/kernel/test_tcpdump.py::test_same_packets_same_bytes_same_order
  tests/kernel/test_tcpdump.py::test_pcap_is_read_by_tcpdump_and_the_counts_add_up
  tests/kernel/test_seccomp.py
  tests/kernel/test_notebooks.py::test_notebook_with_solutions[01_history]
  tests/kernel/test_notebooks.py::test_notebook_with_solutions[02_first_xdp]
  tests/kernel/test_notebooks.py::test_notebook_with_solutions[05_verifier]
  tests/kernel/test_notebooks.py::test_notebook_with_solutions[08_hooks]"
TESTS=${VM_TESTS:-$TESTS}

# All of it in one function: bash reads a function whole before running it, so editing this
# file during a run (it takes a while) cannot change the run. The image's stages are shared with
# `make box` (scripts/image-lib.sh).
main() {
IMG_TAG=vm-test
say() { img_say "$@"; }
die() { img_die "$@"; }

case "${1:-}" in
  debian-12|debian-13) ;;
  *) die "name the kernel: make vm-test KERNEL=debian-12 or KERNEL=debian-13 (got '${1:-}')." ;;
esac
kernel=$1
[ "$(id -u)" = 0 ] || die "run as root (or through sudo): building the image needs chroot and mounts."
src=$(cd "$(dirname "$0")/.." && pwd)
arch=${2:-amd64}
img_target "$kernel" "$arch"
# amd64 keeps the cache it always had; another architecture gets its own
suffix=-$arch; [ "$arch" != amd64 ] || suffix=""
img_cache "${EBPFLAB_VM_CACHE:-/var/cache/ebpflab/vm}/$IMG_SUITE$suffix"
suite=$IMG_SUITE cache=$IMG_CACHE root=$IMG_ROOT
venv=/opt/ebpflab/venv   # as in vagrant/Vagrantfile
port=8888

img_need_tools debootstrap:debootstrap "$IMG_QEMU:$IMG_QEMU_PKG" mkfs.ext4:e2fsprogs
tty=$IMG_CONSOLE
firmware=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd  # Debian's EDK2 for QEMU's arm64 virt board
if [ "$arch" = arm64 ] && [ ! -e "$firmware" ]; then
  say "installing qemu-efi-aarch64"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-efi-aarch64 >/dev/null \
    || die "could not install qemu-efi-aarch64 (the arm64 guest's UEFI firmware) on this machine."
fi

img=$cache/disk.img
# VM_BOOT_ONLY=1: boot the image built last, with this checkout's files copied over its /vagrant
# (the venv installs the kit editable: no make setup again) and this run's test list. An arm64
# build under qemu-user takes an hour; its tests run in parts, one boot each.
if [ -n "${VM_BOOT_ONLY:-}" ]; then
  kver=$(cd "$cache" && ls vmlinuz-* 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -n 1 || true)
  [ -e "$img" ] && [ -n "$kver" ] || die "no image in $cache to boot: build it first (without VM_BOOT_ONLY)."
  mnt=$cache/mnt
  trap 'if mountpoint -q "$mnt"; then umount "$mnt"; fi' EXIT
  # a boot cut short by VM_TIMEOUT leaves the journal to replay
  e2fsck -p "$img" >/dev/null 2>&1 || true
  mkdir -p "$mnt"
  mount -o loop "$img" "$mnt" || die "cannot mount $img (a loop device) to update its checkout."
  [ -d "$mnt/vagrant" ] || die "$img has no /vagrant: build it again (without VM_BOOT_ONLY)."
  img_checkout "$src" "$mnt/vagrant"
  install -m 0755 "$src/scripts/vm-test-guest.sh" "$mnt/usr/local/sbin/ebpflab-vm-test"
  echo "$TESTS" | tr -s ' \n' '\n' | sed '/^$/d' >"$mnt/etc/ebpflab-vm-tests"
  umount "$mnt"
  boot_image
  exit
fi

# --- the root filesystem, built once per release --------------------------------------------
unmount_all() { img_unmount_all "$root"; img_foreign_done; }
trap unmount_all EXIT
img_foreign  # another architecture's chroot: qemu-user through binfmt_misc
img_debootstrap
trap 'unmount_all; exit 1' INT TERM
img_mount_chroot "$root"
img_packages
kver=$IMG_KVER
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$root/etc/fstab"
# the tests' output owns the serial console: no login prompt there
ln -sfn /dev/null "$root/etc/systemd/system/serial-getty@$tty.service"

# --- the kit, provisioned as the Vagrantfile does ---------------------------------------------
# No NIC in this VM, so no NAT address: listen on the loopback as lima.yaml does.
img_provision "$src" "$venv" "$port" 127.0.0.1
install -m 0755 "$src/scripts/vm-test-guest.sh" "$root/usr/local/sbin/ebpflab-vm-test"
echo "$TESTS" | tr -s ' \n' '\n' | sed '/^$/d' >"$root/etc/ebpflab-vm-tests"
cat >"$root/etc/systemd/system/ebpflab-vm-test.service" <<EOF
[Unit]
Description=ebpflab vm-test: the kernel-sensitive tests, then power off
After=ebpflab-jupyter.service
[Service]
Type=oneshot
Environment=EBPFLAB_VENV=$venv EBPFLAB_PORT=$port
ExecStart=/usr/local/sbin/ebpflab-vm-test
ExecStopPost=/bin/systemctl poweroff --no-block
StandardOutput=tty
StandardError=tty
TTYPath=/dev/$tty
TimeoutStartSec=infinity
[Install]
WantedBy=multi-user.target
EOF
img_in_root systemctl enable --quiet ebpflab-vm-test.service
cp "$root/boot/vmlinuz-$kver" "$root/boot/initrd.img-$kver" "$cache/"
unmount_all

# --- the disk image ----------------------------------------------------------------------------
size=$(( $(du -sm "$root" | cut -f1) + 1536 ))
say "making $img (${size} MiB ext4) from $root"
rm -f "$img"
mkfs.ext4 -q -F -L ebpflab -d "$root" "$img" "${size}M" >/dev/null
[ -z "${VM_BUILD_ONLY:-}" ] || { say "image ready (VM_BUILD_ONLY set: not booting)"; exit 0; }
boot_image
}

# --- boot -------------------------------------------------------------------------------------
# boot_image: boot $img with $kver's kernel, run the tests inside, print pytest's summary.
boot_image() {
log=$cache/console.log
qemu=("$IMG_QEMU" -m 3072 -smp 2 -display none -monitor none -no-reboot -nic none)
# arm64: QEMU's generic board; Debian's EDK2 firmware starts the kernel (its EFI stub) from -kernel
[ "$arch" != arm64 ] || qemu+=(-M virt -bios "$firmware")
accel=${VM_ACCEL:-}
if [ -z "$accel" ]; then
  accel=tcg
  # KVM only for the machine's own architecture (an arm64 guest on amd64 is TCG all the way)
  if [ "$arch" = "$(dpkg --print-architecture)" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    # Some KVMs (paravirtual PVM in a cloud VM) cannot run a stock kernel: QEMU refuses the host
    # CPU model, and with another one the kernel hangs right after decompression. Probe: does the
    # kernel get as far as looking for its root filesystem (here: none, so it panics)?
    why=""
    for cpu in host max; do
      rm -f "$cache/kvm-probe.log"
      # (in its own shell, whose stderr also takes bash's note when QEMU aborts)
      bash -c '"$@"; exit 0' probe timeout 30 "${qemu[@]}" -enable-kvm -cpu $cpu -kernel "$cache/vmlinuz-$kver" \
        -append "console=$tty panic=-1" -serial "file:$cache/kvm-probe.log" >/dev/null 2>&1
      if grep -qE "VFS: Unable to mount root|Kernel panic" "$cache/kvm-probe.log" 2>/dev/null; then
        accel=kvm kvm_cpu=$cpu; break
      elif [ -s "$cache/kvm-probe.log" ]; then why="$why${why:+; }-cpu $cpu: the kernel stopped early"
      else why="$why${why:+; }-cpu $cpu: no kernel output"; fi
    done
    [ "$accel" = kvm ] || say "/dev/kvm cannot boot a stock kernel here ($why, within 30 s): falling back to TCG, slower"
  fi
fi
tcg_cpu=max
# arm64 under TCG: the kernel signs and checks return addresses (pointer authentication) in every
# function; QEMU's IMPDEF algorithm emulates that far faster than the architected QARMA5 (here
# Debian 13's kernel reached its root-mount panic in 5.4-7.5 s instead of 12.8-13.6 s).
[ "$arch" != arm64 ] || tcg_cpu=max,pauth-impdef=on
if [ "$accel" = kvm ]; then qemu+=(-enable-kvm -cpu "${kvm_cpu:-host}"); else qemu+=(-accel tcg -cpu "$tcg_cpu"); fi
say "booting Debian $suite's kernel $kver with QEMU/$accel (console: $log)"
start=$(date +%s)
rm -f "$log"
timeout "${VM_TIMEOUT:-40}m" "${qemu[@]}" -kernel "$cache/vmlinuz-$kver" -initrd "$cache/initrd.img-$kver" \
  -append "root=/dev/vda rw console=$tty panic=-1" \
  -drive "file=$img,format=raw,if=virtio" -serial "file:$log" || say "QEMU exited with status $? (timeout: 124)"
elapsed=$(( $(date +%s) - start ))

summary=$(sed -n 's/^EBPFLAB-VM-SUMMARY: //p' "$log" | tr -d '\r' | tail -n 1)
rc=$(sed -n 's/^EBPFLAB-VM-RC: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
say "$kernel $arch (kernel $kver, QEMU/$accel, $((elapsed / 60)) min $((elapsed % 60)) s): ${summary:-no pytest summary: see $log}"
# The guest saved its verifier logs in the image: read them out without mounting it.
rm -rf "$cache/verifier_logs"
if debugfs -R "rdump /var/tmp/verifier_logs $cache" "$img" >/dev/null 2>&1 && [ -d "$cache/verifier_logs" ]; then
  say "this kernel's verifier logs: $cache/verifier_logs/ (copy into tests/unit/verifier_logs/ to keep them as fixtures)"
fi
[ "$rc" = 0 ] || { say "failed: see $log"; exit 1; }
}
# shellcheck source=scripts/image-lib.sh
. "$(dirname "$0")/image-lib.sh"
main "$@"
