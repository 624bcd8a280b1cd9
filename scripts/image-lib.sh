# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# shellcheck shell=bash
# The stages that build a Debian lab image, shared by scripts/vm-test.sh (`make vm-test`) and
# scripts/box.sh (`make box`), sourced by both: the release and architecture, debootstrap, the
# kernel and other packages in a chroot, and the kit provisioned by the Vagrantfile's own
# `make setup VENV=/opt/ebpflab/venv` with its JupyterLab service. Each stage is cached in
# $IMG_CACHE (a stamp file) so a second build only redoes what changed.
#
# The caller sets IMG_TAG (the prefix of its messages), calls img_target and img_cache, then the
# stages.
# Everything is in functions: sourcing this file runs nothing.

img_say() { echo "$IMG_TAG: $*"; }
img_die() { echo "$IMG_TAG: $*" >&2; exit 2; }

# img_target RELEASE ARCH: check the names and set IMG_SUITE, IMG_ARCH and the architecture's
# kernel package, GRUB target, QEMU binary (and its package), qemu-user name and serial console.
img_target() {
  case "$1" in
    debian-12) IMG_SUITE=bookworm ;;
    debian-13) IMG_SUITE=trixie ;;
    *) img_die "unknown release '$1': debian-12 or debian-13." ;;
  esac
  IMG_RELEASE=$1
  case "$2" in
    # Debian's standard kernel, not the cloud one: VirtualBox's e1000 NIC and AHCI disk need it.
    amd64) IMG_KERNEL_FLAVOUR=amd64 IMG_GRUB_TARGET=i386-pc IMG_GRUB_PKG=grub-pc IMG_QEMU=qemu-system-x86_64
      IMG_QEMU_PKG=qemu-system-x86 IMG_QEMU_USER=x86_64 IMG_CONSOLE=ttyS0 ;;
    # arm64: QEMU's virt board has a PL011 UART (ttyAMA0), and boots through UEFI (Debian's EDK2)
    arm64) IMG_KERNEL_FLAVOUR=arm64 IMG_GRUB_TARGET=arm64-efi IMG_GRUB_PKG=grub-efi-arm64 IMG_QEMU=qemu-system-aarch64
      IMG_QEMU_PKG=qemu-system-arm IMG_QEMU_USER=aarch64 IMG_CONSOLE=ttyAMA0 ;;
    *) img_die "unknown architecture '$2': amd64 or arm64." ;;
  esac
  IMG_ARCH=$2
}

# img_cache DIR: where the stages keep their work: IMG_CACHE, and IMG_ROOT (the root filesystem).
img_cache() {
  IMG_CACHE=$1
  IMG_ROOT=$IMG_CACHE/root
  mkdir -p "$IMG_CACHE"
}

