#!/usr/bin/env bash

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# `make box [BOX=debian-13|debian-12] [ARCH=amd64|arm64]`: the kit's own Vagrant boxes, built from
# Debian's packages on this machine (no Vagrant catalogue needed), with the same stages as
# `make vm-test` (scripts/image-lib.sh): debootstrap, Debian's standard kernel, `make setup
# VENV=/opt/ebpflab/venv` in a chroot, the JupyterLab service. Then a partitioned disk with GRUB,
# openssh-server and sudo, DHCP on any NIC (systemd-networkd), SSH host keys and machine-id made
# at first boot, and three outputs in build/box/ (ebpflab-<release>-<arch>-...):
#   -libvirt.box      vagrant-libvirt box: box.img (compressed qcow2), metadata.json, Vagrantfile
#   -virtualbox.box   VirtualBox box: box.ovf, a streamOptimized VMDK, Vagrantfile (base_mac);
#                     amd64 only (see virtualbox_skip)
#   -cloud.qcow2      the same image without the vagrant user, cloud-init enabled (NoCloud,
#                     ConfigDrive): for Lima, virt-install or any cloud
# amd64: an MBR disk, one ext4 partition, GRUB for BIOS. arm64 (built on an amd64 machine too: the
# chroot's programs run under qemu-user): a GPT disk with an EFI system partition and the ext4
# root, GRUB for UEFI on the removable path (EFI/BOOT/BOOTAA64.EFI), which the firmware of a new
# VM boots without an NVRAM entry; its console is QEMU virt's PL011 (ttyAMA0).
# and the catalogue: metadata.json (metadata-debian-12.json for debian-12) and SHA256SUMS.
# Environment: BOX_BASE_URL (where the files will be served; default: the Vagrantfile's
# BOX_BASE_URL, else file:// + build/box), BOX_VERSION (default: the Vagrantfile's BOX_VERSION, the
# version this checkout's Vagrantfile asks for), BOX_DISK_GB (virtual size, default 20),
# EBPFLAB_BOX_CACHE (default /var/cache/ebpflab/box).
set -euo pipefail

# Vagrant's insecure public keys, which Vagrant replaces at the first `vagrant up`. RSA: Debian's
# vagrant package (keys/vagrant.pub); ed25519 (Vagrant 2.4 and later try it first): not in
# Debian 12's vagrant 2.3.4, so pinned here from hashicorp/vagrant, keys/vagrant.pub.ed25519
# (https://github.com/hashicorp/vagrant/blob/main/keys/vagrant.pub.ed25519).
VAGRANT_KEY_RSA='ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ== vagrant insecure public key'
VAGRANT_KEY_ED25519='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+wvG9hXGoqiysfJOn5Y vagrant insecure public key'

# The VirtualBox box's one NIC: the OVF and the box's Vagrantfile (base_mac) must agree.
VBOX_MAC=080027E8A1B2

