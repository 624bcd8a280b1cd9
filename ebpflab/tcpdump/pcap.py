# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Classic pcap files, the format tcpdump and Wireshark read and write (lab 06).

``PcapWriter`` writes ``Packet`` records (microsecond timestamps, Ethernet), ``PcapngWriter`` the same
as pcapng; ``read_pcap`` reads them back in either byte order, with micro- or nanosecond timestamps, and
pcapng too. The capture benchmark reuses them.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..cbpf import DLT_EN10MB
from ..errors import LabError
from ..messages import _

DEFAULT_SNAPLEN = 262144  # tcpdump's default and largest snap length: whole packets


@dataclass(slots=True)
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


# A classic pcap record's header: seconds, microseconds, bytes captured, length on the wire. Also
# struct pcap_rec in bpf/xdp_capture.c, before data[]: the kernel writes whole pcap records.
RECORD = struct.Struct("<IIII")


def records(data: bytes) -> list[bytes]:
    """Split pcap records (16-byte header, then the bytes copied) into one bytes object each."""
    out, off = [], 0
    while off < len(data):
        end = off + RECORD.size + RECORD.unpack_from(data, off)[2]
        out.append(data[off:end])
        off = end
    return out


def packets(data: bytes) -> list[Packet]:
    """The ``Packet`` records in a run of pcap records (microsecond timestamps)."""
    out, off = [], 0
    while off < len(data):
        sec, usec, caplen, wire = RECORD.unpack_from(data, off)
        off += RECORD.size
        out.append(Packet(sec * 1_000_000_000 + usec * 1000, wire, data[off : off + caplen]))
        off += caplen
    return out


class PcapWriter:
    """Write packets to a classic pcap file (microsecond timestamps, Ethernet); a context manager."""

    def __init__(self, path: str | Path, snaplen: int = DEFAULT_SNAPLEN) -> None:
        self.path = str(path)
        if isinstance(snaplen, bool) or not isinstance(snaplen, int) or not 1 <= snaplen <= DEFAULT_SNAPLEN:
            raise LabError(
                _(
                    "snaplen must be an integer from 1 to {largest}, not {snaplen!r}",
                    largest=DEFAULT_SNAPLEN,
                    snaplen=snaplen,
                )
            )
        self.failed = False
        try:
            self.f: BinaryIO = open(path, "wb") if self.path != "-" else os.fdopen(os.dup(1), "wb")  # noqa: SIM115 (closed by close())
        except OSError as exc:
            raise LabError(_("cannot write {path}: {reason}", path=self.path, reason=exc.strerror)) from None
        self._io(self.f.write, self._header(snaplen))

    def _header(self, snaplen: int) -> bytes:
        return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, DLT_EN10MB)

    def _io(self, fn: Any, *args: Any) -> None:
        """One write or flush; a full disk becomes one sentence naming the file (a closed pipe stays BrokenPipeError)."""
        try:
            fn(*args)
        except BrokenPipeError:
            self.failed = True
            raise
        except OSError as exc:
            self.failed = True
            reason = exc.strerror or exc
            raise LabError(
                _("cannot write to standard output: {reason}", reason=reason)
                if self.path == "-"
                else _("cannot write {path}: {reason}", path=self.path, reason=reason)
            ) from None

    def write(self, pkt: Packet) -> None:
        """Append one packet record."""
        sec, usec = divmod(pkt.ts_ns // 1000, 1_000_000)
        self._io(self.f.write, RECORD.pack(sec, usec, len(pkt.data), pkt.len) + pkt.data)

    def write_records(self, data: bytes) -> None:
        """Append pcap records as they are (a batch from ``Capture.poll_records``)."""
        self._io(self.f.write, data)

    def flush(self) -> None:
        """Push buffered records to the file (so `-w` files are readable while capturing)."""
        self._io(self.f.flush)

    def close(self, quiet: bool = False) -> None:
        """Close the file (safe to call twice; ``quiet`` after a failure: drop what cannot be written)."""
        if self.f.closed:
            return
        if quiet or self.failed:
            with contextlib.suppress(OSError):
                self.f.close()
            return
        try:
            self._io(self.f.flush)
        finally:
            with contextlib.suppress(OSError):
                self.f.close()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class PcapngWriter(PcapWriter):
    """Write packets as pcapng (Wireshark's format): a section header, one Ethernet interface with
    microsecond timestamps (pcapng's default unit), then an enhanced packet block per packet."""

    def _header(self, snaplen: int) -> bytes:
        shb = struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28)  # section length unknown
        idb = struct.pack("<IIHHII", 1, 20, DLT_EN10MB, 0, snaplen, 20)
        return shb + idb

    @staticmethod
    def _block(pkt: Packet) -> bytes:
        """One enhanced packet block (interface 0, microseconds)."""
        ts_us, caplen = pkt.ts_ns // 1000, len(pkt.data)
        total = 32 + (caplen + 3) // 4 * 4
        return (
            struct.pack("<IIIIIII", 6, total, 0, ts_us >> 32, ts_us & 0xFFFFFFFF, caplen, pkt.len)
            + pkt.data
            + bytes(-caplen % 4)
            + struct.pack("<I", total)
        )

    def write(self, pkt: Packet) -> None:
        """Append one enhanced packet block."""
        self._io(self.f.write, self._block(pkt))

    def write_records(self, data: bytes) -> None:
        """Append pcap records (a batch from ``Capture.poll_records``) as packet blocks: rewritten one by one
        in Python, so slower than the classic pcap the ring's batches already are; still one write a batch."""
        self._io(self.f.write, b"".join(self._block(pkt) for pkt in packets(data)))


