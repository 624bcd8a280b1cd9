# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Monitor: per-source counters kept by XDP in the kernel, read as per-second rates (lab 09).

``bpf/xdp_monitor.c`` counts packets, bytes, SYNs and drops per IPv4 source; ``SrcStats`` is its
``struct src_stats`` and ``source_counters()`` decodes the map, for ``Monitor`` here and for
``ebpflab export`` alike. ``Monitor.sample()`` turns the counters into rates, one sample per interval.
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass
from typing import Any

from . import maps
from .loader import Program


def monitor_program(defines: dict[str, Any] | None = None) -> Program:
    """``bpf/xdp_monitor.c``, which includes the firewall of lab 07 (the loader pastes it in)."""
    return Program("xdp_monitor", defines)


class SrcStats(ctypes.Structure):
    """``struct src_stats`` of bpf/xdp_monitor.c."""

    _fields_ = [
        ("packets", ctypes.c_uint64),
        ("bytes", ctypes.c_uint64),
        ("syns", ctypes.c_uint64),
        ("dropped", ctypes.c_uint64),
    ]


def source_counters(items: Any) -> dict[str, dict[str, int]]:
    """Per-source counters of ``xdp_monitor``'s ``sources`` map, keyed by dotted address."""
    return {
        maps.ipv4_of(k): {"packets": v.packets, "bytes": v.bytes, "syns": v.syns, "dropped": v.dropped}
        for k, v in items
    }


@dataclass
class Sample:
    """One interval's per-source rates (per second): packets, SYNs, and packets dropped in XDP."""

    t: float
    pps: dict[str, float]
    syns: dict[str, float]
    dropped: dict[str, float]
    since: float = 0.0  # when the interval began (the previous sample's t)

    def passed(self, src: str) -> float:
        """Packets per second of ``src`` that went through the firewall."""
        return self.pps.get(src, 0.0) - self.dropped.get(src, 0.0)


class Monitor:
    """Reads the per-source counters of a loaded ``xdp_monitor`` and turns them into rates (lab 09)."""

    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.prog["sources"].clear()
        self._last: dict[str, tuple[int, int, int]] = {}
        self._last_t: float | None = None
        self.start = time.monotonic()

    def totals(self) -> dict[str, dict[str, int]]:
        """Cumulative counters per source address: packets, bytes, syns, dropped."""
        return source_counters(self.prog["sources"].items())

    def sample(self) -> Sample:
        """Rates since the previous call (the first call only sets the starting point)."""
        now = time.monotonic()
        cur = {s: (c["packets"], c["syns"], c["dropped"]) for s, c in self.totals().items()}
        dt = max(now - self._last_t, 1e-6) if self._last_t is not None else None
        rates: list[dict[str, float]] = [{}, {}, {}]
        for src, vals in cur.items():
            before = self._last.get(src, (0, 0, 0))
            for i in range(3):
                rates[i][src] = (vals[i] - before[i]) / dt if dt else 0.0
        since = (self._last_t if self._last_t is not None else now) - self.start
        self._last, self._last_t = cur, now
        return Sample(now - self.start, rates[0], rates[1], rates[2], since=since)
