# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The VM route (issue 9): what can be tested without nested virtualisation.

`vagrant up` cannot run here (no nested virtualisation, no VirtualBox), so this checks what can be:
Vagrant itself validates the Vagrantfile; the forwarded port is bound to the host's 127.0.0.1;
provisioning runs the Makefile's `setup` target (the steps CI runs on a fresh machine) and ends by
printing the URL with the token; and the VM's service command starts the real JupyterLab on the
address it is given, with the token required.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from httputil import free_port, http_status
from users import not_root
from waiting import wait_until

from ebpflab import REPO

VAGRANT_DIR = REPO / "vagrant"
VAGRANTFILE = VAGRANT_DIR / "Vagrantfile"
UNIT = VAGRANT_DIR / "ebpflab-jupyter.service"
WRAPPER = VAGRANT_DIR / "ebpflab-vm.sh"


def vagrant(*args: str, tmp: Path, **env: str) -> subprocess.CompletedProcess:
    """Run vagrant in vagrant/ with its state kept in ``tmp`` (nothing written to the repo)."""
    if shutil.which("vagrant") is None:
        pytest.skip("vagrant is not installed (`make test` installs Debian's package; Ubuntu 24.04 has none)")
    full = {k: v for k, v in os.environ.items() if not k.startswith("EBPFLAB_")}
    full.update(
        VAGRANT_HOME=str(tmp / "home"),
        VAGRANT_DOTFILE_PATH=str(tmp / "dot"),
        VAGRANT_CHECKPOINT_DISABLE="1",
        VAGRANT_NO_COLOR="1",
        **env,
    )
    return subprocess.run(["vagrant", *args], cwd=VAGRANT_DIR, env=full, capture_output=True, text=True, timeout=120)


