# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 06's capture on the CO-RE program ``bpf/xdp_capture.bpf.c``, loaded by libbpf (lab 11).

``ebpflab tcpdump --engine core`` uses it: the same interface as ``capture.Capture`` (``poll``,
``stats``, ``filter``), without BCC and without kernel headers. The CO-RE program has no
in-kernel filter: an expression is applied in user space by libpcap, and says so.
"""

from __future__ import annotations

import struct
import threading
import time
from contextlib import ExitStack
from typing import Any

from ..errors import LabError
from ..libbpf import CoreProgram
from ..messages import _
from ..netlab import link_info
from ..system import require_root
from . import capfilter
from .capture import mono_to_wall_ns
from .pcap import DEFAULT_SNAPLEN, RECORD, Packet

HEADER = struct.Struct("<QIIII")  # struct cap_rec in bpf/xdp_capture.bpf.c, before data[]

RING_KIB = 4096  # the ring size compiled into xdp_capture.bpf.c
CAP_BYTES = 1536  # the record's data size compiled into xdp_capture.bpf.c


class CoreCapture:
    """Capture packets arriving on ``iface`` with the CO-RE program; a context manager (lab 11)."""

    def __init__(
        self,
        iface: str = "eth0",
        netns: str | None = None,
        expr: str = "",
        *,
        snaplen: int = DEFAULT_SNAPLEN,
        ring_kib: int = RING_KIB,
        mode: str = "generic",
    ) -> None:
        if ring_kib != RING_KIB:
            raise LabError(
                _(
                    "the CO-RE capture's ring buffer is {kib} KiB, fixed in bpf/xdp_capture.bpf.c; "
                    "-B sizes the BCC engine's ring",
                    kib=RING_KIB,
                )
            )
        self.iface, self.netns, self.mode = iface, netns, mode
        self.snaplen = snaplen if snaplen > 0 else DEFAULT_SNAPLEN
        self.filter = capfilter.compile_filter(expr, self.snaplen)
        if not self.filter.empty:
            self.filter.where, self.filter.reason = "user", "the CO-RE capture has no in-kernel filter"
        self.prog: CoreProgram | None = None
        self.mono_offset = 0
        self.filtered_user = 0
        self._pending: list[Packet] = []
        self._lock = threading.Lock()
        self._stack: ExitStack | None = None

    def __enter__(self) -> CoreCapture:
        require_root(_("capturing packets with XDP"))
        info = link_info(self.iface, self.netns)  # an unknown interface is one sentence
        cap_bytes = min(self.snaplen, int(info.get("mtu", 1500)) + 14 + 8, CAP_BYTES)
        stack = ExitStack()
        try:
            self.prog = stack.enter_context(CoreProgram("xdp_capture", knobs={"snaplen": cap_bytes}))
            stack.enter_context(self.prog.xdp(self.iface, netns=self.netns, mode=self.mode))
            stack.enter_context(self.prog.ring_buffer("events", self._on_record))
            self.mono_offset = mono_to_wall_ns()
        except BaseException:
            stack.close()
            self.prog = None
            raise
        self._stack = stack
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading, detach and destroy (safe to call twice)."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()

    def _on_record(self, raw: bytes) -> None:
        ts, wire, caplen, ifindex, _ = HEADER.unpack_from(raw)
        pkt = Packet(ts + self.mono_offset, wire, raw[HEADER.size : HEADER.size + caplen], ifindex)
        if self.filter.where == "user" and not self.filter.matches(pkt.data, pkt.len):
            self.filtered_user += 1
            return
        with self._lock:
            self._pending.append(pkt)

    def poll(self, timeout: float = 0.1) -> list[Packet]:
        """Wait up to ``timeout`` seconds for records; return every packet read so far."""
        if self.prog is None:
            raise LabError(_("the capture is not running: use `with CoreCapture(...) as cap:`"))
        deadline = time.monotonic() + max(0.0, timeout)
        while not self._pending and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._lock:
            out, self._pending = self._pending, []
        return out

    def poll_records(self, timeout: float = 0.1) -> tuple[bytes, int]:
        """Like ``Capture.poll_records``: the packets read so far as pcap records, and how many."""
        pkts = self.poll(timeout)
        return b"".join(
            RECORD.pack(*divmod(p.ts_ns // 1000, 1_000_000), len(p.data), p.len) + p.data for p in pkts
        ), len(pkts)

    def stats(self) -> dict[str, int]:
        """The program's counters, plus packets the user-space filter dropped."""
        seen, captured, dropped = self.prog["stats"].values() if self.prog else (0, 0, 0)
        return {"seen": seen, "captured": captured, "dropped": dropped, "filtered": self.filtered_user}
