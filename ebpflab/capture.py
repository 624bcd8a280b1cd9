"""Packet capture on XDP with a BPF ring buffer: records, pcap files, tcpdump's text (lab 06).

``bpf/xdp_capture.c`` copies each packet's first bytes into a ring buffer; ``Capture`` attaches it
to an interface (in a lab namespace, or in this one), drains the ring buffer into ``Packet``
records and always detaches, even on Ctrl-C. ``PcapWriter``/``read_pcap`` speak the classic pcap
format that tcpdump and Wireshark read; ``format_packet`` prints a packet the way ``tcpdump -n``
does (see ``ebpflab.tcpprint``).
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from . import capfilter
from .errors import LabError
from .loader import XDP_MODES, Program, capture_stderr
from .netlab import netns as enter_netns
from .system import import_bcc, require_root

DEFAULT_SNAPLEN = 262144  # tcpdump's default: whole packets
HEADER = struct.Struct("<QIIII")  # struct cap_rec in bpf/xdp_capture.c, before data[]
STATS = ("seen", "captured", "dropped", "filtered")
MARK_DIR = Path("/run/ebpflab/xdp")  # one file per attachment, so `ebpflab cleanup` can find leftovers


@dataclass
class Packet:
    """One captured packet: wall-clock time (ns), length on the wire, the bytes copied, interface."""

    ts_ns: int
    len: int
    data: bytes
    ifindex: int = 0

    @property
    def caplen(self) -> int:
        """How many bytes were copied (at most the snap length)."""
        return len(self.data)


# --- pcap files -----------------------------------------------------------------------------
class PcapWriter:
    """Write packets to a classic pcap file (microsecond timestamps, Ethernet); a context manager."""

    def __init__(self, path: str | Path, snaplen: int = DEFAULT_SNAPLEN) -> None:
        self.path = str(path)
        try:
            self.f: BinaryIO = open(path, "wb") if self.path != "-" else os.fdopen(os.dup(1), "wb")
        except OSError as exc:
            raise LabError(f"cannot write {self.path}: {exc.strerror}") from None
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, capfilter.DLT_EN10MB))

    def write(self, pkt: Packet) -> None:
        """Append one packet record."""
        sec, usec = divmod(pkt.ts_ns // 1000, 1_000_000)
        self.f.write(struct.pack("<IIII", sec, usec, len(pkt.data), pkt.len) + pkt.data)

    def flush(self) -> None:
        """Push buffered records to the file (so `-w` files are readable while capturing)."""
        self.f.flush()

    def close(self) -> None:
        """Close the file."""
        self.f.close()

    def __enter__(self) -> "PcapWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_pcap(path: str | Path) -> Iterator[Packet]:
    """Yield the packets of a pcap file (either byte order, micro- or nanosecond timestamps)."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise LabError(f"cannot read {path}: {exc.strerror}") from None
    with f:
        head = f.read(24)
        if len(head) < 24:
            raise LabError(f"{path} is not a pcap file (too short)")
        for endian in "<>":
            magic = struct.unpack(endian + "I", head[:4])[0]
            if magic in (0xA1B2C3D4, 0xA1B23C4D):
                break
        else:
            raise LabError(f"{path} is not a classic pcap file (pcapng is not supported; convert it with editcap -F pcap)")
        nano = magic == 0xA1B23C4D
        linktype = struct.unpack(endian + "I", head[20:24])[0] & 0xFFFF
        if linktype != capfilter.DLT_EN10MB:
            raise LabError(f"{path} holds link type {linktype}; only Ethernet (1) is supported")
        rec = struct.Struct(endian + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, frac, caplen, wire = rec.unpack(h)
            yield Packet(sec * 1_000_000_000 + frac * (1 if nano else 1000), wire, f.read(caplen))


# --- attaching to any interface ---------------------------------------------------------------
def link_info(iface: str, netns: str | None = None) -> dict:
    """`ip -j link show` for one interface; LabError naming it when it does not exist."""
    if netns and not os.path.exists(f"/run/netns/{netns}"):
        raise LabError(f"network namespace {netns!r} does not exist")
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["-j", "link", "show", "dev", iface]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0 or not res.stdout.strip():
        where = f" in namespace {netns}" if netns else ""
        raise LabError(f"no interface named {iface!r}{where}")
    return json.loads(res.stdout)[0]


@contextmanager
def attached(prog: Program, iface: str, netns: str | None = None, mode: str = "generic") -> Iterator[Any]:
    """Attach ``prog`` at XDP on ``iface`` (in ``netns`` or this namespace) for the block, then detach."""
    fn = prog.load(prog.name, "xdp")
    bcc = import_bcc()
    where = enter_netns(netns) if netns else nullcontext()
    with where, capture_stderr() as cap:
        try:
            bcc.BPF.attach_xdp(iface, fn, XDP_MODES[mode])
            err = None
        except Exception as exc:
            err = exc
    if err is not None:
        raise LabError(f"could not attach the capture program to {iface}: {err} {cap.text.strip()}".strip())
    mark = _mark(iface, netns)
    try:
        yield fn
    finally:
        with (enter_netns(netns) if netns and os.path.exists(f"/run/netns/{netns}") else nullcontext()):
            with capture_stderr():
                try:
                    bcc.BPF.remove_xdp(iface, XDP_MODES[mode])
                except Exception:
                    pass  # the interface went away with its namespace
        if mark:
            mark.unlink(missing_ok=True)


def _mark(iface: str, netns: str | None) -> Path | None:
    """Leave a note ``<pid> <iface> <netns>`` so that a SIGKILLed capture can be found and detached."""
    try:
        MARK_DIR.mkdir(parents=True, exist_ok=True)
        path = MARK_DIR / f"{os.getpid()}-{netns or 'root'}-{iface}"
        path.write_text(f"{os.getpid()} {iface} {netns or ''}\n")
        return path
    except OSError:
        return None


def mono_to_wall_ns() -> int:
    """Offset from CLOCK_MONOTONIC (bpf_ktime_get_ns) to wall-clock time, in nanoseconds."""
    a = time.time_ns()
    m = time.monotonic_ns()
    b = time.time_ns()
    return (a + b) // 2 - m


class Capture:
    """Capture packets arriving on ``iface`` with XDP and a ring buffer; a context manager (lab 06).

    ``poll()`` returns the packets that arrived since the last call; ``stats()`` the counters
    (seen, captured, dropped because the ring was full, filtered out in the kernel). A filter
    expression is compiled into the program when it can be, otherwise applied in user space.
    """

    def __init__(self, iface: str = "eth0", netns: str | None = None, expr: str = "", *,
                 snaplen: int = DEFAULT_SNAPLEN, ring_kib: int = 4096, mode: str = "generic") -> None:
        self.iface, self.netns, self.mode = iface, netns, mode
        self.snaplen = snaplen if snaplen > 0 else DEFAULT_SNAPLEN
        self.filter = capfilter.compile_filter(expr, self.snaplen)
        pages = max(1, ring_kib * 1024 // 4096)
        self.ring_pages = 1 << (pages.bit_length() - 1)  # a power of two, as the kernel requires
        self.prog: Program | None = None
        self.mono_offset = 0
        self.filtered_user = 0
        self._pending: list[Packet] = []
        self._stack: Any = None
        self._tmp: str | None = None

    def __enter__(self) -> "Capture":
        require_root("capturing packets with XDP")
        mtu = int(link_info(self.iface, self.netns).get("mtu", 1500))
        # Enough for any frame the interface can carry with two VLAN tags, and not more than asked.
        cap_bytes = min(self.snaplen, mtu + 14 + 8)
        defines: dict[str, Any] = {"CAP_BYTES": cap_bytes, "RING_PAGES": self.ring_pages}
        if not self.filter.empty and self.filter.where == "kernel":
            fd, self._tmp = tempfile.mkstemp(prefix="ebpflab-filter-", suffix=".h")
            with os.fdopen(fd, "w") as f:
                f.write(self.filter.c_code())
            defines["CAPTURE_FILTER"] = f'"{self._tmp}"'
        from contextlib import ExitStack

        stack = ExitStack()
        try:
            self.prog = stack.enter_context(Program("xdp_capture", defines))
            stack.enter_context(attached(self.prog, self.iface, self.netns, self.mode))
            self.prog["events"].open_ring_buffer(self._on_record)
            self.mono_offset = mono_to_wall_ns()
        except BaseException:
            stack.close()
            self._drop_tmp()
            raise
        self._stack = stack
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Detach and free the program (safe to call twice)."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()
        self._drop_tmp()

    def _drop_tmp(self) -> None:
        if self._tmp:
            Path(self._tmp).unlink(missing_ok=True)
            self._tmp = None

    def _on_record(self, ctx: Any, data: Any, size: int) -> None:
        import ctypes

        raw = ctypes.string_at(data, size)
        ts, wire, caplen, ifindex, _ = HEADER.unpack_from(raw)
        pkt = Packet(ts + self.mono_offset, wire, raw[HEADER.size:HEADER.size + caplen], ifindex)
        if self.filter.where == "user" and not self.filter.matches(pkt.data, pkt.len):
            self.filtered_user += 1
            return
        self._pending.append(pkt)

    def poll(self, timeout: float = 0.1) -> list[Packet]:
        """Wait up to ``timeout`` seconds for records; return every packet read so far."""
        if self.prog is None:
            raise LabError("the capture is not running: use `with Capture(...) as cap:`")
        self.prog.bpf.ring_buffer_poll(int(timeout * 1000))
        self.prog.bpf.ring_buffer_consume()
        out, self._pending = self._pending, []
        return out

    def stats(self) -> dict[str, int]:
        """Kernel counters summed over CPUs, plus packets the user-space filter dropped."""
        table = self.prog["stats"]
        out = {name: int(sum(table[table.Key(i)])) for i, name in enumerate(STATS)}
        out["filtered"] += self.filtered_user
        return out