MAX_SNAPLEN = 262144  # libpcap's largest capture length for Ethernet
# What -r reads. Not LINUX_SLL2: tcpdump prints the name of the interface, looked up on the reading machine.
LINK_TYPES = {
    DLT_EN10MB: "EN10MB (Ethernet)",
    113: "LINUX_SLL (Linux cooked v1)",
    101: "RAW (Raw IP)",
    228: "IPV4 (Raw IPv4)",
    229: "IPV6 (Raw IPv6)",
}
PCAPNG = b"\x0a\x0d\x0d\x0a"


def read_pcap(path: str | Path) -> Iterator[Packet]:
    """Yield the Ethernet packets of a pcap or pcapng file (either byte order, any timestamp unit).

    A damaged file raises ``LabError`` in libpcap's words, after the packets before the damage.
    """
    linktype, packets = open_capture(path)
    if linktype != DLT_EN10MB:
        raise LabError(
            _(
                "{path} holds link type {linktype}; only Ethernet (1) is read here",
                path=path,
                linktype=LINK_TYPES.get(linktype, linktype),
            )
        )
    return packets


def open_capture(path: str | Path) -> tuple[int, Iterator[Packet]]:
    """The link type of a pcap or pcapng file (one of ``LINK_TYPES``), and its packets as they are read."""
    try:
        f = open(path, "rb")  # noqa: SIM115 (the packets are read lazily; closed after the last one)
    except OSError as exc:
        raise LabError(_("cannot read {path}: {reason}", path=path, reason=exc.strerror)) from None
    try:
        head = f.read(24)
        if len(head) < 4:
            raise LabError(
                f"truncated dump file; tried to read 4 file header bytes, only got {len(head)}"  # i18n: as is (libpcap's words)
            )
        if head[:4] == PCAPNG:
            linktype, packets = _pcapng(f, head, path)
        else:
            linktype, packets = _pcap(f, head, path)
    except BaseException:
        f.close()
        raise
    if linktype not in LINK_TYPES:
        f.close()
        raise LabError(
            _("{path} holds link type {linktype}, which this tool does not decode", path=path, linktype=linktype)
        )
    return linktype, packets


