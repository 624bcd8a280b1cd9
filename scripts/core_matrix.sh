#!/usr/bin/env bash

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# Lab 11's portability check: the CO-RE objects in build/, compiled once on this machine, loaded
# unchanged on other kernels. Each kernel boots under QEMU with a tiny initramfs whose /init is
# scripts/core_probe.c (static, with libbpf) and the objects; it prints one line per object.
#
#   scripts/core_matrix.sh VMLINUZ...
#
# A Debian kernel image, by package name: `apt-get download linux-image-6.1.0-57-amd64`, then
# `dpkg-deb --fsys-tarfile linux-image-*.deb | tar -x ./boot`. Needs qemu-system-x86, gcc,
# libbpf-dev (static libbpf, libelf, zlib) and bsdtar or cpio. A developer's tool: not in `make test`.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 VMLINUZ..." >&2; exit 2; }
cd "$(dirname "$0")/.."
make -s bpf
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/obj" "$work/root/sys" "$work/root/proc" "$work/root/dev"
gcc -static -O2 scripts/core_probe.c -lbpf -lelf -lz -o "$work/root/init"
cp build/*.bpf.o "$work/root/obj/"
mknod -m 600 "$work/root/dev/console" c 5 1   # the kernel opens it for /init's output
if command -v cpio >/dev/null; then
  (cd "$work/root" && find . | cpio -o -H newc --quiet) | gzip > "$work/initrd.gz"
else
  (cd "$work/root" && bsdtar --format newc -cf - .) | gzip > "$work/initrd.gz"
fi
status=0
for kernel in "$@"; do
  echo "== $kernel"
  # TCG, not KVM: a stock kernel boots anywhere this way (about 30 s)
  timeout 600 qemu-system-x86_64 -cpu max -m 768 -nographic -no-reboot -kernel "$kernel" \
    -initrd "$work/initrd.gz" -append "console=ttyS0 panic=-1 quiet" > "$work/console.log" 2>&1 || true
  if grep -aq "CORE-PROBE done" "$work/console.log"; then
    grep -ao "CORE-PROBE.*" "$work/console.log" | tr -d '\r' | awk '!seen[$0]++' | grep -v "done" | sed 's/^CORE-PROBE /   /'
    grep -aq "failed" "$work/console.log" && status=1
  else
    echo "   the kernel did not run the probe; last lines of its console:"; tail -n 15 "$work/console.log"; status=1
  fi
done
exit $status
