"""A lab killed with SIGKILL leaves namespaces behind; `ebpflab cleanup` removes them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ebpflab import cleanup
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
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert left <= namespaces(), "SIGKILL gives no chance to clean up: the namespaces must still be there"
    pin = cleanup.PIN_ROOT / str(child.pid)
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
    assert os.path.exists("/run/netns") or True