def _pcap(f: BinaryIO, head: bytes, path: Any) -> tuple[int, Iterator[Packet]]:
    for endian in "<>":
        magic = struct.unpack(endian + "I", head[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise LabError(f"{path}: unknown file format")  # i18n: as is (libpcap's words)
    if len(head) < 24:
        raise LabError(
            f"truncated dump file; tried to read 24 file header bytes, only got {len(head) - 4}"  # i18n: as is (libpcap's words)
        )
    nano = magic == 0xA1B23C4D
    snaplen, linktype = struct.unpack(endian + "II", head[16:24])

    def packets() -> Iterator[Packet]:
        rec = struct.Struct(endian + "IIII")
        with f:
            while True:
                h = f.read(16)
                if not h:
                    return
                if len(h) < 16:
                    raise LabError(
                        f"truncated dump file; tried to read 16 header bytes, only got {len(h)}"  # i18n: as is (libpcap's words)
                    )
                sec, frac, caplen, wire = rec.unpack(h)
                if caplen > MAX_SNAPLEN:
                    bound = (
                        f"snaplen of {snaplen}"
                        if caplen > snaplen
                        else f"maximum of {MAX_SNAPLEN}"  # i18n: as is (libpcap's words)
                    )
                    raise LabError(
                        f"invalid packet capture length {caplen}, bigger than {bound}"  # i18n: as is (libpcap's words)
                    )
                data = f.read(caplen)
                if len(data) < caplen:
                    raise LabError(
                        f"truncated dump file; tried to read {caplen} captured bytes, only got {len(data)}"  # i18n: as is (libpcap's words)
                    )
                yield Packet(sec * 1_000_000_000 + frac * (1 if nano else 1000), wire, data)

    return linktype & 0xFFFF, packets()


def _pcapng(f: BinaryIO, head: bytes, path: Any) -> tuple[int, Iterator[Packet]]:
    """pcapng (Wireshark's format): section header, interface descriptions, packet blocks; others skipped."""
    if len(head) < 12:
        raise LabError(
            f"truncated pcapng dump file; tried to read 12 file header bytes, only got {len(head)}"  # i18n: as is (libpcap's words)
        )
    endian = "<" if head[8:12] == b"\x4d\x3c\x2b\x1a" else ">" if head[8:12] == b"\x1a\x2b\x3c\x4d" else None
    if endian is None:
        raise LabError(f"{path}: unknown file format")  # i18n: as is (libpcap's words)
    u32 = struct.Struct(endian + "I")

    def blocks() -> Iterator[tuple[int, bytes]]:
        total = u32.unpack(head[4:8])[0]
        if total < 28 or total % 4:
            raise LabError(_("{path}: bad pcapng section header length {total}", path=path, total=total))
        rest = f.read(total - 24)
        if len(rest) < total - 24:
            raise LabError(
                f"truncated pcapng dump file; tried to read {total} bytes, only got {len(rest) + 24}"  # i18n: as is (libpcap's words)
            )
        while True:
            h = f.read(8)
            if not h:
                return
            if len(h) < 8:
                raise LabError(
                    f"truncated pcapng dump file; tried to read 8 block header bytes, only got {len(h)}"  # i18n: as is (libpcap's words)
                )
            btype, total = struct.unpack(endian + "II", h)
            if total < 12 or total % 4 or total > 16 << 20:
                raise LabError(_("{path}: bad pcapng block length {total}", path=path, total=total))
            body = f.read(total - 8)
            if len(body) < total - 8:
                raise LabError(
                    f"truncated pcapng dump file; tried to read {total} bytes, only got {len(body) + 8}"  # i18n: as is (libpcap's words)
                )
            yield btype, body[:-4]

    it = blocks()
    ifaces: list[tuple[int, int, int]] = []  # (link type, snap length, timestamp units per second)

    def interface(body: bytes) -> None:
        linktype, _, snaplen = struct.unpack(endian + "HHI", body[:8])
        per_sec, off = 1_000_000, 8
        while off + 4 <= len(body):
            code, length = struct.unpack(endian + "HH", body[off : off + 4])
            if code == 0:
                break
            if code == 9 and length >= 1:  # if_tsresol
                r = body[off + 4]
                per_sec = 2 ** (r & 0x7F) if r & 0x80 else 10**r
            off += 4 + (length + 3) // 4 * 4
        if ifaces and linktype != ifaces[0][0]:
            raise LabError(
                _(
                    "{path} mixes link types {first} and {linktype}; this tool reads one",
                    path=path,
                    first=ifaces[0][0],
                    linktype=linktype,
                )
            )
        ifaces.append((linktype, snaplen, per_sec))

    first: list[tuple[int, bytes]] = []
    for btype, body in it:  # up to the first interface: its link type is the file's
        if btype == 1:
            interface(body)
            break
        first.append((btype, body))
    if not ifaces:
        raise LabError(_("{path} describes no interface", path=path))

    def packets() -> Iterator[Packet]:
        with f:
            for btype, body in it:
                if btype == 1:
                    interface(body)
                elif btype in (6, 2):  # enhanced packet block, obsolete packet block
                    if btype == 6:
                        iface, hi, lo, caplen, wire = struct.unpack(endian + "IIIII", body[:20])
                    else:
                        iface, _, hi, lo, caplen, wire = struct.unpack(endian + "HHIIII", body[:20])
                    if iface >= len(ifaces):
                        raise LabError(
                            _("{path}: a packet on interface {iface}, which is not described", path=path, iface=iface)
                        )
                    if caplen > len(body) - 20 or caplen > MAX_SNAPLEN:
                        raise LabError(
                            _("invalid packet capture length {caplen}, bigger than its block", caplen=caplen)
                        )
                    per_sec = ifaces[iface][2]
                    ts = (hi << 32) | lo
                    yield Packet(
                        ts // per_sec * 1_000_000_000 + ts % per_sec * 1_000_000_000 // per_sec,
                        wire,
                        body[20 : 20 + caplen],
                    )
                elif btype == 3:  # simple packet block: no time
                    wire = u32.unpack(body[:4])[0]
                    yield Packet(0, wire, body[4 : 4 + min(wire, ifaces[0][1] or wire, len(body) - 4)])

    return ifaces[0][0], packets()


def as_ethernet(linktype: int, pkt: Packet) -> Packet:
    """A Linux cooked (SLL) or raw IP packet behind an Ethernet header of zero addresses, for decoding."""
    d = pkt.data
    if linktype == DLT_EN10MB:
        return pkt
    if linktype == 113:
        head, proto = 16, d[14:16]
    else:
        head = 0
        proto = b"\x86\xdd" if linktype == 229 or (linktype == 101 and d[:1] and d[0] >> 4 == 6) else b"\x08\x00"
    if len(d) < head:
        return Packet(pkt.ts_ns, pkt.len, b"", pkt.ifindex)
    return Packet(pkt.ts_ns, pkt.len - head + 14, bytes(12) + proto + d[head:], pkt.ifindex)