# --- Vagrant's own validation --------------------------------------------------------------------
# Without --ignore-provider, `vagrant validate` asks the default provider whether it is usable, and
# no provider is usable on a machine without VirtualBox; the provider blocks are checked below.
def test_vagrant_validate(tmp_path):
    res = vagrant("validate", "--ignore-provider", tmp=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "validated successfully" in res.stdout


def test_vagrant_validate_with_another_port(tmp_path):
    res = vagrant("validate", "--ignore-provider", tmp=tmp_path, EBPFLAB_PORT="9999")
    assert res.returncode == 0, res.stdout + res.stderr


def test_bad_port_gives_one_sentence(tmp_path):
    res = vagrant("validate", "--ignore-provider", tmp=tmp_path, EBPFLAB_PORT="jupyter")
    assert res.returncode != 0
    assert "EBPFLAB_PORT must be a port number" in res.stderr
    assert "Traceback" not in res.stderr and ".rb:" not in res.stderr


# --- the box: its name, version and URL from the environment (issue 24) --------------------------
PINNED = re.search(r'^BOX_VERSION = "([0-9.]+)"$', VAGRANTFILE.read_text(), re.M).group(1)


def box_settings(tmp: Path, vagrantfile: Path = VAGRANTFILE, argv: tuple[str, ...] = (), **env: str) -> dict:
    """config.vm.box, box_version and box_url as Vagrant itself loads them (``argv``: the command it sees)."""
    if shutil.which("vagrant") is None:
        pytest.skip("vagrant is not installed (`make test` installs Debian's package; Ubuntu 24.04 has none)")
    script = (
        'require "vagrant"; require "json"; vm = Vagrant::Environment.new(cwd: ARGV.shift).vagrantfile.config.vm; '
        "puts JSON.generate({box: vm.box, version: vm.box_version, url: Array(vm.box_url).first})"
    )
    full = {k: v for k, v in os.environ.items() if not k.startswith("EBPFLAB_")}
    full.update(
        VAGRANT_HOME=str(tmp / "home"), VAGRANT_DOTFILE_PATH=str(tmp / "dot"), VAGRANT_CHECKPOINT_DISABLE="1", **env
    )
    res = subprocess.run(
        ["ruby", "-e", script, str(vagrantfile.parent), *argv], env=full, capture_output=True, text=True, timeout=120
    )
    if "cannot load such file -- vagrant" in res.stderr:
        pytest.skip("this vagrant is not a Ruby gem the system Ruby can load (HashiCorp's own package)")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_the_project_box_is_the_default_and_pinned(tmp_path):
    assert box_settings(tmp_path) == {"box": "ebpflab/debian-13", "version": PINNED, "url": None}
    assert box_settings(tmp_path, EBPFLAB_BOX="ebpflab/debian-12") == {
        "box": "ebpflab/debian-12",
        "version": PINNED,
        "url": None,
    }
    # The catalogue's box, for those who have it cached: no pin of ours, no URL of ours.
    assert box_settings(tmp_path, EBPFLAB_BOX="bento/debian-13") == {
        "box": "bento/debian-13",
        "version": None,
        "url": None,
    }


def test_box_url_from_the_environment(tmp_path):
    url = "http://192.0.2.10:8000/box/metadata.json"  # a LAN file server
    assert box_settings(tmp_path, EBPFLAB_BOX_URL=url)["url"] == url


def test_published_location_is_one_setting(tmp_path):
    text = VAGRANTFILE.read_text()
    assert len(re.findall(r'^BOX_BASE_URL = ""$', text, re.M)) == 1  # not published yet: a maintainer fills it in
    copy = tmp_path / "vagrant" / "Vagrantfile"
    copy.parent.mkdir()
    copy.write_text(text.replace('BOX_BASE_URL = ""', 'BOX_BASE_URL = "https://boxes.example/ebpflab/"'))
    assert box_settings(tmp_path, copy)["url"] == "https://boxes.example/ebpflab/metadata.json"
    assert (
        box_settings(tmp_path, copy, EBPFLAB_BOX="ebpflab/debian-12")["url"]
        == "https://boxes.example/ebpflab/metadata-debian-12.json"
    )
    assert box_settings(tmp_path, copy, EBPFLAB_BOX="bento/debian-13")["url"] is None


def test_a_copied_catalogue_takes_its_boxes_from_its_own_folder(tmp_path):
    # The instructor's USB stick: build/box copied anywhere; metadata.json still names where `make box` ran.
    stick = tmp_path / "media" / "USB STICK"
    stick.mkdir(parents=True)
    (stick / "ebpflab-debian-13-amd64-libvirt.box").write_bytes(b"box")
    (stick / "metadata.json").write_text(
        json.dumps(
            {
                "name": "ebpflab/debian-13",
                "versions": [
                    {
                        "version": PINNED,
                        "providers": [
                            {
                                "name": "libvirt",
                                "url": "file:///srv/ebpflab/build/box/ebpflab-debian-13-amd64-libvirt.box",
                            },
                            {
                                "name": "virtualbox",
                                "url": "https://boxes.example/ebpflab-debian-13-amd64-virtualbox.box",
                            },
                        ],
                    }
                ],
            }
        )
    )
    url = box_settings(tmp_path, EBPFLAB_BOX_URL=f"file://{stick}/metadata.json")["url"]
    copy = Path(urllib.parse.unquote(urllib.parse.urlparse(url).path))
    assert copy.parent == tmp_path / "dot"  # Vagrant's state folder, not the stick
    (libvirt, virtualbox) = json.loads(copy.read_text())["versions"][0]["providers"]
    assert urllib.parse.unquote(libvirt["url"]) == f"file://{stick}/ebpflab-debian-13-amd64-libvirt.box"
    assert virtualbox["url"] == "https://boxes.example/ebpflab-debian-13-amd64-virtualbox.box"  # not on the stick


@pytest.mark.parametrize(
    "env, sentence",
    [
        ({}, "the box ebpflab/debian-13 {v} is not on this computer: set EBPFLAB_BOX_URL to your instructor's copy"),
        (
            {"EBPFLAB_BOX_URL": "/no/such/metadata.json"},
            "EBPFLAB_BOX_URL names /no/such/metadata.json, which does not exist.",
        ),
        ({"EBPFLAB_WAIT": "forever"}, "EBPFLAB_WAIT must be a number of seconds between 10 and 3600"),
        ({"EBPFLAB_LIBVIRT_DRIVER": "tcg"}, "EBPFLAB_LIBVIRT_DRIVER must be kvm or qemu"),
    ],
    ids=["no-box", "no-file", "wait", "driver"],
)
def test_vagrant_up_without_the_box_says_where_it_comes_from(tmp_path, env, sentence):
    res = vagrant("up", tmp=tmp_path, **env)
    assert res.returncode != 0
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ebpflab: " + sentence.format(v=PINNED)), res.stderr
    assert "Traceback" not in res.stderr and ".rb:" not in res.stderr


# The box helper's own catalogue writer (scripts/box.sh, `make box`), run on tiny boxes.
BOX_SH = REPO / "scripts" / "box.sh"


def box_sh_function(name: str) -> str:
    """The text of one function of scripts/box.sh (the script runs its main when sourced)."""
    if not BOX_SH.is_file():
        pytest.skip("scripts/box.sh (`make box`) is not in this checkout")
    m = re.search(rf"^{name}\(\) {{\n.*?^}}\n", BOX_SH.read_text(), re.M | re.S)
    assert m, f"scripts/box.sh has no function {name}"
    return m.group(0)


def tiny_box(path: Path, provider: str) -> None:
    """A box `vagrant box add` accepts: metadata.json and an empty disk, in a tar."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "metadata.json").write_text(
            json.dumps({"provider": provider, "format": "qcow2", "virtual_size": 1})
        )
        (Path(tmp) / "box.img").write_bytes(b"")
        with tarfile.open(path, "w") as tar:
            for name in ("metadata.json", "box.img"):
                tar.add(Path(tmp) / name, arcname=name)


def write_catalogue(out: Path) -> dict:
    """metadata.json for the boxes in ``out``, written by box.sh's write_catalogue, read back."""
    script = (
        box_sh_function("write_catalogue")
        + f"out={out} release=debian-13 version={PINNED} base_url=file://{out} commit=test "
        f"catalogue={out}/metadata.json\nwrite_catalogue\n"
    )
    res = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return json.loads((out / "metadata.json").read_text())


def test_vagrant_box_add_from_a_file_catalogue(tmp_path):
    out = tmp_path / "box"
    out.mkdir()
    tiny_box(out / "ebpflab-debian-13-amd64-libvirt.box", "libvirt")
    write_catalogue(out)
    res = vagrant("box", "add", "--provider", "libvirt", f"file://{out}/metadata.json", tmp=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "checksum" in res.stdout  # Vagrant compared the catalogue's sha256 with the file
    listed = vagrant("box", "list", tmp=tmp_path).stdout
    assert f"ebpflab/debian-13 (libvirt, {PINNED})" in listed
    # With the box cached, `vagrant up` goes past the Vagrantfile's check (a real `up` would boot it).
    assert box_settings(tmp_path, argv=("up", "--provider=libvirt"))["box"] == "ebpflab/debian-13"


def test_vagrant_box_add_refuses_a_changed_box(tmp_path):
    out = tmp_path / "box"
    out.mkdir()
    box = out / "ebpflab-debian-13-amd64-libvirt.box"
    tiny_box(box, "libvirt")
    write_catalogue(out)
    with box.open("ab") as f:  # a byte more after the catalogue was written: a broken download
        f.write(b"\0")
    res = vagrant("box", "add", "--provider", "libvirt", f"file://{out}/metadata.json", tmp=tmp_path)
    assert res.returncode != 0 and "checksum" in (res.stdout + res.stderr).lower()
    assert "ebpflab/debian-13" not in vagrant("box", "list", tmp=tmp_path).stdout


def test_virtualbox_box_ovf_names_its_disk_nic_and_mac_consistently(tmp_path):
    if shutil.which("qemu-img") is None:
        pytest.skip("qemu-img (qemu-utils) is not installed: `make test` installs it")
    (tmp_path / "work").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    raw = tmp_path / "disk.raw"
    with raw.open("wb") as f:  # sparse: the conversion reads zeros only
        f.truncate(1 << 30)
    mac = re.search(r"^VBOX_MAC=(\w+)$", BOX_SH.read_text() if BOX_SH.is_file() else "", re.M)
    script = (
        "say() { :; }\n"
        + box_sh_function("write_ovf")
        + box_sh_function("virtualbox_box")
        + f"VBOX_MAC={mac.group(1) if mac else ''} work={tmp_path}/work out={out} raw={raw} prefix=ebpflab-test "
        "arch=amd64 disk_gb=1\nvirtualbox_box\n"
    )
    res = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(
        ["tar", "-xf", str(out / "ebpflab-test-virtualbox.box"), "-C", str(unpacked)], check=True, timeout=60
    )
    assert json.loads((unpacked / "metadata.json").read_text())["provider"] == "virtualbox"
    check_ovf(unpacked)


def check_ovf(box: Path) -> None:
    """box.ovf read back: its disk file, disk, controller, NIC and MAC agree with each other and the box."""
    ns = {
        "ovf": "http://schemas.dmtf.org/ovf/envelope/1",
        "vbox": "http://www.virtualbox.org/ovf/machine",
        "rasd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
    }
    ovf_attr = "{http://schemas.dmtf.org/ovf/envelope/1}"
    env = ET.parse(box / "box.ovf").getroot()
    (file,) = env.findall("ovf:References/ovf:File", ns)
    vmdk = box / file.get(ovf_attr + "href")
    assert vmdk.is_file(), f"box.ovf names {vmdk.name}, which the box lacks"
    (disk,) = env.findall("ovf:DiskSection/ovf:Disk", ns)
    assert disk.get(ovf_attr + "fileRef") == file.get(ovf_attr + "id")
    info = json.loads(
        subprocess.run(
            ["qemu-img", "info", "--output=json", str(vmdk)], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    )
    assert info["format"] == "vmdk" and int(disk.get(ovf_attr + "capacity")) == info["virtual-size"]
    items = {i.findtext("rasd:InstanceID", namespaces=ns): i for i in env.iter(f"{{{ns['ovf']}}}Item")}
    (disk_item,) = [i for i in items.values() if i.findtext("rasd:ResourceType", namespaces=ns) == "17"]
    assert disk_item.findtext("rasd:HostResource", namespaces=ns) == "/disk/" + disk.get(ovf_attr + "diskId")
    controller = items[disk_item.findtext("rasd:Parent", namespaces=ns)]
    assert controller.findtext("rasd:ResourceSubType", namespaces=ns) == "AHCI"
    (nic,) = [i for i in items.values() if i.findtext("rasd:ResourceType", namespaces=ns) == "10"]
    assert nic.findtext("rasd:Connection", namespaces=ns) == "NAT"
    machine = env.find(".//vbox:Machine", ns)
    (image,) = machine.iter(f"{{{ns['ovf']}}}Image")  # unprefixed: the envelope's default namespace
    assert image.get("uuid").strip("{}") == disk.get(f"{{{ns['vbox']}}}uuid")
    (adapter,) = machine.iter(f"{{{ns['ovf']}}}Adapter")
    base_mac = re.search(r'config\.vm\.base_mac = "(\w+)"', (box / "Vagrantfile").read_text())
    assert base_mac and adapter.get("MACAddress") == base_mac.group(1), "the box's base_mac is not the OVF NIC's MAC"
    assert re.fullmatch(r"[0-9A-F]{12}", base_mac.group(1))


# --- the Vagrantfile's promises ------------------------------------------------------------------
def code(text: str) -> str:
    """The Vagrantfile without its comments (Ruby's ``#{...}`` interpolation kept)."""
    return "\n".join(re.sub(r"(^|\s)#(\s.*|$)", "", line) for line in text.splitlines())


def test_forwarded_ports_bind_to_host_loopback():
    text = code(VAGRANTFILE.read_text())
    forwards = [line for line in text.splitlines() if "forwarded_port" in line]
    assert forwards, "the Vagrantfile forwards no port"
    for line in forwards:
        assert re.search(r'host_ip:\s*"127\.0\.0\.1"', line), f"forwarded port not bound to 127.0.0.1: {line.strip()}"
    assert 'ENV.fetch("EBPFLAB_PORT", "8888")' in text


def test_box_and_resources():
    text = code(VAGRANTFILE.read_text())
    assert 'BOX = ENV.fetch("EBPFLAB_BOX", "ebpflab/debian-13")' in text
    for provider in ("virtualbox", "libvirt", "vmware_desktop", "parallels"):
        assert f'config.vm.provider "{provider}"' in text
    assert text.count("cpus = 2") == 3 and 'vmx["numvcpus"] = "2"' in text
    assert text.count("memory = 4096") == 3 and 'vmx["memsize"] = "4096"' in text
    # libvirt: no NFS server on the host (vagrant-libvirt's default share), the driver settable
    assert re.search(r'override\.vm\.synced_folder "\.\.", "/vagrant", type: "rsync"', text)
    assert "lv.driver = LIBVIRT_DRIVER" in text


def provisioners(text: str) -> list[tuple[str, str, str]]:
    """(name, options, script) of each inline shell provisioner, in order."""
    return re.findall(r'config\.vm\.provision "(\w+)", ([^\n]*)<<~SHELL\n(.*?)\n\s*SHELL', text, re.S)


def test_provisioning_runs_make_setup_then_prints_the_url_with_token():
    steps = provisioners(VAGRANTFILE.read_text())
    names = [name for name, _, _ in steps]
    assert names == ["setup", "service", "url"]
    setup, service, url = (script for _, _, script in steps)
    # The same target as `make lab` (no second install script to drift).
    assert "make --no-print-directory -C /vagrant setup" in setup  # -C alone prints Entering/Leaving lines
    assert "apt-get" not in setup.replace(
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q make", ""
    )
    # The service restarts on every `vagrant up`, and the last step prints the URL with the token.
    assert all('run: "always"' in opts for name, opts, _ in steps if name in ("service", "url"))
    assert "ebpflab url" in url
    assert "systemctl enable" in service and "systemctl restart" in service
    # Every file the provisioners install from /vagrant is in the repository.
    for rel in re.findall(r"/vagrant/(\S+)", service):
        assert (REPO / rel).is_file(), f"the Vagrantfile installs /vagrant/{rel}, which the repository lacks"


def test_setup_target_is_what_ci_runs():
    # `make test` (CI) and `make lab` both depend on `setup`; the VM runs the same target.
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^lab: setup\b", makefile, re.M) and re.search(r"^test: setup\b", makefile, re.M)
    res = subprocess.run(
        ["make", "-n", "-C", str(REPO), "setup", "VENV=/opt/ebpflab/venv"], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert "scripts/setup.sh" in res.stdout
    assert "-m venv --system-site-packages /opt/ebpflab/venv" in res.stdout
    assert "/opt/ebpflab/venv/bin/python -m pip install" in res.stdout


def test_unit_runs_ebpflab_lab_and_survives_reboot():
    unit = UNIT.read_text()
    assert re.search(r"^ExecStart=/usr/local/bin/ebpflab lab$", unit, re.M)
    assert re.search(r"^Restart=always$", unit, re.M)  # even after File > Shut Down
    assert re.search(r"^WantedBy=multi-user.target$", unit, re.M)
    assert "/etc/default/ebpflab" in WRAPPER.read_text()
    if shutil.which("systemd-analyze"):
        res = subprocess.run(["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True, timeout=60)
        # The only complaint allowed: the wrapper is not installed on this machine.
        problems = [line for line in res.stderr.splitlines() if line.strip() and "/usr/local/bin/ebpflab" not in line]
        assert not problems, res.stderr


# --- the VM's `ebpflab` command (vagrant/ebpflab-vm.sh) for real ---------------------------------
def defaults(tmp: Path, venv: Path, port: int, ip: str) -> dict[str, str]:
    """An /etc/default/ebpflab in ``tmp`` and the environment that points the wrapper at it."""
    path = tmp / "defaults"
    path.write_text(f"EBPFLAB_VENV={venv}\nEBPFLAB_PORT={port}\nEBPFLAB_IP={ip}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBPFLAB_")}
    return {**env, "EBPFLAB_DEFAULTS": str(path), "EBPFLAB_STATE": str(tmp / "state")}


def fake_venv(tmp: Path) -> Path:
    """A venv whose ebpflab prints what it was asked and where it would listen."""
    venv = tmp / "venv"
    (venv / "bin").mkdir(parents=True)
    exe = venv / "bin" / "ebpflab"
    exe.write_text('#!/bin/sh\necho "ip=$EBPFLAB_IP port=$EBPFLAB_PORT args=$*"\n')
    exe.chmod(0o755)
    return venv


def test_wrapper_url_uses_the_port_from_defaults(tmp_path):
    venv = Path(sys.executable).parent.parent
    env = defaults(tmp_path, venv, 9876, "nat")
    res = subprocess.run([str(WRAPPER), "url"], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    token = (tmp_path / "state" / "jupyter-token").read_text().strip()
    assert res.stdout.strip() == f"http://127.0.0.1:9876/lab?token={token}"
    assert (tmp_path / "state" / "jupyter-token").stat().st_mode & 0o077 == 0


def test_wrapper_listens_on_the_default_route_address(tmp_path):
    route = subprocess.run(["ip", "-4", "-o", "route", "get", "192.0.2.1"], capture_output=True, text=True)
    m = re.search(r" src (\d+\.\d+\.\d+\.\d+)", route.stdout)
    if not m:
        pytest.skip("this machine has no IPv4 default route")
    env = defaults(tmp_path, fake_venv(tmp_path), 8888, "nat")
    res = subprocess.run([str(WRAPPER), "lab"], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"ip={m.group(1)} port=8888 args=lab"


def test_wrapper_without_a_route_asks_systemd_to_retry(tmp_path, net):
    # A lab namespace has no default route: the wrapper must not fall back to every interface.
    env = defaults(tmp_path, fake_venv(tmp_path), 8888, "nat")
    res = net.run("server", str(WRAPPER), "lab", env=env, check=False)
    assert res.returncode == 75
    assert "no IPv4 default route" in res.stderr and "ip=" not in res.stdout


def test_service_command_serves_jupyter_on_the_given_address_with_a_token(tmp_path):
    # 127.0.0.2 stands in for the guest's NAT address: JupyterLab must listen there only.
    ip = "127.0.0.2"
    port = free_port(ip)
    venv = Path(sys.executable).parent.parent
    env = defaults(tmp_path, venv, port, ip)
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")
    proc = subprocess.Popen(
        [str(WRAPPER), "lab"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        status = wait_until(
            lambda: http_status(f"http://{ip}:{port}/api/status") or proc.poll() is not None,
            60,
            "JupyterLab to answer or exit",
        )
        assert status is not True, f"JupyterLab did not start:\n{proc.stdout.read() if proc.poll() is not None else ''}"
        token = (tmp_path / "state" / "jupyter-token").read_text().strip()
        assert status == 403, "JupyterLab answered without the token"
        assert http_status(f"http://{ip}:{port}/api/status?token={token}") == 200
        with socket.socket() as s, pytest.raises(ConnectionRefusedError):
            s.connect(("127.0.0.1", port))
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        proc.stdout.close()


# --- vagrant/lima.yaml: the same setup for Lima users ------------------------------------------
def test_lima_template_reuses_the_same_setup_and_binds_loopback():
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed")
    lima = yaml.safe_load((VAGRANT_DIR / "lima.yaml").read_text())
    assert {img["arch"] for img in lima["images"]} == {"aarch64", "x86_64"}
    assert all("debian-13" in img["location"] for img in lima["images"])  # cloud.debian.org builds both
    assert lima["cpus"] == 2 and lima["memory"] == "4GiB"
    assert all(f["hostIP"] == "127.0.0.1" for f in lima["portForwards"])
    (mount,) = lima["mounts"]
    assert mount["writable"] and mount["mountPoint"] == "/ebpflab"
    (prov,) = lima["provision"]
    script = prov["script"]
    assert prov["mode"] == "system" and "make -C /ebpflab setup" in script
    assert "EBPFLAB_IP=127.0.0.1" in script  # Lima forwards the guest's loopback
    for rel in re.findall(r"/ebpflab/(vagrant/\S+)", script):
        assert (REPO / rel).is_file(), f"lima.yaml installs /ebpflab/{rel}, which the repository lacks"
    res = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr


# --- the docs a newcomer reads first -------------------------------------------------------------
LABS = [
    "00_setup",
    "01_history",
    "02_first_xdp",
    "03_maps",
    "04_parsing",
    "05_verifier",
    "06_tcpdump",
    "07_firewall",
    "08_hooks",
    "09_aiops",
    "10_runtime_security",
]


def test_readme_first_screen_and_lab_list():
    readme = (REPO / "README.md").read_text()
    first_screen = readme.split("\n---\n", 1)[0]
    for needed in (
        "make lab ",
        "make test ",
        "apt-get install make",
        "vagrant up",
        "vagrant up --provider=vmware_desktop",
        "vagrant up --provider=parallels",
        "lab 00",
    ):
        assert needed in first_screen, f"the README's first screen lacks {needed!r}"
    for lab in LABS:
        assert re.search(rf"^\| `{lab}` \| .+ \| \d+ min \|$", readme, re.M), f"the README's lab list lacks {lab}"
    # Every notebook that exists is in the list (names are the ones CONTRIBUTING.md fixes).
    for nb in sorted((REPO / "labs").glob("[0-9][0-9]_*.ipynb")):
        assert f"`{nb.stem}`" in readme, f"{nb.name} is missing from the README's lab list"
    for needed in ("ebpflab doctor", "ebpflab cleanup", "198.18.0.0/15", "CONTRIBUTING.md", "EBPFLAB_IP"):
        assert needed in readme


def test_instructors_guide():
    guide = (REPO / "labs" / "README.md").read_text()
    for needed in (
        "vagrant box add",
        "vagrant package",
        "jupyter-token",
        "ebpflab cleanup",
        "labs/solutions/",
        "bpf/verifier/",
        "make box",
        "EBPFLAB_BOX_URL=file://",
        "BOX_BASE_URL",
        "2026-12-31",
    ):
        assert needed in guide, f"labs/README.md lacks {needed!r}"
    assert 'ENV.fetch("EBPFLAB_BOX"' in VAGRANTFILE.read_text()


def test_url_without_root_is_one_sentence():
    # `vagrant ssh -c 'ebpflab url'` without sudo: the token is root's, and the answer is one line.
    uid, gid = not_root()
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import ebpflab"],
            capture_output=True,
            timeout=60,
            user=uid,
            group=gid,
            extra_groups=[],
            cwd="/",
        ).returncode
    except PermissionError:  # the venv's python itself is out of reach
        probe = 126
    if probe != 0:
        pytest.skip("no unprivileged user can read this checkout or its venv (e.g. under /root)")
    with tempfile.TemporaryDirectory() as tmp:  # pytest's tmp_path is not reachable by nobody
        tmp_path = Path(tmp)
        tmp_path.chmod(0o755)
        state = tmp_path / "state"
        state.mkdir()
        (state / "jupyter-token").write_text("secret\n")
        (state / "jupyter-token").chmod(0o600)
        env = defaults(tmp_path, Path(sys.executable).parent.parent, 8888, "nat")
        (tmp_path / "defaults").chmod(0o644)
        res = subprocess.run(
            [str(WRAPPER), "url"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            user=uid,
            group=gid,
            extra_groups=[],
            cwd="/",
        )
    assert res.returncode == 2
    assert (
        res.stderr.strip()
        == f"ebpflab: the JupyterLab token in {state / 'jupyter-token'} is readable by root only: run the command with sudo."
    )
    assert "secret" not in res.stdout + res.stderr
