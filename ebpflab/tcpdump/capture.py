# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Packet capture on XDP with a BPF ring buffer (lab 06).

``bpf/xdp_capture.c`` copies each packet's first bytes into a ring buffer as a pcap record sized to
the packet; ``Capture`` attaches it to an interface (in a lab namespace, or in this one) with
``Program.xdp``, drains the ring a batch per wake-up (``ebpflab.tcpdump.ringbuf``) and always detaches,
even on Ctrl-C. ``poll_records()`` hands over a batch ready to append to a pcap file, ``poll()``
the same batch as ``Packet`` records. Files are ``ebpflab.tcpdump.pcap``'s job, tcpdump's text
``ebpflab.tcpdump.print.text``'s.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from .. import system
from ..errors import CompileError, LabError, VerifierError
from ..loader import Program
from ..messages import _
from ..netlab import link_info
from ..system import require_root
from . import capfilter
from .filterfile import FILTER_PREFIX
from .pcap import DEFAULT_SNAPLEN, RECORD, Packet, packets, records
from .ringbuf import RingReader

MAX_RING_KIB = 262144  # -B: 256 MiB of ring buffer is far more than any lab needs
STATS = ("seen", "captured", "dropped", "filtered")
PROTOCOL_SLOTS = (
    "ARP",
    "TCP",
    "UDP",
    "ICMP",
    "ICMPv6",
    "IPv4 other",
    "IPv6 other",
    "other",
    "malformed",
)  # xdp_capture.c


def mono_to_wall_ns() -> int:
    """Offset from CLOCK_MONOTONIC (bpf_ktime_get_ns) to wall-clock time, in nanoseconds."""
    a = time.time_ns()
    m = time.monotonic_ns()
    b = time.time_ns()
    return (a + b) // 2 - m


