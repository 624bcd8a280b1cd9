# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""SIGKILL a capture (`ebpflab tcpdump` in a subprocess) at many moments -- while it compiles its
filter, right after it attached, while traffic flows -- and `ebpflab cleanup` leaves nothing of it:
no XDP program (bpftool net, ip link), no mark under /run/ebpflab, no pin under /sys/fs/bpf, no
filter header in the temp dir; the lab network that is still running is left alone."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ebpflab import cleanup, maps, traffic
from ebpflab.tcpdump.filterfile import FILTER_PREFIX

EBPFLAB = str(Path(sys.executable).parent / "ebpflab")
SEED = 20261203
FILTER = "udp and port 9"  # compiled into the XDP program: clang reads a generated header


def xdp_programs(ns: str) -> list:
    out = subprocess.run(["ip", "netns", "exec", ns, "bpftool", "-j", "net"], capture_output=True, text=True).stdout
    return [x for entry in json.loads(out or "[]") for x in entry.get("xdp", [])]


def traces_of(pid: int) -> list[str]:
    tag = f"{pid}_"
    found = [str(m) for m in cleanup.XDP_MARKS.glob(f"{tag}*")] if cleanup.XDP_MARKS.is_dir() else []
    found += [str(p) for p in maps.PIN_ROOT.glob(f"{tag}*")] if maps.PIN_ROOT.is_dir() else []
    found += [str(h) for h in Path(tempfile.gettempdir()).glob(f"{FILTER_PREFIX}{tag}*")]
    return found


def start(ns: str) -> subprocess.Popen:
    return subprocess.Popen(
        [EBPFLAB, "tcpdump", "-i", "eth0", "--netns", ns, "--timeout", "60", FILTER],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_listening(p: subprocess.Popen) -> None:
    for line in p.stderr:
        if line.startswith("listening on"):
            return
    raise AssertionError("the capture did not start")


def test_cleanup_leaves_nothing_of_a_capture_killed_at_any_moment(net):
    ns = net["server"].netns
    rng = random.Random(SEED)
    t0 = time.monotonic()
    p = start(ns)
    wait_listening(p)
    to_listen = time.monotonic() - t0  # compile + load + attach, on this machine now
    p.kill()
    p.wait()
    # Moments: spread over compiling and attaching, right after "listening on", and while traffic flows.
    moments = [("starting", rng.uniform(0.05, 1.0) * to_listen) for _ in range(3)]
    moments += [("listening", 0.0), ("traffic", rng.uniform(0.05, 0.3))]
    tried = clean = left = 0
    left += _cleanup_and_check(ns, p.pid, traces_of(p.pid))
    for what, delay in moments:
        p = start(ns)
        if what == "starting":
            time.sleep(delay)
        else:
            wait_listening(p)
            if what == "traffic":
                with traffic.background(
                    net, "client", traffic.udp(net, "client", "server"), duration=delay + 1, rate=2000
                ):
                    time.sleep(delay)
                    p.kill()
        p.kill()
        p.wait()
        left += _cleanup_and_check(ns, p.pid, traces_of(p.pid))
        tried += 1
        clean += 1
    print(
        f"fault injection: {tried + 1} kills (start to listening {to_listen:.1f} s), {left} left traces, "
        f"{clean + 1} cleaned up completely"
    )
    assert set(net.namespaces) <= set(
        subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    )


def _cleanup_and_check(ns: str, pid: int, before: list[str]) -> int:
    """Run `ebpflab cleanup`; nothing of ``pid`` may remain. Returns 1 if it had left something."""
    had = bool(before) or bool(xdp_programs(ns))
    res = subprocess.run([EBPFLAB, "cleanup"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert xdp_programs(ns) == [], f"pid {pid}: an XDP program stayed attached ({before} were its traces)"
    assert traces_of(pid) == [], f"pid {pid}: cleanup left {traces_of(pid)}"
    assert "xdp" not in subprocess.run(["ip", "-n", ns, "link", "show", "eth0"], capture_output=True, text=True).stdout
    return int(had)
