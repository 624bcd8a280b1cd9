"""tcpdump's text: the lines ``tcpdump -n`` prints for a packet, and its -x/-X dumps (lab 06).

``Printer`` owns the line: the time stamp, Ethernet and its VLAN tags (the -e header), the ethertype's dispatch,
-q, -x/-X and the installed tcpdump's version. The layers are decoded, in the same words tcpdump uses, by
``link`` (802.3 with LLC, spanning tree, ARP), ``ip`` (IPv4, IPv6 and its extension headers, MPLS,
IP in IP, GRE, ESP, AH), ``icmp`` (ICMP, ICMPv6, IGMP), ``transport`` (TCP and its options, UDP,
SCTP, DCCP) and ``apps`` (DNS, HTTP, OSPF), so that the tests can compare the two line by line.
"""
from __future__ import annotations

import functools
import subprocess
import time

from ...frames import l3, vlan_tags
from ..pcap import Packet
from .base import ETHERTYPE_NAMES, Context, etheraddr, hexdump
from .ip import ipv4, ipv6, mpls
from .link import arp, llc_frame, llc_header_len


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

    def __init__(self, link: bool = False, quiet: bool = False, absolute_seq: bool = False, hex_only: bool = False,
                 dumps: bool = False) -> None:
        super().__init__(link=link, quiet=quiet, absolute_seq=absolute_seq, dumps=dumps, tcpdump=tcpdump_version())
        self.hex_only = hex_only  # -x: dumps of unknown types without the ASCII column

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
        """print-ether.c: an Ethernet frame (also one bridged inside GRE), by its ethertype past any VLAN tags."""
        if len(data) < 14:
            return "[|ether]"
        etype, off = l3(data)
        head = ""
        if self.link:
            outer = int.from_bytes(data[12:14], "big")
            head = f"{etheraddr(data[6:12])} > {etheraddr(data[0:6])}, {self._ethertype(outer)}, length {wire_len}: "
            for tci, inner in vlan_tags(data):
                head += (f"vlan {tci & 0xFFF}, p {tci >> 13}{', DEI' if tci & 0x1000 else ''}, "
                         f"{self._ethertype(inner)}, ")
        if etype < 0x600 and off == 14:  # 802.3: a length, then an LLC header (spanning tree, NetBIOS, ...)
            text = llc_frame(self, data, wire_len)
            if text is not None:
                return text
        body = data[off:]
        if etype == 0x0800:
            return head + ipv4(self, body, wire_len - off)
        if etype == 0x86DD:
            return head + ipv6(self, body, wire_len - off)
        if etype == 0x0806:
            return head + arp(self, body, wire_len - off)
        if etype in (0x8847, 0x8848):
            return head + mpls(self, body, wire_len - off)
        if not self.link:
            head = f"{etheraddr(data[6:12])} > {etheraddr(data[0:6])}, {self._ethertype(etype)}, length {wire_len}: "
        if self.quiet:
            return head
        self.dumped = True  # tcpdump's default print, which -x/-X replace with their own dump
        return head + ("\n" + hexdump(body, ascii=not self.hex_only) if body else "")

    def _ethertype(self, t: int) -> str:
        """print-ether.c's ether_type_print: shorter with -q."""
        if self.quiet:
            return ETHERTYPE_NAMES.get(t, f"Unknown Ethertype (0x{t:04x})")
        return f"ethertype {ETHERTYPE_NAMES.get(t, 'Unknown')} (0x{t:04x})"

    def payload_offset(self, data: bytes) -> int:
        """Where the link layer ends (after any VLAN tags, or an 802.2 LLC and SNAP header): where -x/-X dumps start."""
        etype, off = l3(data)
        if etype < 0x600 and off == 14:
            return 14 + llc_header_len(data)
        return off