# img_need_tools COMMAND:PACKAGE...: install the host packages whose command is missing.
img_need_tools() {
  local need=() spec
  for spec in "$@"; do command -v "${spec%%:*}" >/dev/null || need+=("${spec#*:}"); done
  [ ${#need[@]} -gt 0 ] || return 0
  img_say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null \
    || img_die "could not install ${need[*]} on this machine."
}

# The root filesystem, built once per release and architecture.
img_debootstrap() {
  [ ! -e "$IMG_CACHE/debootstrap.done" ] || return 0
  img_say "debootstrap $IMG_SUITE ($IMG_ARCH) into $IMG_ROOT (log: $IMG_CACHE/debootstrap.log)"
  rm -rf "$IMG_ROOT"
  debootstrap --arch="$IMG_ARCH" --variant=minbase --include=systemd-sysv,make,ca-certificates,iproute2,procps,kmod \
    "$IMG_SUITE" "$IMG_ROOT" http://deb.debian.org/debian >"$IMG_CACHE/debootstrap.log" 2>&1 \
    || img_die "debootstrap failed: see $IMG_CACHE/debootstrap.log"
  touch "$IMG_CACHE/debootstrap.done"
}

# img_unmount_all DIR: everything mounted below DIR, deepest first (for an EXIT trap).
img_unmount_all() {
  awk -v r="${1%/}/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# img_mount_chroot DIR: the pseudo filesystems and this machine's DNS and CA bundle, so that
# apt and pip in the chroot reach the mirrors as this machine does.
img_mount_chroot() {
  local dir=$1
  mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
  mountpoint -q "$dir/sys" || mount -t sysfs sysfs "$dir/sys"
  mountpoint -q "$dir/dev" || mount --bind /dev "$dir/dev"
  mountpoint -q "$dir/dev/pts" || mount --bind /dev/pts "$dir/dev/pts"
  img_resolv "$dir"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/host-ca.crt"
}

# img_resolv DIR: this machine's DNS servers in the chroot. Installing systemd-resolved makes
# /etc/resolv.conf a link into /run (a tmpfs at boot; Debian 12's package leaves it dangling in
# a chroot): fill the link's target.
img_resolv() {
  local resolv=$1/etc/resolv.conf
  if [ -L "$resolv" ]; then resolv=$1/run/systemd/resolve/stub-resolv.conf; mkdir -p "${resolv%/*}"; fi
  cp /etc/resolv.conf "$resolv"
}

# img_in DIR COMMAND...: run a command in the chroot DIR with a clean environment.
img_in() {
  local dir=$1; shift
  chroot "$dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/host-ca.crt SSL_CERT_FILE=/etc/ssl/host-ca.crt REQUESTS_CA_BUNDLE=/etc/ssl/host-ca.crt \
    "$@"
}
img_in_root() { img_in "$IMG_ROOT" "$@"; }

# img_packages PACKAGE...: the release's kernel and headers, what the kernel needs to boot, and
# the caller's extra packages. Redone when the list changes (the stamp holds it).
img_packages() {
  local list stamp=$IMG_CACHE/kernel.done
  list="linux-image-$IMG_KERNEL_FLAVOUR linux-headers-$IMG_KERNEL_FLAVOUR initramfs-tools udev $*"
  if [ ! -e "$stamp" ] || [ "$(cat "$stamp")" != "$list" ]; then
    img_say "installing $IMG_SUITE's linux-image-$IMG_KERNEL_FLAVOUR and its headers${*:+ (with $*)} in the chroot (log: $IMG_CACHE/kernel.log)"
    # The initramfs is made once, below, not by each package that asks (the kernel's postinst,
    # then initramfs-tools' trigger: two full runs, about 15 min each under qemu-user for arm64).
    # INITRD=No silences the kernel's hook; update_initramfs=no the trigger's `update-initramfs -u`.
    sed -i 's/^update_initramfs=.*/update_initramfs=no/' "$IMG_ROOT/etc/initramfs-tools/update-initramfs.conf" 2>/dev/null || true
    # shellcheck disable=SC2086
    # dpkg --configure -a first: a build stopped mid-install (slow under qemu-user) resumes
    img_in_root INITRD=No sh -c "apt-get update -qq && dpkg --configure -a && apt-get install -y -q --no-install-recommends $list" \
      >"$IMG_CACHE/kernel.log" 2>&1 || img_die "installing the packages failed: see $IMG_CACHE/kernel.log"
    # back to Debian's default, so that the image's own kernel updates rebuild their initramfs
    sed -i 's/^update_initramfs=.*/update_initramfs=yes/' "$IMG_ROOT/etc/initramfs-tools/update-initramfs.conf"
    img_resolv "$IMG_ROOT"
    echo ebpflab >"$IMG_ROOT/etc/hostname"
    # the hostname resolves, else every sudo waits for DNS (about 11 s)
    printf '127.0.0.1 localhost\n127.0.1.1 ebpflab\n::1 localhost\n' >"$IMG_ROOT/etc/hosts"
    echo "$list" >"$stamp"
  fi
  IMG_KVER=$(cd "$IMG_ROOT/boot" && ls vmlinuz-* 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -n 1 || true)
  [ -n "$IMG_KVER" ] || img_die "no kernel in $IMG_ROOT/boot: remove $stamp and run again."
  if [ ! -e "$IMG_CACHE/initramfs.done" ] || [ ! -s "$IMG_ROOT/boot/initrd.img-$IMG_KVER" ]; then
    img_say "making the initramfs for $IMG_KVER (log: $IMG_CACHE/initramfs.log)"
    img_in_root update-initramfs -c -k "$IMG_KVER" >"$IMG_CACHE/initramfs.log" 2>&1 \
      || img_die "update-initramfs failed in the chroot: see $IMG_CACHE/initramfs.log"
    echo "$IMG_KVER" >"$IMG_CACHE/initramfs.done"
  fi
  # setup.sh reads `uname -r` (this machine's kernel); the guest's headers must be there by name
  [ -d "$IMG_ROOT/usr/src/linux-headers-$IMG_KVER" ] || img_die "no headers for the guest kernel $IMG_KVER in the chroot."
}

# img_checkout SRC DIR: the checkout's files (tracked, and new ones git does not ignore) into DIR.
img_checkout() {
  (cd "$1" && git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
    tar -xf - -C "$2"
}

# img_provision SRC VENV PORT IP: this checkout at /vagrant, provisioned as the Vagrantfile does
# (`make setup VENV=...`), and its JupyterLab service installed and enabled.
img_provision() {
  local src=$1 venv=$2 port=$3 ip=$4
  img_say "copying the checkout to /vagrant and running make setup VENV=$venv (log: $IMG_CACHE/setup.log)"
  rm -rf "$IMG_ROOT/vagrant" && mkdir -p "$IMG_ROOT/vagrant"
  img_checkout "$src" "$IMG_ROOT/vagrant"
  img_in_root make -C /vagrant setup VENV="$venv" >"$IMG_CACHE/setup.log" 2>&1 \
    || { tail -n 20 "$IMG_CACHE/setup.log" >&2; img_die "make setup failed in the chroot: see $IMG_CACHE/setup.log"; }
  install -m 0755 "$src/vagrant/ebpflab-vm.sh" "$IMG_ROOT/usr/local/bin/ebpflab"
  install -m 0644 "$src/vagrant/ebpflab-jupyter.service" "$IMG_ROOT/etc/systemd/system/ebpflab-jupyter.service"
  printf 'EBPFLAB_VENV=%s\nEBPFLAB_PORT=%s\nEBPFLAB_IP=%s\n' "$venv" "$port" "$ip" >"$IMG_ROOT/etc/default/ebpflab"
  img_in_root systemctl enable --quiet ebpflab-jupyter.service
}

# img_attach FILE: a loop device for a partitioned disk image, with its partitions' device nodes
# (IMG_LOOP; IMG_LOOP"p1" ...). Where the kernel's scan at attach time finds no partitions (seen
# here on 6.18, without udev), partx adds them.
img_attach() {
  local i
  IMG_LOOP=$(losetup -f -P --show "$1") || img_die "no free loop device for $1."
  [ -b "${IMG_LOOP}p1" ] || partx -a "$IMG_LOOP" 2>/dev/null || true
  for i in $(seq 50); do [ -b "${IMG_LOOP}p1" ] && return 0; sleep 0.1; done
  losetup -d "$IMG_LOOP"
  img_die "no partition device for $1 on $IMG_LOOP."
}

# img_foreign: when the image's architecture is not this machine's (arm64 on an amd64 host), the
# chroot's programs run under qemu-user through binfmt_misc, mounted here if it is not (and
# unmounted again by img_foreign_done). The F flag opens the interpreter when it is registered,
# so it needs no copy inside the chroot.
img_foreign() {
  local host
  host=$(dpkg --print-architecture)
  [ "$IMG_ARCH" != "$host" ] || return 0
  img_need_tools "qemu-$IMG_QEMU_USER-static:qemu-user-static" update-binfmts:binfmt-support
  if ! mountpoint -q /proc/sys/fs/binfmt_misc; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || img_die "cannot mount binfmt_misc: $IMG_ARCH programs cannot run on this $host machine."
    IMG_BINFMT_MOUNTED=1
  fi
  update-binfmts --enable "qemu-$IMG_QEMU_USER" >/dev/null 2>&1 || true
  grep -q '^flags: .*F' "/proc/sys/fs/binfmt_misc/qemu-$IMG_QEMU_USER" 2>/dev/null \
    || img_die "qemu-user-static's $IMG_QEMU_USER handler is not registered with the F flag (update-binfmts --enable qemu-$IMG_QEMU_USER)."
}
# img_foreign_done: unmount binfmt_misc if img_foreign mounted it (for an EXIT trap).
img_foreign_done() {
  [ -z "${IMG_BINFMT_MOUNTED:-}" ] || { umount /proc/sys/fs/binfmt_misc 2>/dev/null || true; IMG_BINFMT_MOUNTED=; }
}
