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
        if linktype != DLT_EN10MB:
            raise LabError(f"{path} holds link type {linktype}; only Ethernet (1) is supported")
        rec = struct.Struct(endian + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, frac, caplen, wire = rec.unpack(h)
            yield Packet(sec * 1_000_000_000 + frac * (1 if nano else 1000), wire, f.read(caplen))
