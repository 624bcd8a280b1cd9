# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""tcpdump's text: the lines ``tcpdump -n`` prints for a packet, and its -x/-X dumps (lab 06).

``Printer`` owns the line: the time stamp, where -x/-X dumps start, and the installed tcpdump's version. The
layers are decoded, in the same words tcpdump uses, by ``link`` (Ethernet II and its VLAN tags, 802.3 with LLC,
spanning tree, ARP), ``ip`` (IPv4, IPv6 and its extension headers, MPLS,
IP in IP, GRE, ESP, AH), ``icmp`` (ICMP, ICMPv6, IGMP), ``transport`` (TCP and its options, UDP,
SCTP, DCCP) and ``apps`` (DNS, HTTP, OSPF), so that the tests can compare the two line by line.
"""

from __future__ import annotations

import functools
import subprocess
import time

from ..pcap import Packet
from .base import Context
from .link import ether, header_len


@functools.cache
def tcpdump_version() -> tuple[int, ...]:
    """The installed tcpdump's version, e.g. (4, 99, 5); the newest wording known if there is none."""
    try:
        out = subprocess.run(["tcpdump", "--version"], capture_output=True, text=True, timeout=10).stdout
        return tuple(int(x) for x in out.split("tcpdump version ", 1)[1].split()[0].split(".")[:3])
    except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
        return (4, 99, 5)


class Printer(Context):
    """Turn packets into the lines ``tcpdump -n`` prints; keeps tcpdump's per-connection TCP state."""

    def __init__(
        self,
        link: bool = False,
        quiet: bool = False,
        absolute_seq: bool = False,
        hex_only: bool = False,
        dumps: bool = False,
    ) -> None:
        super().__init__(link=link, quiet=quiet, absolute_seq=absolute_seq, dumps=dumps, tcpdump=tcpdump_version())
        self.hex_only = hex_only

    def time(self, ts_ns: int) -> str:
        """tcpdump's timestamp: local time of day with microseconds."""
        sec, usec = divmod(ts_ns // 1000, 1_000_000)
        return time.strftime("%H:%M:%S", time.localtime(sec)) + f".{usec:06d}"

    def line(self, pkt: Packet) -> str:
        """The whole line: timestamp, then what the packet is."""
        return f"{self.time(pkt.ts_ns)} {self.describe(pkt.data, pkt.len)}"

    def describe(self, data: bytes, wire_len: int | None = None) -> str:
        """What tcpdump prints after the timestamp."""
        self.dumped = self.whole = False
        try:
            return self.frame(data, len(data) if wire_len is None else wire_len)
        except (IndexError, ValueError):  # cut by the snap length somewhere we did not foresee
            return "[|truncated]"
        except RecursionError:  # IP in IP in IP ... deeper than Python's stack (a crafted frame, not a network)
            return "[|truncated]"

    def frame(self, data: bytes, wire_len: int) -> str:
        """An Ethernet frame's text (GRE hands its bridged frames back here): ``link.ether``."""
        return ether(self, data, wire_len)

    def payload_offset(self, data: bytes) -> int:
        """Where the link layer ends: where -x/-X dumps start (``link.header_len``)."""
        return header_len(data)
