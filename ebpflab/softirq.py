# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""What receiving costs the CPU: RPS steering and the NET_RX softirq's time per CPU (lab 07).

``set_rps`` steers a lab veth's receive processing to chosen CPUs; ``SoftirqMeter`` times the NET_RX
softirq on every CPU with two tracepoints while a block runs, so a drop's cost to the receiver is
measured apart from the sender's (lab 07's drop-early comparison, ``bench.drop``).
"""

from __future__ import annotations

import subprocess
from typing import Any

from .errors import LabError
from .loader import Program
from .messages import _


def set_rps(netns_name: str, iface: str, cpus: list[int]) -> None:
    """Steer receive processing of ``iface`` in namespace ``netns_name`` to ``cpus`` (its RPS mask)."""
    mask = sum(1 << c for c in cpus)
    # `ip netns exec` mounts the namespace's own /sys, where the veth's queues live.
    cmd = f"for q in /sys/class/net/{iface}/queues/rx-*; do echo {mask:x} > $q/rps_cpus; done"
    res = subprocess.run(["ip", "netns", "exec", netns_name, "sh", "-c", cmd], capture_output=True, text=True)
    if res.returncode != 0:
        raise LabError(
            _(
                "could not set RPS on {iface} in {netns}: {stderr}",
                iface=iface,
                netns=netns_name,
                stderr=res.stderr.strip(),
            )
        )


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

    def __enter__(self) -> SoftirqMeter:
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
