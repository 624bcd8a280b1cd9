# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""What every layer of tcpdump's text shares (lab 06): the printer's options and state, the cut, addresses, dumps.

``Context`` is tcpdump's netdissect_options: the flags a layer's printer reads (-e, -q, -S, -x/-X, the installed
tcpdump's version), the TCP state, and the two things a printer tells the line's owner (``dumped``, ``whole``).
The layer modules (``link``, ``ip``, ``icmp``, ``transport``, ``apps``)
are plain functions of the bytes and a ``Context``; ``text.Printer`` is the ``Context`` that owns the line.
"""

from __future__ import annotations

import ipaddress

# print-ether.c's ethertype_values (the first name wins): the -e header's names, ARP's protocol names, GRE's with -e.
ETHERTYPE_NAMES = {
    0x0800: "IPv4",
    0x8847: "MPLS unicast",
    0x8848: "MPLS multicast",
    0x86DD: "IPv6",
    0x8100: "802.1Q",
    0x9100: "802.1Q-9100",
    0x88A8: "802.1Q-QinQ",
    0x9200: "802.1Q-9200",
    0x88E5: "802.1AE MACsec",
    0x0200: "PUP",
    0x0806: "ARP",
    0x8035: "Reverse ARP",
    0x0600: "NS",
    0x0500: "Sprite",
    0x1000: "Trail",
    0x6001: "MOP DL",
    0x6002: "MOP RC",
    0x6003: "DN",
    0x6004: "LAT",
    0x6007: "SCA",
    0x6558: "TEB",
    0x8038: "Lanbridge",
    0x803C: "DEC DNS",
    0x803E: "DEC DTS",
    0x805B: "VEXP",
    0x805C: "VPROD",
    0x809B: "Appletalk",
    0x80F3: "Appletalk ARP",
    0x8137: "IPX",
    0x880B: "PPP",
    0x8808: "MPCP",
    0x8809: "Slow Protocols",
    0x8863: "PPPoE D",
    0x8864: "PPPoE S",
    0x888E: "EAPOL",
    0x8899: "Realtek protocols",
    0x886F: "MS NLB heartbeat",
    0x8870: "Jumbo",
    0x894F: "NSH",
    0x9000: "Loopback",
    0xFEFE: "OSI",
    0x00FE: "GRE-OSI",
    0xABCD: "CFM (old)",
    0x8902: "CFM",
    0x893A: "IEEE1905.1",
    0x88CC: "LLDP",
    0x88CA: "TIPC",
    0x0707: "GeoNet (old)",
    0x8947: "GeoNet",
    0x1111: "CALM FAST",
    0x88A2: "AoE",
    0x88F7: "PTP",
    0xD28B: "Arista Vendor Specific Protocol",
}


class Context:
    """A printer's options and state, as each layer's printer reads and sets them."""

    def __init__(self, link: bool, quiet: bool, absolute_seq: bool, dumps: bool, tcpdump: tuple[int, ...]) -> None:
        self.link = link  # -e: print the Ethernet header (and VLAN tags)
        self.quiet = quiet  # -q: less protocol detail
        self.absolute = absolute_seq
        self.dumps = dumps  # -x or -X: tcpdump's dump of the packet replaces its dumps of unknown payloads
        self.hex_only = False  # -x: dumps of unknown types without the ASCII column
        self.tcpdump = tcpdump  # "the same text as tcpdump" means the tcpdump installed here
        self.tcp_seqs: dict[tuple, tuple[int, int]] = {}  # each connection's first sequence numbers (relative ones)
        self.dumped = False  # the last line holds the dump -x/-X would add (an unknown ethertype's)
        self.whole = False  # tcpdump quit the last packet by longjmp: its -x/-X dump starts at the frame's start

    def frame(self, data: bytes, wire_len: int) -> str:
        """An Ethernet frame's text; GRE's bridged frames come back here, so the owner of the line decodes them."""
        raise NotImplementedError


class Cut(Exception):
    """A printer fetched a byte that was not captured (tcpdump's GET macros longjmp): the words so far."""


def need(p: bytes, n: int) -> bytes:
    """GET_*: the bytes, or Cut when they were not captured (tcpdump's longjmp)."""
    if len(p) < n:
        raise Cut("")
    return p


def etheraddr(b: bytes) -> str:
    """A MAC address as tcpdump writes it with -n: six hex pairs between colons."""
    return ":".join(f"{x:02x}" for x in b)


def ipaddr(b: bytes) -> str:
    """An IPv4 address as a dotted quad."""
    return ".".join(str(x) for x in b)


def ip6addr(b: bytes) -> str:
    """An IPv6 address as tcpdump's addrtostr6 writes it: IPv4-compatible and -mapped ones end in a dotted quad."""
    if not any(b[:10]) and (b[10:12] == b"\xff\xff" or (not any(b[10:12]) and any(b[12:14]))):
        return ("::ffff:" if b[10] else "::") + ipaddr(b[12:16])
    return str(ipaddress.IPv6Address(bytes(b)))


def hexdump(b: bytes, ascii: bool = False) -> str:
    """tcpdump's -x (hex) or -X (hex and ASCII) dump, 16 bytes a line."""
    lines = []
    for off in range(0, len(b), 16):
        chunk = b[off : off + 16]
        words = "".join(" " + chunk[i : i + 2].hex() for i in range(0, len(chunk), 2))
        # print-ascii.c: "0x%04x: " then the hex padded to 40 columns, so past 0xffff the columns move right
        line = f"\t0x{off:04x}: " + (
            f"{words:<40}  " + "".join(chr(c) if 32 < c < 127 else "." for c in chunk) if ascii else words
        )
        lines.append(line)
    return "\n".join(lines)
