# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""A lab killed with SIGKILL leaves namespaces behind; `ebpflab cleanup` removes them."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ebpflab import LabError, cleanup, maps, system
from ebpflab.netlab import LabNet

CHILD = r"""
import sys, time
from ebpflab.netlab import LabNet
from ebpflab.loader import Program
net = LabNet().__enter__()
prog = Program("xdp_count").build()
attach = prog.xdp(net["server"]); attach.__enter__()
print(" ".join(net.namespaces), flush=True)
time.sleep(60)
"""


def namespaces() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def test_cleanup_removes_what_a_killed_lab_left_and_spares_live_labs():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        left = set(child.stdout.readline().split())
        assert left and left <= namespaces()
        tag = f"{child.pid}_{system.start_time(child.pid)}"  # system.owner_tag() as the child wrote it
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert left <= namespaces(), "SIGKILL gives no chance to clean up: the namespaces must still be there"
    pin = maps.PIN_ROOT / tag
    pin.mkdir(parents=True, exist_ok=True)
    with LabNet() as live:
        assert set(cleanup.leftovers()) >= left | {str(pin)}
        res = subprocess.run([str(Path(sys.executable).parent / "ebpflab"), "cleanup"], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        for ns in left:
            assert f"removed {ns}" in res.stdout
        assert not left & namespaces()
        assert not pin.exists()
        assert set(live.namespaces) <= namespaces(), "cleanup must leave a running lab alone"


def test_a_killed_program_xdp_is_detached_by_cleanup_and_no_one_elses():
    from ebpflab.loader import Program
    from ebpflab.xdp import XDP_MARKS, XdpMark, xdp_programs

    with LabNet() as net:
        ns = net["server"].netns
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"""
import time
from ebpflab.loader import Program
prog = Program("xdp_count").build()
attach = prog.xdp("eth0", netns={ns!r}); attach.__enter__()
print("attached", flush=True)
time.sleep(60)
""",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout.readline().strip() == "attached"
            tag = f"{child.pid}_{system.start_time(child.pid)}"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        marks = [m for m in cleanup.leftover_xdp_marks() if XdpMark.read(m).owner == tag]
        assert len(marks) == 1 and xdp_programs("eth0", ns)
        cleanup.detach_xdp_mark(marks[0])
        assert not xdp_programs("eth0", ns) and not marks[0].exists()

        # A mark whose program is not the one attached (killed before attaching; or someone attached since).
        with Program("xdp_pass") as prog, prog.xdp(net["server"]):
            stale = XDP_MARKS / f"{tag}-{ns}-eth0"
            stale.write_text(f"{tag} eth0 {ns} 4294967295\n")
            assert stale in cleanup.leftover_xdp_marks()
            cleanup.detach_xdp_mark(stale)
            assert [p["name"] for p in xdp_programs("eth0", ns)] == ["xdp_pass"] and not stale.exists()


REUSED = r"""
import time
from ebpflab import maps, system
from ebpflab.tcpdump.capture import Capture
from ebpflab.loader import Program
from ebpflab.netlab import LabNet
pid, start = system.owner_tag().split("_")
# What a killed lab looks like once the kernel has given its pid to a new process: same pid, other start time.
system.owner_tag = lambda: f"{pid}_{int(start) + 1}"
net = LabNet().__enter__()
prog = Program("xdp_count").build()
pin = maps.pinned(prog["counts"], "counts"); pin.__enter__()
cap = Capture("eth0", net["server"].netns); cap.__enter__()
print(" ".join(net.namespaces), maps.pin_dir(), flush=True)
time.sleep(60)
"""


def test_cleanup_is_not_fooled_by_a_reused_pid():
    child = subprocess.Popen([sys.executable, "-c", REUSED], stdout=subprocess.PIPE, text=True)
    try:
        *left, pin = child.stdout.readline().split()
        marks = [m for m in cleanup.XDP_MARKS.iterdir() if m.name.startswith(f"{child.pid}_")]
        assert left and set(left) <= namespaces() and Path(pin).is_dir() and marks
        assert child.poll() is None, "the process with that pid still runs"
        with LabNet() as live:
            res = subprocess.run(
                [str(Path(sys.executable).parent / "ebpflab"), "cleanup"], capture_output=True, text=True
            )
            assert res.returncode == 0, res.stderr
            assert not set(left) & namespaces(), (
                "a live pid with another start time must not protect a lab's namespaces"
            )
            assert not Path(pin).exists() and not any(m.exists() for m in marks)
            assert set(live.namespaces) <= namespaces(), "cleanup must leave a running lab alone"
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize(
    "hosts",
    [
        "client",
        ["a b", "c"],
        ["a/b", "c"],
        ["A", "b"],
        ["x" * 16, "b"],
        ["", "b"],
        [1, 2],
        ["-a", "b"],
        ["a", "b", "sw"],
    ],
)
def test_host_names_that_would_break_namespace_names_are_refused(hosts):
    with pytest.raises(LabError, match="host"):
        LabNet(hosts)