class Capture:
    """Capture packets arriving on ``iface`` with XDP and a ring buffer; a context manager (lab 06).

    The kernel wakes the reader when a quarter of the ring is waiting or ``wake_ms`` after the last
    wake-up: a longer wait means bigger batches and less CPU per packet, a shorter one fresher lines.
    ``poll()`` returns the packets that arrived since the last call; ``stats()`` the counters
    (seen, captured, dropped because the ring was full, filtered out in the kernel). A filter
    expression is compiled into the program when it can be, otherwise applied in user space.
    """

    def __init__(
        self,
        iface: str = "eth0",
        netns: str | None = None,
        expr: str = "",
        *,
        snaplen: int = DEFAULT_SNAPLEN,
        ring_kib: int = 4096,
        mode: str = "generic",
        wake_ms: float = 10.0,
    ) -> None:
        self.iface, self.netns, self.mode = iface, netns, mode
        if isinstance(snaplen, bool) or not isinstance(snaplen, int) or not 0 <= snaplen <= DEFAULT_SNAPLEN:
            raise LabError(
                _(
                    "snaplen must be an integer from 0 (whole packets) to {largest}, not {snaplen!r}",
                    largest=DEFAULT_SNAPLEN,
                    snaplen=snaplen,
                )
            )
        if isinstance(ring_kib, bool) or not isinstance(ring_kib, int) or not 4 <= ring_kib <= MAX_RING_KIB:
            raise LabError(
                _(
                    "ring_kib (the ring buffer size in KiB) must be an integer from 4 to {largest}, not {ring_kib!r}",
                    largest=MAX_RING_KIB,
                    ring_kib=ring_kib,
                )
            )
        if not isinstance(iface, str) or not iface or len(iface) > 15:
            raise LabError(_("iface must be an interface name of 1 to 15 characters, not {iface!r}", iface=iface))
        if netns is not None and (not isinstance(netns, str) or not netns or "/" in netns or netns in (".", "..")):
            raise LabError(
                _("netns must be the name of a network namespace (or None for this one), not {netns!r}", netns=netns)
            )
        if not 0.01 <= wake_ms <= 10_000:  # NaN fails this too
            raise LabError(
                _("wake_ms is the longest wait for a batch, between 0.01 and 10000 ms, not {wake_ms}", wake_ms=wake_ms)
            )
        self.wake_ns = int(wake_ms * 1e6)
        self.snaplen = snaplen if snaplen > 0 else DEFAULT_SNAPLEN
        self.filter = capfilter.compile_filter(expr, self.snaplen)
        pages = max(1, ring_kib * 1024 // 4096)
        self.ring_pages = 1 << (pages.bit_length() - 1)  # a power of two, as the kernel requires
        self.prog: Program | None = None
        self.ring: RingReader | None = None
        self.filtered_user = 0
        self._stack: Any = None
        self._tmp: str | None = None

    def __enter__(self) -> Capture:
        require_root(_("capturing packets with XDP"))
        info = link_info(self.iface, self.netns)  # a clear error for a wrong name, before compiling
        mtu = int(info.get("mtu", 1500))
        # Enough for any frame the interface can carry with two VLAN tags, and not more than asked.
        self.cap_bytes = min(self.snaplen, mtu + 14 + 8)
        try:
            self._start()
        except (CompileError, VerifierError) as exc:
            if self.filter.where != "kernel" or self.filter.empty:
                raise
            # The generated C is too much for clang or the verifier: libpcap filters in user space instead.
            self.filter.where = "user"
            self.filter.reason = _("the generated C did not build or verify: {error}", error=str(exc).splitlines()[0])
            self._start()
        return self

    def _start(self) -> None:
        defines: dict[str, Any] = {"CAP_BYTES": self.cap_bytes, "RING_PAGES": self.ring_pages, "WAKE_NS": self.wake_ns}
        if not self.filter.empty and self.filter.where == "kernel":
            # Named by its owner, so `ebpflab cleanup` removes it should this process be killed meanwhile.
            fd, self._tmp = tempfile.mkstemp(prefix=f"{FILTER_PREFIX}{system.owner_tag()}-", suffix=".h")
            with os.fdopen(fd, "w") as f:
                f.write(self.filter.c_code())
            defines["CAPTURE_FILTER"] = f'"{self._tmp}"'
        stack = ExitStack()
        try:
            self.prog = stack.enter_context(Program("xdp_capture", defines))
            self.ring = RingReader(self.prog["events"].map_fd, self.ring_pages * mmap.PAGESIZE)
            stack.callback(self.ring.close)
            clock = self.prog["clock"]
            clock[clock.Key(0)] = clock.Leaf(mono_to_wall_ns())  # before attaching: no record without it
            stack.enter_context(self.prog.xdp(self.iface, netns=self.netns, mode=self.mode))
        except BaseException:
            stack.close()
            self.prog = self.ring = None
            raise
        finally:
            self._drop_tmp()  # clang has read it
        self._stack = stack

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Detach and free the program (safe to call twice)."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()
            self.ring = None
        self._drop_tmp()

    def _drop_tmp(self) -> None:
        if self._tmp:
            Path(self._tmp).unlink(missing_ok=True)
            self._tmp = None

    def _program(self) -> Program:
        if self.prog is None:
            raise LabError(_("the capture is not running: use `with Capture(...) as cap:`"))
        return self.prog

    def poll_records(self, timeout: float = 0.1) -> tuple[bytes, int]:
        """Wait up to ``timeout`` seconds; return the pcap records that arrived (to append to a
        pcap file as they are) and how many there are."""
        if self.ring is None:
            raise LabError(_("the capture is not running: use `with Capture(...) as cap:`"))
        self.ring.wait(timeout)
        data, n = self.ring.read()
        if self.filter.where == "user" and n:
            kept = [d for d in records(data) if self.filter.matches(d[RECORD.size :], RECORD.unpack_from(d)[3])]
            self.filtered_user += n - len(kept)
            data, n = b"".join(kept), len(kept)
        return data, n

    def poll(self, timeout: float = 0.1) -> list[Packet]:
        """Wait up to ``timeout`` seconds for records; return every packet read so far."""
        return list(packets(self.poll_records(timeout)[0]))

    def stats(self) -> dict[str, int]:
        """Kernel counters summed over CPUs, plus packets the user-space filter dropped."""
        table = self._program()["stats"]
        out = {name: int(sum(table[table.Key(i)])) for i, name in enumerate(STATS)}
        out["filtered"] += self.filtered_user
        return out

    def protocols(self) -> dict[str, int]:
        """What arrived by protocol, counted in the kernel with lab 04's parse_packet (every packet seen)."""
        table = self._program()["protocols"]
        return {name: int(sum(table[table.Key(i)])) for i, name in enumerate(PROTOCOL_SLOTS)}