# All of it in one function: bash reads a function whole before running it, so editing this
# file during a run cannot change the run.
main() {
IMG_TAG=box
say() { img_say "$@"; }
die() { img_die "$@"; }

release=${1:-debian-13} arch=${2:-amd64}
img_target "$release" "$arch"
[ "$(id -u)" = 0 ] || die "run as root (or through sudo): building the image needs chroot, mounts and loop devices."
src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/build/box
# The publishing place and the version are the Vagrantfile's settings (one place each): a box made
# with another version is one the checkout's Vagrantfile would refuse.
vagrantfile_setting() { sed -n "s/^$1 = \"\(.*\)\"\$/\1/p" "$src/vagrant/Vagrantfile"; }
base_url=${BOX_BASE_URL:-$(vagrantfile_setting BOX_BASE_URL)}
base_url=${base_url:-file://$out}
base_url=${base_url%/}
commit=$(git -C "$src" log -1 --format=%h 2>/dev/null || echo unknown)
version=${BOX_VERSION:-$(vagrantfile_setting BOX_VERSION)}
[[ "$version" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "BOX_VERSION must be numbers joined by dots (e.g. 2026.12.7), not '$version'."
disk_gb=${BOX_DISK_GB:-20}
[[ "$disk_gb" =~ ^[0-9]+$ ]] && [ "$disk_gb" -ge 8 ] || die "BOX_DISK_GB must be a whole number of GiB, at least 8 (got '$disk_gb')."
prefix=ebpflab-$release-$arch
catalogue=$out/metadata.json
[ "$release" = debian-13 ] || catalogue=$out/metadata-$release.json
venv=/opt/ebpflab/venv   # as in vagrant/Vagrantfile
start=$(date +%s)

efi=""   # the EFI system partition's UUID (arm64)
extra_tools=() extra_packages=()
if [ "$arch" = arm64 ]; then
  extra_tools=(mkfs.vfat:dosfstools mcopy:mtools)
  # fsck.vfat for the EFI partition at boot, as Debian's installer gives an EFI system
  extra_packages=(dosfstools)
fi
img_need_tools debootstrap:debootstrap qemu-img:qemu-utils sfdisk:fdisk mkfs.ext4:e2fsprogs \
  losetup:mount rsync:rsync python3:python3 "${extra_tools[@]}"
img_cache "${EBPFLAB_BOX_CACHE:-/var/cache/ebpflab/box}/$IMG_SUITE-$arch"
root=$IMG_ROOT work=$IMG_CACHE/work mnt=$IMG_CACHE/mnt
rootpart=$(root_partition)
loop=""
cleanup() {
  img_unmount_all "$root"
  img_unmount_all "$mnt"
  mountpoint -q "$mnt" && umount -l "$mnt"
  [ -z "$loop" ] || losetup -d "$loop" 2>/dev/null || true
  img_foreign_done
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM
img_foreign  # arm64 on this amd64 machine: the chroot's programs under qemu-user (binfmt_misc)

# --- the root filesystem (cached): as `make vm-test`, plus what a Vagrant box needs ------------
img_debootstrap
img_mount_chroot "$root"
# sshd and sudo for Vagrant, dbus for hostnamectl (config.vm.hostname), rsync for rsync synced
# folders, resolved and timesyncd for DNS and the clock, GRUB; cloud-init (disabled but for the
# cloud image).
img_packages openssh-server sudo dbus systemd-resolved systemd-timesyncd rsync less "$IMG_GRUB_PKG" cloud-init \
  "${extra_packages[@]}"
img_provision "$src" "$venv" 8888 nat
configure_root
img_unmount_all "$root"

# --- the disk: amd64 one partition, ext4, GRUB (BIOS); arm64 EFI + ext4, GRUB (UEFI) ----------
rm -rf "$work" && mkdir -p "$work" "$mnt" "$out"
raw=$work/disk.raw
say "making a ${disk_gb} GiB disk with GRUB from $root"
truncate -s "${disk_gb}G" "$raw"
partition_table | sfdisk -q "$raw" >/dev/null
img_attach "$raw"; loop=$IMG_LOOP
mkfs.ext4 -q -L ebpflab "${loop}$rootpart"
uuid=$(blkid -s UUID -o value "${loop}$rootpart")
mount "${loop}$rootpart" "$mnt"
copy_root
if [ "$arch" = arm64 ]; then
  # written with mtools, never mounted here (see install_grub_efi)
  mkfs.vfat -F 32 -n EFI "${loop}p1" >/dev/null
  efi=$(blkid -s UUID -o value "${loop}p1")
  mkdir -p "$mnt/boot/efi"
fi
fstab >"$mnt/etc/fstab"
install_grub
umount_disk

# --- the cloud image keeps a copy without the vagrant user ------------------------------------
cp --sparse=always "$raw" "$work/cloud.raw"

# --- the Vagrant boxes -------------------------------------------------------------------------
mount_disk "$raw"
add_vagrant_user
umount_disk
libvirt_box
write_catalogue
if [ "$arch" = amd64 ]; then
  virtualbox_box
  write_catalogue
else
  say "$(virtualbox_skip)"
fi

# --- the cloud image ---------------------------------------------------------------------------
mount_disk "$work/cloud.raw"
rm -f "$mnt/etc/cloud/cloud-init.disabled"
cat >"$mnt/etc/cloud/cloud.cfg.d/90-ebpflab.cfg" <<'EOF'
# ebpflab cloud image: a NoCloud seed (cidata ISO, as Lima makes) or a config drive; no waiting
# for metadata services that are not there. The network is systemd-networkd's DHCP on every NIC
# (/etc/systemd/network/80-ebpflab-dhcp.network), as in the Vagrant boxes.
datasource_list: [NoCloud, ConfigDrive, None]
network: {config: disabled}
EOF
# JupyterLab on the guest's loopback, which Lima forwards (vagrant/lima.yaml)
sed -i 's/^EBPFLAB_IP=.*/EBPFLAB_IP=127.0.0.1/' "$mnt/etc/default/ebpflab"
umount_disk
say "converting the cloud image to a compressed qcow2"
nice qemu-img convert -c -O qcow2 "$work/cloud.raw" "$out/$prefix-cloud.qcow2"
rm -f "$work/cloud.raw"

(cd "$out" && sha256sum ebpflab-*.box ebpflab-*.qcow2 >SHA256SUMS.tmp 2>/dev/null; mv SHA256SUMS.tmp SHA256SUMS)
rm -f "$raw"
say "done in $(( ($(date +%s) - start) / 60 )) min $(( ($(date +%s) - start) % 60 )) s: $out"
(cd "$out" && ls -l "$prefix"-* "${catalogue##*/}" SHA256SUMS | awk '{printf "box:   %6d MiB  %s\n", $5 / 1048576, $9}')
}

# Box-wide settings in the cached root (idempotent, rewritten on every build).
configure_root() {
  cat >"$root/etc/systemd/network/80-ebpflab-dhcp.network" <<'EOF'
# Whatever the NIC is called (virtio, e1000, the VM's naming scheme): DHCP.
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
EOF
  # resolved answers LLMNR and mDNS on every interface (0.0.0.0:5355) unless told not to: a lab
  # VM serves nothing but sshd beyond its loopback and NAT address.
  mkdir -p "$root/etc/systemd/resolved.conf.d"
  printf '[Resolve]\nLLMNR=no\nMulticastDNS=no\n' >"$root/etc/systemd/resolved.conf.d/ebpflab.conf"
  cat >"$root/etc/systemd/system/ebpflab-ssh-hostkeys.service" <<'EOF'
# The box ships without SSH host keys, so that two VMs made from it differ: made at first boot.
[Unit]
Description=SSH host keys for this VM (made at first boot)
Before=ssh.service ssh.socket
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
EOF
  # VirtualBox shared folders (/vagrant): Debian's kernel has both modules; udev loads vboxguest
  # only on VirtualBox's PCI device, and vboxsf on the first mount. Loaded at boot here, so the
  # shared folder works whatever Vagrant tries first (harmless without VirtualBox).
  # Debian's arm64 kernel has neither (and there is no VirtualBox box for arm64): a list of
  # missing modules would fail systemd-modules-load at every boot.
  if [ "$arch" = amd64 ]; then
    printf 'vboxguest\nvboxsf\n' >"$root/etc/modules-load.d/ebpflab-virtualbox.conf"
  else
    rm -f "$root/etc/modules-load.d/ebpflab-virtualbox.conf"
  fi
  # a serial console too: a headless QEMU check reads the boot there (ttyS0; arm64: ttyAMA0)
  mkdir -p "$root/etc/default/grub.d"
  grub_defaults >"$root/etc/default/grub.d/ebpflab.cfg"
  if [ "$arch" = arm64 ]; then
    # GRUB's own upgrades in the VM: keep the removable copy (what boots) up to date, and leave
    # the firmware's NVRAM alone (a VM's variables may not survive it anyway).
    printf '%s\n' "$IMG_GRUB_PKG grub2/force_efi_extra_removable boolean true" \
      "$IMG_GRUB_PKG grub2/update_nvram boolean false" | img_in_root debconf-set-selections
  fi
  # console=ttyS0 makes systemd start a getty there, but a VirtualBox VM (as Vagrant makes it) has
  # no serial port: the kernel still lists ttyS0 (type 0, no UART), agetty fails on it ("failed to
  # get terminal attributes") and systemd restarts it every 10 s for ever (measured under QEMU
  # with -serial none). Start it only on a real UART; an unmet ExecCondition is not restarted.
  mkdir -p "$root/etc/systemd/system/serial-getty@.service.d"
  serial_getty_dropin >"$root/etc/systemd/system/serial-getty@.service.d/ebpflab.conf"
  touch "$root/etc/cloud/cloud-init.disabled"
  img_in_root systemctl enable --quiet systemd-networkd systemd-resolved ssh ebpflab-ssh-hostkeys.service
}

# GRUB's settings: a short menu, the kernel's console on the screen and the architecture's serial
# port (the last console= is /dev/console).
grub_defaults() {
  printf 'GRUB_TIMEOUT=1\nGRUB_CMDLINE_LINUX="console=tty0 console=%s,115200n8"\n' "$IMG_CONSOLE"
}

# The root filesystem's partition: amd64 p1 (the only one), arm64 p2 (after the EFI partition).
root_partition() {
  if [ "$arch" = arm64 ]; then echo p2; else echo p1; fi
}

# The disk's partition table, as sfdisk reads it. amd64: MBR, one bootable Linux partition (GRUB
# for BIOS goes in the gap before it). arm64: GPT, a 256 MiB EFI system partition, the root.
partition_table() {
  if [ "$arch" = arm64 ]; then
    printf 'label: gpt\nstart=2048, size=256MiB, type=U, name=EFI\ntype=L, name=root\n'
  else
    echo 'start=2048, type=83, bootable'
  fi
}

# The disk's fstab: the root by UUID, and the EFI partition's (arm64) by its FAT volume id.
fstab() {
  printf 'UUID=%s / ext4 rw,discard,errors=remount-ro 0 1\n' "$uuid"
  [ -z "$efi" ] || printf 'UUID=%s /boot/efi vfat umask=0077 0 1\n' "$efi"
}

# Why there is no VirtualBox box for an architecture (one line).
virtualbox_skip() {
  echo "no VirtualBox box for $arch: no box.ovf exported by VirtualBox 7.1 for an ARM VM was found to compare ours with element by element, so none is written (Apple Silicon: Lima, or the libvirt box)"
}

# The serial getty's drop-in: no getty on a ttyS* without a UART behind it (sysfs type 0).
serial_getty_dropin() {
  printf '[Service]\nExecCondition=/usr/bin/grep -qvx 0 /sys/class/tty/%%I/type\n'
}

# The root's files onto the mounted disk, without what belongs to the build or to this machine.
copy_root() {
  local host_kver; host_kver=$(uname -r)
  local ex=(--exclude=/vagrant --exclude='/proc/*' --exclude='/sys/*' --exclude='/dev/*' --exclude='/run/*'
    --exclude='/tmp/*' --exclude='/var/tmp/*' --exclude='/var/cache/apt/*.bin' --exclude='/var/cache/apt/archives/*.deb'
    --exclude='/var/lib/apt/lists/*' --exclude=/root/.cache --exclude=/etc/ssl/host-ca.crt
    --exclude='/etc/ssh/ssh_host_*' --exclude='/var/log/*.log' --exclude='/var/log/apt/*')
  # setup.sh in the chroot linked headers for this machine's kernel (uname -r): not the guest's
  [ "$host_kver" = "$IMG_KVER" ] || ex+=(--exclude="/usr/lib/modules/$host_kver" --exclude="/lib/modules/$host_kver")
  rsync -aHAX --numeric-ids "${ex[@]}" "$root/" "$mnt/"
  mkdir -p "$mnt/var/lib/apt/lists/partial"
  # The venv's stamp is older than any checkout's pyproject.toml, so `make setup` in a new VM
  # would rebuild the venv (and download). The hash of the pyproject.toml it was made from lets
  # the provisioning refresh the stamp when the file is the same:
  #   sha256sum --status -c /opt/ebpflab/venv/.pyproject.sha256 && touch /opt/ebpflab/venv/.installed
  echo "$(sha256sum <"$root/vagrant/pyproject.toml" | cut -d' ' -f1)  /vagrant/pyproject.toml" >"$mnt$venv/.pyproject.sha256"
  # each VM makes its own at first boot (systemd), so two VMs from one box differ
  : >"$mnt/etc/machine-id"
  rm -f "$mnt/var/lib/dbus/machine-id"
}

install_grub() {
  say "installing GRUB ($IMG_GRUB_TARGET) on the disk"
  img_mount_chroot "$mnt"
  if [ "$arch" = arm64 ]; then
    install_grub_efi
  else
    img_in "$mnt" grub-install --target="$IMG_GRUB_TARGET" --modules="part_msdos ext2" "$loop" >"$IMG_CACHE/grub.log" 2>&1 \
      || die "grub-install failed: see $IMG_CACHE/grub.log"
  fi
  img_in "$mnt" update-grub >>"$IMG_CACHE/grub.log" 2>&1 || die "update-grub failed: see $IMG_CACHE/grub.log"
  # Without udev's /dev/disk/by-uuid in the chroot, grub-mkconfig names the loop device.
  sed -i "s|root=/dev/loop[0-9]*p[0-9]*|root=UUID=$uuid|g" "$mnt/boot/grub/grub.cfg"
  grep -q "root=UUID=$uuid" "$mnt/boot/grub/grub.cfg" || die "grub.cfg does not name the root by UUID: see $mnt/boot/grub/grub.cfg"
  img_unmount_all "$mnt"
  rm -rf "$mnt/etc/ssl/host-ca.crt" "${mnt:?}/run/"*
  [ -L "$mnt/etc/resolv.conf" ] || rm -f "$mnt/etc/resolv.conf"
}

# GRUB for UEFI, as `grub-install --target=arm64-efi --removable --no-nvram` installs it: the modules
# in /boot/grub/arm64-efi, a core image that finds the root by UUID and reads /boot/grub from it, on
# the EFI partition's removable path (EFI/BOOT/BOOTAA64.EFI, which the firmware of a new VM boots
# without an NVRAM entry). grub-install itself needs the EFI partition mounted, and refuses any
# directory that is not FAT; this machine's kernel may have no FAT driver (6.18 here has none), so
# the image is made with grub-mkimage in the chroot and copied onto the partition with mtools.
install_grub_efi() {
  grub_load_cfg >"$mnt/boot/grub-load.cfg"
  img_in "$mnt" sh -c 'set -e
    mkdir -p /boot/grub/arm64-efi /boot/grub/fonts
    cp /usr/lib/grub/arm64-efi/*.mod /usr/lib/grub/arm64-efi/*.lst /boot/grub/arm64-efi/
    cp /usr/share/grub/unicode.pf2 /boot/grub/fonts/
    mv /boot/grub-load.cfg /boot/grub/arm64-efi/load.cfg
    grub-mkimage -O arm64-efi -o /boot/grub/arm64-efi/core.efi -c /boot/grub/arm64-efi/load.cfg -p /boot/grub \
      part_gpt ext2 search_fs_uuid' >"$IMG_CACHE/grub.log" 2>&1 || die "grub-mkimage failed: see $IMG_CACHE/grub.log"
  if ! { mmd -i "${loop}p1" ::/EFI ::/EFI/BOOT &&
    mcopy -i "${loop}p1" "$mnt/boot/grub/arm64-efi/core.efi" "::/$(grub_efi_path)"; } >>"$IMG_CACHE/grub.log" 2>&1; then
    die "could not copy GRUB onto the EFI partition (mtools): see $IMG_CACHE/grub.log"
  fi
  mdir -b -i "${loop}p1" "::/$(grub_efi_path)" >/dev/null 2>&1 || die "no $(grub_efi_path) on the EFI partition."
}

# The removable path of an arm64 EFI loader, as the UEFI specification names it.
grub_efi_path() { echo EFI/BOOT/BOOTAA64.EFI; }

# The core image's embedded configuration (grub-install writes the same load.cfg): the root by its
# UUID, whatever the disk is called in the VM, and GRUB's files there.
grub_load_cfg() {
  echo "search.fs_uuid $uuid root"
  echo "set prefix=(\$root)'/boot/grub'"
}

mount_disk() {
  img_attach "$1"; loop=$IMG_LOOP
  mount "${loop}$rootpart" "$mnt"
}
umount_disk() {
  img_unmount_all "$mnt"
  umount "$mnt"
  losetup -d "$loop"
  loop=""
}

# The vagrant user as Vagrant expects it: passwordless sudo, the insecure keys (both kinds). No
# password (not the customary "vagrant"): Debian's sshd accepts passwords, and a VM on a bridged
# network would let anyone in; keys only.
add_vagrant_user() {
  useradd --root "$mnt" --create-home --shell /bin/bash vagrant
  install -d -m 0700 -o "$(id_in vagrant -u)" -g "$(id_in vagrant -g)" "$mnt/home/vagrant/.ssh"
  printf '%s\n%s\n' "$VAGRANT_KEY_ED25519" "$VAGRANT_KEY_RSA" >"$mnt/home/vagrant/.ssh/authorized_keys"
  chown "$(id_in vagrant -u):$(id_in vagrant -g)" "$mnt/home/vagrant/.ssh/authorized_keys"
  chmod 0600 "$mnt/home/vagrant/.ssh/authorized_keys"
  printf 'vagrant ALL=(ALL) NOPASSWD: ALL\nDefaults:vagrant !requiretty\n' >"$mnt/etc/sudoers.d/vagrant"
  chmod 0440 "$mnt/etc/sudoers.d/vagrant"
}
id_in() { awk -F: -v u="$1" -v f="$([ "$2" = -u ] && echo 3 || echo 4)" '$1 == u {print $f}' "$mnt/etc/passwd"; }

libvirt_box() {
  local d=$work/libvirt
  say "converting the disk to a compressed qcow2 for libvirt"
  mkdir -p "$d"
  nice qemu-img convert -c -O qcow2 "$raw" "$d/box.img"
  printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %s, "architecture": "%s"}\n' "$disk_gb" "$arch" >"$d/metadata.json"
  libvirt_vagrantfile >"$d/Vagrantfile"
  tar -cf "$out/$prefix-libvirt.box.tmp" -C "$d" metadata.json Vagrantfile box.img
  mv "$out/$prefix-libvirt.box.tmp" "$out/$prefix-libvirt.box"
  rm -rf "$d"
}

# The libvirt box's Vagrantfile. amd64: libvirt's defaults (a PC, BIOS). arm64: what
# vagrant-libvirt 0.11 needs for an aarch64 guest (its options: machine_type, machine_arch,
# loader, cpu_mode, features, inputs, graphics_type; lib/vagrant-libvirt/config.rb and
# templates/domain.xml.erb): its defaults describe a PC (features apic and pae, a PS/2 mouse, a
# Cirrus VGA), which QEMU's virt board does not have.
libvirt_vagrantfile() {
  if [ "$arch" != arm64 ]; then
    cat <<'EOF'
# ebpflab's libvirt box (scripts/box.sh). The driver is left to libvirt's default (KVM): a
# project's Vagrantfile sets libvirt.driver = "qemu" where KVM cannot run it.
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.disk_bus = "virtio"
    libvirt.nic_model_type = "virtio"
  end
end
EOF
    return
  fi
  cat <<'EOF'
# ebpflab's libvirt box for arm64 (scripts/box.sh): QEMU's virt board booted by EDK2 (UEFI), which
# starts GRUB from the disk's removable path (EFI/BOOT/BOOTAA64.EFI).
require "rbconfig"
# KVM runs an aarch64 guest only on an arm64 host. Elsewhere QEMU's TCG emulates it (slow), with its
# "max" CPU (host-passthrough needs KVM). A project's Vagrantfile that sets libvirt.driver overrides
# the driver chosen here.
KVM = RbConfig::CONFIG["host_cpu"].match?(/\A(aarch64|arm64)/) && File.exist?("/dev/kvm")
# The firmware as a ROM (QEMU's -bios), read-only: no NVRAM file per VM to make, keep or remove;
# nothing is stored in it (GRUB is on the removable path, with no NVRAM entry).
FIRMWARE = [
  "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd",   # Debian, Ubuntu: qemu-efi-aarch64
  "/usr/share/edk2/aarch64/QEMU_EFI.fd",       # Fedora: edk2-aarch64
  "/usr/share/AAVMF/AAVMF_CODE.fd",
].find { |path| File.file?(path) } || "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.machine_type = "virt"
    libvirt.machine_arch = "aarch64"
    libvirt.loader = FIRMWARE
    if KVM
      libvirt.cpu_mode = "host-passthrough"
    else
      libvirt.driver = "qemu"
      libvirt.cpu_mode = "custom"
      libvirt.cpu_model = "max"
    end
    # No ACPI: libvirt refuses it on aarch64 unless the firmware is a UEFI it knows as such (a pflash
    # with NVRAM), "ACPI requires UEFI on this architecture"; the kernel reads QEMU's device tree.
    # (vagrant-libvirt's default, acpi apic pae, describes a PC.)
    libvirt.features = []
    libvirt.inputs = []
    # headless: the serial console (ttyAMA0) is `virsh console`'s
    libvirt.graphics_type = "none"
    libvirt.disk_bus = "virtio"
    libvirt.nic_model_type = "virtio"
  end
end
EOF
}

virtualbox_box() {
  local d=$work/virtualbox
  say "converting the disk to a streamOptimized VMDK for VirtualBox"
  mkdir -p "$d"
  nice qemu-img convert -O vmdk -o subformat=streamOptimized "$raw" "$d/box-disk001.vmdk"
  write_ovf "$d/box.ovf" box-disk001.vmdk
  printf '{"provider": "virtualbox", "architecture": "%s"}\n' "$arch" >"$d/metadata.json"
  cat >"$d/Vagrantfile" <<EOF
# ebpflab's VirtualBox box (scripts/box.sh): the MAC address of box.ovf's NIC.
Vagrant.configure("2") do |config|
  config.vm.base_mac = "$VBOX_MAC"
end
EOF
  tar -cf "$out/$prefix-virtualbox.box.tmp" -C "$d" box.ovf box-disk001.vmdk metadata.json Vagrantfile
  mv "$out/$prefix-virtualbox.box.tmp" "$out/$prefix-virtualbox.box"
  rm -rf "$d"
}

# write_ovf FILE VMDK: the appliance description, as VirtualBox's own export (OVF 1.0, what
# `vagrant package` makes) writes it. Compared element by element with a box.ovf that VirtualBox
# 6 exported for a Vagrant box (settings 1.16, a SATA disk, an E1000 NIC on NAT):
# https://github.com/Shubh823/Wad-Practicle/blob/6f0539e0ac4c4e46fe496e1d487c9c12f1958c48/box.ovf
# (and arch-boxes' template, which also writes its box.ovf without VirtualBox:
# https://github.com/archlinux/arch-boxes/blob/cfa3f143f6b2ca112a52d7210323c66803a524d6/box.ovf).
# The same sections, items, InstanceIDs and namespaces; left out: what describes the exporting
# machine rather than the VM (its VRDE port, video capture, its host's audio driver, GUI
# properties). The disk is on the SATA (AHCI) controller; the IDE one stays for a DVD, as exported.
write_ovf() {
  local file=$1 vmdk=$2 name=$prefix capacity disk_uuid machine_uuid now
  capacity=$(( disk_gb * 1024 * 1024 * 1024 ))
  disk_uuid=$(cat /proc/sys/kernel/random/uuid) machine_uuid=$(cat /proc/sys/kernel/random/uuid)
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  cat >"$file" <<EOF
<?xml version="1.0"?>
<Envelope ovf:version="1.0" xml:lang="en-US" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References>
    <File ovf:id="file1" ovf:href="$vmdk"/>
  </References>
  <DiskSection>
    <Info>List of the virtual disks used in the package</Info>
    <Disk ovf:capacity="$capacity" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" vbox:uuid="$disk_uuid"/>
  </DiskSection>
  <NetworkSection>
    <Info>Logical networks used in the package</Info>
    <Network ovf:name="NAT">
      <Description>Logical network used by this appliance.</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="$name">
    <Info>A virtual machine</Info>
    <OperatingSystemSection ovf:id="96">
      <Info>The kind of installed guest operating system</Info>
      <Description>Debian_64</Description>
      <vbox:OSType ovf:required="false">Debian_64</vbox:OSType>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements for a virtual machine</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>$name</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>virtualbox-2.2</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:Caption>2 virtual CPU</rasd:Caption>
        <rasd:Description>Number of virtual CPUs</rasd:Description>
        <rasd:ElementName>2 virtual CPU</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits>
        <rasd:Caption>4096 MB of memory</rasd:Caption>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>4096 MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>4096</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Caption>ideController0</rasd:Caption>
        <rasd:Description>IDE Controller</rasd:Description>
        <rasd:ElementName>ideController0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>PIIX4</rasd:ResourceSubType>
        <rasd:ResourceType>5</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Address>1</rasd:Address>
        <rasd:Caption>ideController1</rasd:Caption>
        <rasd:Description>IDE Controller</rasd:Description>
        <rasd:ElementName>ideController1</rasd:ElementName>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:ResourceSubType>PIIX4</rasd:ResourceSubType>
        <rasd:ResourceType>5</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Caption>sataController0</rasd:Caption>
        <rasd:Description>SATA Controller</rasd:Description>
        <rasd:ElementName>sataController0</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>AHCI</rasd:ResourceSubType>
        <rasd:ResourceType>20</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:Caption>disk1</rasd:Caption>
        <rasd:Description>Disk Image</rasd:Description>
        <rasd:ElementName>disk1</rasd:ElementName>
        <rasd:HostResource>/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>6</rasd:InstanceID>
        <rasd:Parent>5</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Caption>Ethernet adapter on 'NAT'</rasd:Caption>
        <rasd:Connection>NAT</rasd:Connection>
        <rasd:ElementName>Ethernet adapter on 'NAT'</rasd:ElementName>
        <rasd:InstanceID>7</rasd:InstanceID>
        <rasd:ResourceSubType>E1000</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
    <vbox:Machine ovf:required="false" version="1.16-linux" uuid="{$machine_uuid}" name="$name" OSType="Debian_64" snapshotFolder="Snapshots" lastStateChange="$now">
      <ovf:Info>Complete VirtualBox machine configuration in VirtualBox format</ovf:Info>
      <Hardware>
        <CPU count="2">
          <PAE enabled="true"/>
          <LongMode enabled="true"/>
          <X2APIC enabled="true"/>
          <HardwareVirtExLargePages enabled="true"/>
        </CPU>
        <Memory RAMSize="4096"/>
        <Boot>
          <Order position="1" device="HardDisk"/>
          <Order position="2" device="DVD"/>
          <Order position="3" device="None"/>
          <Order position="4" device="None"/>
        </Boot>
        <Display controller="VMSVGA" VRAMSize="16"/>
        <BIOS>
          <IOAPIC enabled="true"/>
          <SmbiosUuidLittleEndian enabled="true"/>
        </BIOS>
        <Network>
          <Adapter slot="0" enabled="true" MACAddress="$VBOX_MAC" type="82540EM">
            <NAT/>
          </Adapter>
        </Network>
        <RTC localOrUTC="UTC"/>
        <Clipboard/>
      </Hardware>
      <StorageControllers>
        <StorageController name="IDE Controller" type="PIIX4" PortCount="2" useHostIOCache="true" Bootable="true"/>
        <StorageController name="SATA Controller" type="AHCI" PortCount="1" useHostIOCache="false" Bootable="true" IDE0MasterEmulationPort="0" IDE0SlaveEmulationPort="1" IDE1MasterEmulationPort="2" IDE1SlaveEmulationPort="3">
          <AttachedDevice type="HardDisk" hotpluggable="false" port="0" device="0">
            <Image uuid="{$disk_uuid}"/>
          </AttachedDevice>
        </StorageController>
      </StorageControllers>
    </vbox:Machine>
  </VirtualSystem>
</Envelope>
EOF
}

# Vagrant's catalogue format (what `vagrant box add URL/metadata.json` reads): every box of this
# release in build/box, each architecture's (Vagrant 2.4's multi-architecture fields; amd64 is the
# default), with sha256 checksums and URLs under BOX_BASE_URL.
write_catalogue() {
  python3 - "$out" "$release" "$version" "$base_url" "$commit" "$catalogue" <<'EOF'
import hashlib, json, pathlib, sys
out, release, version, base, commit, catalogue = sys.argv[1:]
providers = []
for box in sorted(pathlib.Path(out).glob(f"ebpflab-{release}-*-*.box")):
    arch, provider = box.stem[len(f"ebpflab-{release}-"):].split("-", 1)
    digest = hashlib.sha256()
    with box.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    providers.append({"name": provider, "url": f"{base}/{box.name}", "checksum_type": "sha256",
                      "checksum": digest.hexdigest(), "architecture": arch,
                      "default_architecture": arch == "amd64"})
doc = {"name": f"ebpflab/{release}",
       "description": f"ebpflab lab VM: Debian ({release}) with the kit provisioned, commit {commit}",
       "versions": [{"version": version, "providers": providers}]}
tmp = pathlib.Path(catalogue + ".tmp")
tmp.write_text(json.dumps(doc, indent=2) + "\n")
tmp.replace(catalogue)
EOF
}

# shellcheck source=scripts/image-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh"
# Sourced (tests/unit/test_box.py), it only defines its functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
