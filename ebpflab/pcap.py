"""Classic pcap files, the format tcpdump and Wireshark read and write (lab 06).

``PcapWriter`` writes ``Packet`` records (microsecond timestamps, Ethernet); ``read_pcap`` reads
them back in either byte order, with micro- or nanosecond timestamps. The capture benchmark reuses both.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from .cbpf import DLT_EN10MB
from .errors import LabError

DEFAULT_SNAPLEN = 262144  # tcpdump's default: whole packets


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


class PcapWriter:
    """Write packets to a classic pcap file (microsecond timestamps, Ethernet); a context manager."""

    def __init__(self, path: str | Path, snaplen: int = DEFAULT_SNAPLEN) -> None:
        self.path = str(path)
        try:
            self.f: BinaryIO = open(path, "wb") if self.path != "-" else os.fdopen(os.dup(1), "wb")
        except OSError as exc:
            raise LabError(f"cannot write {self.path}: {exc.strerror}") from None
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, DLT_EN10MB))

    def write(self, pkt: Packet) -> None:
        """Append one packet record."""
        sec, usec = divmod(pkt.ts_ns // 1000, 1_000_000)
        self.f.write(struct.pack("<IIII", sec, usec, len(pkt.data), pkt.len) + pkt.data)

    def write_records(self, data: bytes) -> None:
        """Append pcap records as they are (a batch from ``Capture.poll_records``)."""
        self.f.write(data)

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


MAX_SNAPLEN = 262144  # libpcap's largest capture length for Ethernet


def read_pcap(path: str | Path) -> Iterator[Packet]:
    """Yield the packets of a pcap file (either byte order, micro- or nanosecond timestamps).

    A damaged file raises ``LabError`` in libpcap's words, after the packets before the damage.
    """
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise LabError(f"cannot read {path}: {exc.strerror}") from None
    with f:
        head = f.read(24)
        if len(head) < 4:
            raise LabError(f"truncated dump file; tried to read 4 file header bytes, only got {len(head)}")
        for endian in "<>":
            magic = struct.unpack(endian + "I", head[:4])[0]
            if magic in (0xA1B2C3D4, 0xA1B23C4D):
                break
        else:
            if head[:4] == b"\x0a\x0d\x0d\x0a":
                raise LabError(f"{path} is a pcapng file, which is not supported; convert it with editcap -F pcap")
            raise LabError(f"{path}: unknown file format")
        if len(head) < 24:
            raise LabError(f"truncated dump file; tried to read 24 file header bytes, only got {len(head) - 4}")
        nano = magic == 0xA1B23C4D
        snaplen, linktype = struct.unpack(endian + "II", head[16:24])
        linktype &= 0xFFFF
        if linktype != DLT_EN10MB:
            raise LabError(f"{path} holds link type {linktype}; only Ethernet (1) is supported")
        rec = struct.Struct(endian + "IIII")
        while True:
            h = f.read(16)
            if not h:
                return
            if len(h) < 16:
                raise LabError(f"truncated dump file; tried to read 16 header bytes, only got {len(h)}")
            sec, frac, caplen, wire = rec.unpack(h)
            if caplen > MAX_SNAPLEN:
                bound = f"snaplen of {snaplen}" if caplen > snaplen else f"maximum of {MAX_SNAPLEN}"
                raise LabError(f"invalid packet capture length {caplen}, bigger than {bound}")
            data = f.read(caplen)
            if len(data) < caplen:
                raise LabError(f"truncated dump file; tried to read {caplen} captured bytes, only got {len(data)}")
            yield Packet(sec * 1_000_000_000 + frac * (1 if nano else 1000), wire, data)
