# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`make box` (issues 24 and 25): what can be checked without building an image.

A build takes minutes and root; here: bad input is one sentence and exit 2 before anything is
built, the VirtualBox appliance description is consistent (its disk, controller and MAC address,
which the box's Vagrantfile repeats), the catalogue lists each box with its checksum and URL, and
the serial getty starts only where a UART is (VirtualBox VMs have none). For arm64 (issue 25): it
is built, on a GPT disk with an EFI system partition that GRUB boots from the removable path, with
the libvirt box's Vagrantfile describing QEMU's virt board, and no VirtualBox box.
The functions come from sourcing scripts/box.sh, which then runs nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ebpflab import REPO

SCRIPT = REPO / "scripts" / "box.sh"
NS = {
    "ovf": "http://schemas.dmtf.org/ovf/envelope/1",
    "rasd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
    "vbox": "http://www.virtualbox.org/ovf/machine",
}


def attr(ns: str, name: str) -> str:
    """An attribute's name in ElementTree's {namespace}name form."""
    return "{" + NS[ns] + "}" + name


def run_function(script: str, cwd: Path) -> str:
    """Run bash lines after sourcing box.sh; return their stdout."""
    res = subprocess.run(["bash", "-c", f'. "{SCRIPT}"; {script}'], capture_output=True, text=True, timeout=60, cwd=cwd)
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["debian-11"], "debian-12 or debian-13"),
        (["debian-13", "riscv64"], "amd64 or arm64"),
    ],
)
def test_bad_input_is_one_sentence(args, words):
    res = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and words in res.stderr
    assert res.stdout == ""


