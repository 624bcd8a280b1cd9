# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`make box` (issue 24): what can be checked without building an image.

A build takes minutes and root; here: bad input is one sentence and exit 2 before anything is
built, the VirtualBox appliance description is consistent (its disk, controller and MAC address,
which the box's Vagrantfile repeats), the catalogue lists each box with its checksum and URL, and
the serial getty starts only where a UART is (VirtualBox VMs have none).
The functions come from sourcing scripts/box.sh, which then runs nothing.
"""

from __future__ import annotations

import hashlib
import json
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
    providers = {p["name"]: p for p in version["providers"]}
    assert sorted(providers) == ["libvirt", "virtualbox"]
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
