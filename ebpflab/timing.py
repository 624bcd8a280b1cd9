"""What a program costs: run it in the kernel on a crafted packet and time it (lab 02, bench/).

``test_run()`` uses the kernel's ``BPF_PROG_TEST_RUN`` command: the kernel runs a loaded program
``repeat`` times on a copy of one packet, without any interface, and reports the mean time per run
in nanoseconds and the program's return value. BCC 0.26 has no wrapper for it, so the ``bpf()``
system call is made directly (``ebpflab.bpfsys``)::

    with Program("xdp_drop") as prog:         # or lab 11's CoreProgram: the same calls
        r = measure(prog, packet)             # r.retval == XDP_DROP, r.ns is ns per packet

The drop-cost helpers below (NET_RX softirq time per CPU, RPS steering, backlog drops) let
``bench/`` tell the receiver's CPU cost apart from the sender's on a veth flood.
"""
from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from typing import Any

from . import bpfsys
from .errors import LabError

XDP_ACTIONS = {0: "XDP_ABORTED", 1: "XDP_DROP", 2: "XDP_PASS", 3: "XDP_TX", 4: "XDP_REDIRECT"}
XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT = range(5)


@dataclass
class TestRun:
    """One BPF_PROG_TEST_RUN: mean ns per run, the program's return value, the packet it left."""

    ns: float
    retval: int
    repeat: int
    data_out: bytes = b""

    @property
    def action(self) -> str:
        """The return value as an XDP action name (XDP_DROP, XDP_PASS, …)."""
        return XDP_ACTIONS.get(self.retval, str(self.retval))


def _fd(program_or_fd: Any) -> int:
    """A program fd from an int, a ``Program`` or ``CoreProgram`` (``fd()``, its default function) or a BCC function."""
    if isinstance(program_or_fd, int):
        return program_or_fd
    fd = getattr(program_or_fd, "fd", None)
    if callable(fd):
        return int(fd())
    if isinstance(fd, int):  # a function BCC returned
        return fd
    raise LabError(f"test_run needs a loaded program (prog.load()) or its fd, not {type(program_or_fd).__name__}")


def measure(program_or_fd: Any, packet: bytes, repeat: int = 1) -> TestRun:
    """Run a loaded program ``repeat`` times on ``packet`` in the kernel; return time, retval, output."""
    packet = bytes(packet)  # scapy packets too
    if len(packet) < 14:
        raise LabError("the test packet must hold at least an Ethernet header (14 bytes)")
    if not 1 <= repeat <= 100_000_000:
        raise LabError("repeat must be between 1 and 100000000")
    try:
        ns, retval, data_out = bpfsys.prog_test_run(_fd(program_or_fd), packet, repeat)
    except OSError as exc:
        raise LabError(f"BPF_PROG_TEST_RUN failed: {exc.strerror} (is the program loaded, and of a type "
                       "the kernel can test-run, such as XDP?)") from None
    return TestRun(ns=float(ns), retval=retval, repeat=repeat, data_out=data_out)


def test_run(program_or_fd: Any, packet: bytes, repeat: int = 100_000) -> float:
    """Mean nanoseconds per run of a loaded program on ``packet``, measured by the kernel (BPF_PROG_TEST_RUN)."""
    return measure(program_or_fd, packet, repeat).ns


test_run.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name
TestRun.__test__ = False  # type: ignore[attr-defined]


def ns_per_packet(program_or_fd: Any, packet: bytes, repeat: int = 100_000, rounds: int = 5) -> float:
    """Median over ``rounds`` of ``test_run`` (the machine is shared, single runs are noisy)."""
    return statistics.median(test_run(program_or_fd, packet, repeat) for _ in range(rounds))


# --- drop-cost helpers: whose CPU pays for a flood ----------------------------------------------

def set_rps(netns_name: str, iface: str, cpus: list[int]) -> None:
    """Steer receive processing of ``iface`` in namespace ``netns_name`` to ``cpus`` (its RPS mask)."""
    import subprocess

    mask = sum(1 << c for c in cpus)
    # `ip netns exec` mounts the namespace's own /sys, where the veth's queues live.
    cmd = f"for q in /sys/class/net/{iface}/queues/rx-*; do echo {mask:x} > $q/rps_cpus; done"
    res = subprocess.run(["ip", "netns", "exec", netns_name, "sh", "-c", cmd], capture_output=True, text=True)
    if res.returncode != 0:
        raise LabError(f"could not set RPS on {iface} in {netns_name}: {res.stderr.strip()}")


NET_RX_SOFTIRQ = 3
_SOFTIRQ_METER = r"""
// Time spent in the NET_RX softirq on each CPU: where the kernel receives packets.
BPF_PERCPU_ARRAY(since, u64, 1);
BPF_PERCPU_ARRAY(total, u64, 1);
TRACEPOINT_PROBE(irq, softirq_entry) {
    int k = 0;
    u64 *s = since.lookup(&k);
    if (s && args->vec == VEC)
        *s = bpf_ktime_get_ns();
    return 0;
}
TRACEPOINT_PROBE(irq, softirq_exit) {
    int k = 0;
    u64 *s = since.lookup(&k), *t = total.lookup(&k);
    if (s && t && *s && args->vec == VEC) {
        *t += bpf_ktime_get_ns() - *s;
        *s = 0;
    }
    return 0;
}
"""


class SoftirqMeter:
    """Nanoseconds each CPU spends in the NET_RX softirq while the block runs (two tracepoints)."""

    def __init__(self, vec: int = NET_RX_SOFTIRQ) -> None:
        self.vec = vec
        self.prog: Any = None
        self._start: list[int] = []
        self.ns: list[int] = []

    def read(self) -> list[int]:
        """Per-CPU nanoseconds in the softirq since the meter was built."""
        return [int(v) for v in self.prog["total"].getvalue(0)]

    def __enter__(self) -> "SoftirqMeter":
        from .loader import Program

        self.prog = Program(_SOFTIRQ_METER, {"VEC": self.vec}).build()  # BCC attaches the tracepoints
        self._start = self.read()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self.prog is not None and self.prog.bpf is not None:
                self.ns = [b - a for a, b in zip(self._start, self.read())]
        finally:
            if self.prog is not None:
                self.prog.close()

    def lap(self) -> list[int]:
        """Per-CPU nanoseconds since the block (or the previous lap) began."""
        now = self.read()
        out = [b - a for a, b in zip(self._start, now)]
        self._start = now
        return out


def cpu_idle_seconds(cpu: int) -> float:
    """Seconds CPU ``cpu`` has been idle (idle + iowait) since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = line.split()
                return (int(v[4]) + int(v[5])) / os.sysconf("SC_CLK_TCK")
    raise LabError(f"no CPU {cpu} in /proc/stat")


def softnet_drops() -> list[int]:
    """Per-CPU packets dropped because the receive backlog was full (/proc/net/softnet_stat)."""
    with open("/proc/net/softnet_stat") as f:
        return [int(line.split()[1], 16) for line in f]