def test_arm64_is_built_not_refused():
    # An impossible disk size stops the build before anything is made (as root: the size is checked
    # first; as a user: being root is): either way the architecture was accepted.
    res = subprocess.run(
        [str(SCRIPT), "debian-13", "arm64"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"BOX_DISK_GB": "x", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
    )
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert "run as root" in res.stderr or "BOX_DISK_GB" in res.stderr, res.stderr


def target(arch: str) -> str:
    """Bash lines that set the architecture as box.sh's main does (img_target, root_partition)."""
    return f"arch={arch}; img_target debian-13 {arch}; rootpart=$(root_partition); "


@pytest.mark.skipif(shutil.which("sfdisk") is None, reason="sfdisk (util-linux) is not installed")
@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_the_disk_layout(tmp_path, arch):
    # The partition table sfdisk writes from box.sh's description, on a sparse file as the build's.
    out = run_function(
        target(arch) + "truncate -s 8G disk.raw; partition_table | sfdisk -q disk.raw >/dev/null; "
        "sfdisk --json disk.raw; echo; echo $rootpart",
        tmp_path,
    )
    table_json, rootpart = out.rsplit("\n", 2)[0], out.split()[-1]
    table = json.loads(table_json)["partitiontable"]
    parts = table["partitions"]
    if arch == "amd64":  # as it always was: MBR, one bootable Linux partition for GRUB's BIOS image
        assert table["label"] == "dos" and len(parts) == 1 and rootpart == "p1"
        assert parts[0]["type"] == "83" and parts[0]["bootable"] is True and parts[0]["start"] == 2048
    else:  # GPT: the EFI system partition (256 MiB), then the root
        assert table["label"] == "gpt" and len(parts) == 2 and rootpart == "p2"
        assert parts[0]["type"] == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
        assert parts[0]["size"] * 512 == 256 * 1024**2
        assert parts[1]["type"] == "0FC63DAF-8483-4772-8E79-3D69D8477DE4"


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_fstab_grub_and_console(tmp_path, arch):
    out = run_function(
        target(arch) + 'uuid=ROOT-UUID efi=""; [ "$arch" = amd64 ] || efi=ABCD-1234; fstab; grub_defaults',
        tmp_path,
    )
    lines = out.splitlines()
    assert lines[0] == "UUID=ROOT-UUID / ext4 rw,discard,errors=remount-ro 0 1"
    cmdline = next(line for line in lines if line.startswith("GRUB_CMDLINE_LINUX="))
    if arch == "amd64":
        assert len(lines) == 3 and "/boot/efi" not in out
        assert cmdline == 'GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"'
    else:
        assert lines[1] == "UUID=ABCD-1234 /boot/efi vfat umask=0077 0 1"
        # QEMU virt's PL011 UART, last: /dev/console
        assert cmdline == 'GRUB_CMDLINE_LINUX="console=tty0 console=ttyAMA0,115200n8"'


def test_grub_for_uefi_boots_from_the_removable_path_and_finds_the_root_by_uuid(tmp_path):
    out = run_function("uuid=0f1e2d3c-aaaa-bbbb-cccc-112233445566; grub_efi_path; grub_load_cfg", tmp_path)
    path, *load_cfg = out.splitlines()
    # what the firmware of a new VM boots without an NVRAM entry (UEFI's removable path for AArch64)
    assert path == "EFI/BOOT/BOOTAA64.EFI"
    # the core image's configuration, as grub-install writes it: the root by UUID, GRUB's files there
    assert load_cfg == [
        "search.fs_uuid 0f1e2d3c-aaaa-bbbb-cccc-112233445566 root",
        "set prefix=($root)'/boot/grub'",
    ]


RUBY_STUB = """
require "json"
class Settings
  attr_reader :values
  def initialize; @values = {}; end
  def method_missing(name, *args)
    name.to_s.end_with?("=") ? @values[name.to_s.chomp("=")] = args.first : super
  end
  def respond_to_missing?(*) = true
end
class VM
  attr_reader :providers
  def initialize; @providers = {}; end
  def provider(name) = yield(@providers[name.to_s] ||= Settings.new)
end
class Config
  attr_reader :vm
  def initialize; @vm = VM.new; end
end
module Vagrant
  def self.configure(_version)
    config = Config.new
    yield config
    $config = config
  end
end
# the host, as the test says it is: its CPU, and whether it has /dev/kvm
require "rbconfig"
RbConfig::CONFIG["host_cpu"] = ENV.fetch("STUB_HOST_CPU", RbConfig::CONFIG["host_cpu"])
if ENV.key?("STUB_KVM")
  class << File
    alias_method :real_exist?, :exist?
    def exist?(path) = path == "/dev/kvm" ? ENV["STUB_KVM"] == "1" : real_exist?(path)
  end
end
load ARGV[0]
puts JSON.generate($config.vm.providers.transform_values(&:values))
"""


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby (which Vagrant runs on) is not installed")
@pytest.mark.parametrize(
    "arch, host_cpu, kvm",
    [("amd64", "x86_64", "1"), ("arm64", "aarch64", "1"), ("arm64", "x86_64", "1"), ("arm64", "aarch64", "0")],
)
def test_the_libvirt_box_describes_the_machine(tmp_path, arch, host_cpu, kvm):
    # The box's Vagrantfile as Vagrant loads it (Ruby), with a stand-in for Vagrant.configure, on a
    # host with this CPU, with or without /dev/kvm.
    (tmp_path / "Vagrantfile").write_text(run_function(target(arch) + "libvirt_vagrantfile", tmp_path))
    (tmp_path / "stub.rb").write_text(RUBY_STUB)
    res = subprocess.run(
        ["ruby", "stub.rb", "Vagrantfile"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "STUB_HOST_CPU": host_cpu, "STUB_KVM": kvm},
    )
    assert res.returncode == 0, res.stderr
    libvirt = json.loads(res.stdout)["libvirt"]
    assert libvirt["disk_bus"] == "virtio" and libvirt["nic_model_type"] == "virtio"
    if arch == "amd64":  # libvirt's defaults: a PC with BIOS
        assert sorted(libvirt) == ["disk_bus", "nic_model_type"]
        return
    # vagrant-libvirt 0.11's defaults describe a PC; QEMU's virt board booted by EDK2 instead
    assert libvirt["machine_type"] == "virt" and libvirt["machine_arch"] == "aarch64"
    assert libvirt["loader"].endswith(".fd") and "nvram" not in libvirt
    if host_cpu == "aarch64" and kvm == "1":  # KVM: the host's CPU
        assert libvirt["cpu_mode"] == "host-passthrough" and "driver" not in libvirt
    else:  # TCG: QEMU's max CPU (host-passthrough needs KVM)
        assert libvirt["driver"] == "qemu"
        assert libvirt["cpu_mode"] == "custom" and libvirt["cpu_model"] == "max"
    # no ACPI (libvirt refuses it on aarch64 with a ROM firmware), and not x86's apic or pae
    assert libvirt["features"] == []
    assert libvirt["inputs"] == []  # no PS/2 mouse on virt
    assert libvirt["graphics_type"] == "none"  # no Cirrus VGA either


def test_no_virtualbox_box_for_arm64_and_one_line_why(tmp_path):
    line = run_function("arch=arm64; virtualbox_skip", tmp_path)
    assert line.count("\n") == 1 and "arm64" in line and "Lima" in line and "libvirt" in line
    text = SCRIPT.read_text()
    # only amd64 gets the VirtualBox box
    assert 'if [ "$arch" = amd64 ]; then\n  virtualbox_box' in text


def test_the_ovf_describes_one_sata_disk_and_the_boxs_mac(tmp_path):
    out = run_function(
        'prefix=ebpflab-debian-13-amd64 disk_gb=20; write_ovf box.ovf box-disk001.vmdk; echo "$VBOX_MAC"', tmp_path
    )
    mac = out.strip()
    root = ET.parse(tmp_path / "box.ovf").getroot()
    disk = root.find("ovf:DiskSection/ovf:Disk", NS)
    assert disk.get(attr("ovf", "capacity")) == str(20 * 1024**3)
    ref = root.find("ovf:References/ovf:File", NS)
    assert ref.get(attr("ovf", "href")) == "box-disk001.vmdk"
    assert disk.get(attr("ovf", "fileRef")) == ref.get(attr("ovf", "id"))
    items = {
        i.findtext("rasd:InstanceID", namespaces=NS): i
        for i in root.iterfind("ovf:VirtualSystem/ovf:VirtualHardwareSection/ovf:Item", NS)
    }
    [hd] = [i for i in items.values() if i.findtext("rasd:ResourceType", namespaces=NS) == "17"]
    assert hd.findtext("rasd:HostResource", namespaces=NS) == "/disk/" + disk.get(attr("ovf", "diskId"))
    parent = items[hd.findtext("rasd:Parent", namespaces=NS)]
    assert parent.findtext("rasd:ResourceSubType", namespaces=NS) == "AHCI"
    # (inside vbox:Machine, VirtualBox's own elements are in the default, OVF namespace)
    machine = root.find("ovf:VirtualSystem/vbox:Machine", NS)
    image = machine.find(".//ovf:StorageController[@type='AHCI']/ovf:AttachedDevice/ovf:Image", NS)
    assert image.get("uuid") == "{" + disk.get(attr("vbox", "uuid")) + "}"
    [adapter] = machine.iterfind(".//ovf:Network/ovf:Adapter", NS)
    assert adapter.get("MACAddress") == mac and adapter.get("type") == "82540EM"
    assert 'config.vm.base_mac = "$VBOX_MAC"' in SCRIPT.read_text()


def test_the_catalogue_lists_each_box_with_its_checksum(tmp_path):
    for name, body in [
        ("ebpflab-debian-13-amd64-libvirt.box", b"L"),
        ("ebpflab-debian-13-amd64-virtualbox.box", b"V"),
        ("ebpflab-debian-12-amd64-libvirt.box", b"other release"),
        ("ebpflab-debian-13-arm64-libvirt.box", b"A"),
    ]:
        (tmp_path / name).write_bytes(body)
    run_function(
        f"out={tmp_path} release=debian-13 version=2026.12.7.130 base_url=https://example.org/boxes "
        f"commit=abc1234 catalogue={tmp_path}/metadata.json; write_catalogue",
        tmp_path,
    )
    doc = json.loads((tmp_path / "metadata.json").read_text())
    assert doc["name"] == "ebpflab/debian-13"
    [version] = doc["versions"]
    assert version["version"] == "2026.12.7.130"
    providers = {p["name"]: p for p in version["providers"] if p["architecture"] == "amd64"}
    assert sorted(providers) == ["libvirt", "virtualbox"]
    # arm64: its libvirt box, not the default architecture (Vagrant 2.4 picks the host's)
    [arm64] = [p for p in version["providers"] if p["architecture"] == "arm64"]
    assert arm64["name"] == "libvirt" and arm64["default_architecture"] is False
    assert arm64["url"] == "https://example.org/boxes/ebpflab-debian-13-arm64-libvirt.box"
    assert arm64["checksum"] == hashlib.sha256(b"A").hexdigest()
    for provider, body in [("libvirt", b"L"), ("virtualbox", b"V")]:
        p = providers[provider]
        assert p["url"] == f"https://example.org/boxes/ebpflab-debian-13-amd64-{provider}.box"
        assert p["checksum_type"] == "sha256" and p["checksum"] == hashlib.sha256(body).hexdigest()
        assert p["architecture"] == "amd64" and p["default_architecture"] is True


@pytest.mark.parametrize("uart_type, starts", [("4", True), ("0", False)])
def test_the_serial_getty_starts_only_on_a_real_uart(tmp_path, uart_type, starts):
    # VirtualBox VMs have no serial port: ttyS0 is then of type 0, and a getty there would fail
    # and restart for ever. The drop-in's condition, run on a stand-in for the sysfs file.
    dropin = run_function("serial_getty_dropin", tmp_path)
    [condition] = [line.split("=", 1)[1] for line in dropin.splitlines() if line.startswith("ExecCondition=")]
    (tmp_path / "type").write_text(uart_type + "\n")
    argv = condition.replace("/sys/class/tty/%I/type", str(tmp_path / "type")).split()
    assert (subprocess.run(argv, timeout=30).returncode == 0) is starts
