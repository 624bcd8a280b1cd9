# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""tcpdump's text for the link layer (lab 06): Ethernet II, 802.3 frames and their LLC header, spanning tree, ARP.

print-ether.c (the -e header, VLAN tags, the ethertype's dispatch), print-llc.c, print-stp.c and print-arp.c
without -v; what Ethernet or an LLC/SNAP header carries goes on to ``ip``.
"""

from __future__ import annotations

import functools

from ...frames import l3, vlan_tags
from .base import ETHERTYPE_NAMES, Context, Cut, etheraddr, hexdump, ipaddr, need
from .ip import ipv4, ipv6, mpls

ARP_OPS = {
    1: "Request",
    2: "Reply",
    3: "Reverse Request",
    4: "Reverse Reply",
    8: "Inverse Request",
    9: "Inverse Reply",
    10: "NACK Reply",
}
ARP_HRD = {
    1: "Ethernet",
    6: "TokenRing",
    7: "ArcNet",
    15: "FrameRelay",
    23: "Strip",
    24: "IEEE 1394",
    19: "ATM",
    32: "InfiniBand",
}
LLC_SAPS = {
    0x00: "Null",
    0xFE: "OSI",
    0x02: "802.1B I",
    0x03: "802.1B G",
    0x06: "IP",
    0x04: "SNA",
    0x0E: "ProWay NM",
    0x42: "STP",
    0x4E: "RS511",
    0x7E: "ISO8208",
    0x8E: "ProWay",
    0xAA: "SNAP",
    0xE0: "IPX",
    0xF0: "NetBeui",
    0xFF: "Global",
}  # print-llc.c's llc_values
LLC_COMMANDS = {
    0x03: "ui",
    0xE3: "test",
    0xAF: "xid",
    0x63: "ua",
    0x43: "disc",
    0x0F: "dm",
    0x6F: "sabme",
    0x87: "frmr",
}
STP_VERSIONS = {0: "802.1d", 2: "802.1w", 3: "802.1s", 4: "802.1aq"}
STP_FLAGS = [
    (0x01, "Topology change"),
    (0x02, "Proposal"),
    (0x10, "Learn"),
    (0x20, "Forward"),
    (0x40, "Agreement"),
    (0x80, "Topology change ACK"),
]


def ether(ctx: Context, data: bytes, wire_len: int) -> str:
    """print-ether.c: an Ethernet frame (also one bridged inside GRE), by its ethertype past any VLAN tags."""
    if len(data) < 14:
        return "[|ether]"
    etype, off = l3(data)
    head = ""
    if ctx.link:
        outer = int.from_bytes(data[12:14], "big")
        head = f"{etheraddr(data[6:12])} > {etheraddr(data[0:6])}, {ethertype(ctx, outer)}, length {wire_len}: "
        for tci, inner in vlan_tags(data):
            head += f"vlan {tci & 0xFFF}, p {tci >> 13}{', DEI' if tci & 0x1000 else ''}, {ethertype(ctx, inner)}, "
    if etype < 0x600 and off == 14:  # 802.3: a length, then an LLC header (spanning tree, NetBIOS, ...)
        text = llc_frame(ctx, data, wire_len)
        if text is not None:
            return text
    body = data[off:]
    if etype == 0x0800:
        return head + ipv4(ctx, body, wire_len - off)
    if etype == 0x86DD:
        return head + ipv6(ctx, body, wire_len - off)
    if etype == 0x0806:
        return head + arp(ctx, body, wire_len - off)
    if etype in (0x8847, 0x8848):
        return head + mpls(ctx, body, wire_len - off)
    if not ctx.link:
        head = f"{etheraddr(data[6:12])} > {etheraddr(data[0:6])}, {ethertype(ctx, etype)}, length {wire_len}: "
    if ctx.quiet:
        return head
    ctx.dumped = True  # tcpdump's default print, which -x/-X replace with their own dump
    return head + ("\n" + hexdump(body, ascii=not ctx.hex_only) if body else "")


def ethertype(ctx: Context, t: int) -> str:
    """print-ether.c's ether_type_print: shorter with -q."""
    if ctx.quiet:
        return ETHERTYPE_NAMES.get(t, f"Unknown Ethertype (0x{t:04x})")
    return f"ethertype {ETHERTYPE_NAMES.get(t, 'Unknown')} (0x{t:04x})"


def header_len(data: bytes) -> int:
    """Where the link layer ends (after any VLAN tags, or an 802.2 LLC and SNAP header): where -x/-X dumps start."""
    etype, off = l3(data)
    if etype < 0x600 and off == 14:
        return 14 + llc_header_len(data)
    return off


def llc_frame(ctx: Context, data: bytes, wire_len: int) -> str | None:
    """print-ether.c's 802.3 frame and print-llc.c's LLC header, and what it carries; None where tcpdump goes elsewhere.

    Decoded: spanning tree BPDUs, IP, IPv4 and ARP over SNAP, the frame kinds of other SAPs; not IPX, OSI, CDP, ...
    """
    b, length = _llc_bytes(data, wire_len)
    head = f"{etheraddr(data[6:12])} > {etheraddr(data[0:6])}, 802.3, length {length}: " if ctx.link else ""
    if len(b) < 3 or length < 3:  # tcpdump dumps what there is whether or not -x asks for it
        return head + " [|llc]" + ("\n" + hexdump(b, ascii=True) if b else "")
    dsap_f, ssap_f, control = b[0], b[1], b[2]
    hl = 3 if control & 3 == 3 else 4
    if hl == 4:
        if len(b) < 4 or length < 4:
            return head + " [|llc]\n" + hexdump(b, ascii=True)
        control = int.from_bytes(b[2:4], "little")
    dsap, ssap = dsap_f & 0xFE, ssap_f & 0xFE
    if dsap_f == ssap_f == 0xFF or (dsap == ssap and control == 3 and dsap in (0xE0, 0xFE)):
        return None  # IPX and OSI have printers of their own in tcpdump
    if ctx.link:
        head += (
            f"LLC, dsap {LLC_SAPS.get(dsap, 'Unknown')} (0x{dsap:02x}) {'Group' if dsap_f & 1 else 'Individual'}, "
            f"ssap {LLC_SAPS.get(ssap, 'Unknown')} (0x{ssap:02x}) {'Response' if ssap_f & 1 else 'Command'}, "
            f"ctrl 0x{control:0{2 if hl == 3 else 4}x}: "
        )
    rest, left = b[hl:], length - hl
    if dsap == ssap == 0xAA and control == 3:  # SNAP: an organisation code and a protocol
        if len(rest) < 5 or left < 5:
            return head + " [|snap]"
        oui, et = int.from_bytes(rest[0:3], "big"), int.from_bytes(rest[3:5], "big")
        if oui != 0 or et not in (0x0800, 0x86DD, 0x0806):
            return None  # CDP, LLDP and the others have printers of their own in tcpdump
        if ctx.link:
            head += f"oui Ethernet (0x000000), ethertype {ETHERTYPE_NAMES[et]} (0x{et:04x}), length {left - 5}: "
        inner, n = rest[5:], left - 5
        return head + (
            ipv4(ctx, inner, n) if et == 0x0800 else ipv6(ctx, inner, n) if et == 0x86DD else arp(ctx, inner, n)
        )
    if dsap == ssap == 0x42 and control == 3:
        return head + _stp(ctx, rest, left)
    if dsap == ssap == 0x06 and control == 3:  # RFC 948: IP straight after the LLC header
        return head + ipv4(ctx, rest, left)
    if not ctx.link:
        src, dst = etheraddr(data[6:12]), etheraddr(data[0:6])
        head = (
            f"{src} > {dst} {LLC_SAPS.get(dsap, f'Unknown DSAP 0x{dsap:02x}')} "
            if dsap == ssap
            else f"{src} {LLC_SAPS.get(ssap, f'Unknown SSAP 0x{ssap:02x}')} > {dst} "
            f"{LLC_SAPS.get(dsap, f'Unknown DSAP 0x{dsap:02x}')} "
        )
    flags = {0: "Command", 1: "Response", 0x10: "Poll", 0x11: "Final", 0x100: "Poll", 0x101: "Final"}
    if hl == 3:
        s = (
            head + f"Unnumbered, {LLC_COMMANDS.get(control & 0xEF, f'{control & 0xEF:02x}')}, "
            f"Flags [{flags[(ssap_f & 1) | (control & 0x10)]}], length {length}"
        )
        if control & 0xEF == 0xAF and left == 0:  # an XID without payload
            return s
        if control & 0xEF == 0xAF and rest and rest[0] == 0x81:  # the XID format identifier: class and window
            return s + (
                f": {rest[1]:02x} {rest[2]:02x}"
                if len(rest) >= 3 and left >= 3
                else " [|llc]\n" + hexdump(rest, ascii=True)
            )
    elif control & 1:
        return (
            head + f"Supervisory, {['Receiver Ready', 'Receiver not Ready', 'Reject', '?'][(control >> 2) & 3]}, "
            f"rcv seq {(control >> 9) & 0x7F}, Flags [{flags[(ssap_f & 1) | (control & 0x100)]}], length {length}"
        )
    else:
        s = (
            head + f"Information, send seq {(control >> 1) & 0x7F}, rcv seq {(control >> 9) & 0x7F}, "
            f"Flags [{flags[(ssap_f & 1) | (control & 0x100)]}], length {length}"
        )
    if ctx.dumps or ctx.quiet:  # the raw frame is tcpdump's default print, which -x/-X/-q leave out
        return s
    ctx.dumped = True
    return s + "\n" + hexdump(b, ascii=True)


def llc_header_len(data: bytes) -> int:
    """How much of an 802.3 frame after its 14-byte header is LLC (and SNAP): where its -x/-X dumps start."""
    b, length = _llc_bytes(data, len(data))
    return _llc_len(b, length)


def _llc_bytes(data: bytes, wire_len: int) -> tuple[bytes, int]:
    """An 802.3 frame's LLC part as captured and its length: the length field's, unless the frame is shorter."""
    length = min(int.from_bytes(data[12:14], "big"), wire_len - 14)
    return data[14 : 14 + length], length


def _llc_len(b: bytes, length: int) -> int:
    """How many bytes print-llc.c counts as link-layer header (LLC, and SNAP's 5): where -x dumps start."""
    if len(b) < 3 or length < 3:
        return min(len(b), length)
    if b[2] & 3 != 3:
        if len(b) < 4 or length < 4:
            return min(len(b), length)
        return 4
    if b[0] == b[1] == 0xFF:
        return 0
    return 8 if b[0] & 0xFE == b[1] & 0xFE == 0xAA and b[2] == 3 else 3


def _stp(ctx: Context, b: bytes, length: int) -> str:
    """print-stp.c without -v: the protocol, the BPDU type, its flags, the sender's bridge and port."""
    if length < 4:
        return " (invalid)"
    s = ""
    try:
        if int.from_bytes(need(b, 2)[0:2], "big"):
            return f"unknown STP version, length {length}"
        version = need(b, 3)[2]
        s = "STP " + STP_VERSIONS.get(version, f"Unknown STP protocol (0x{version:02x})")
        if version not in STP_VERSIONS:
            return s
        bpdu = need(b, 4)[3]
        s += ", " + {0: "Config", 2: "Rapid STP", 0x80: "Topology Change"}.get(
            bpdu, f"Unknown BPDU Type (0x{bpdu:02x})"
        )
        if bpdu == 0 or (bpdu == 2 and version == 2):
            if length < (35 if bpdu == 0 else 36):
                return s + " (invalid)"
            s += f", Flags [{_stp_flags(need(b, 5)[4])}]"
            need(b, 27)
            return s + (
                f", bridge-id {b[17:19].hex()}.{etheraddr(b[19:25])}.{int.from_bytes(b[25:27], 'big'):04x}"
                f", length {length}"
            )
        if bpdu == 2 and version in (3, 4):  # MSTP (and SPB): the CIST flags
            if length < 102 or need(b, 36)[35] != 0:
                return s + " (invalid)"
            mstp = int.from_bytes(need(b, 38)[36:38], "big") + 2
            if length < 36 + mstp:
                return s + " (invalid)"
            s += f", CIST Flags [{_stp_flags(b[4])}], length {length}"
            if version == 4:
                spb = int.from_bytes(need(b, 38 + mstp)[36 + mstp : 38 + mstp], "big") + 2
                if length < 36 + mstp + spb or spb < 87:
                    return s + " (invalid)"
        return s
    except Cut:
        ctx.whole = True
        return s + " [|stp]"


def _stp_flags(f: int) -> str:
    """print-stp.c's BPDU flags, in bittok2str's words ("none" when none is set)."""
    return ", ".join(name for bit, name in STP_FLAGS if f & bit) or "none"


# --- layers ---
def arp(ctx: Context, b: bytes, length: int) -> str:
    """print-arp.c: IPv4 over any hardware; other protocols or lengths only named, as tcpdump does."""
    if len(b) < 8:
        ctx.whole = True  # tcpdump's GET macros longjmp out of a cut header
        return " [|arp]"
    hrd, pro, hln, pln, op = (
        int.from_bytes(b[0:2], "big"),
        int.from_bytes(b[2:4], "big"),
        b[4],
        b[5],
        int.from_bytes(b[6:8], "big"),
    )
    if hrd == 19:  # ATM (RFC 2225) lays its addresses out differently
        return _atmarp(ctx, b, length)
    sha, spa, tha, tpa = 8, 8 + hln, 8 + hln + pln, 8 + 2 * hln + pln
    if len(b) < tpa + pln:
        ctx.whole = True
        return " [|arp]"
    s = "" if ctx.link else "ARP, "
    over_ipv4 = pro in (0x0800, 0x1000)  # IPv4, or trailer encapsulation (also IPv4)
    if not over_ipv4 or pln != 4 or hln == 0:  # tcpdump does not know the address formats: names only
        return s + f"{_arp_hrd(hrd)} (len {hln}), {_arp_pro(pro)} (len {pln}), length {length}"
    link = functools.partial(_linkaddr, frelay=hrd == 15)
    s += ARP_OPS.get(op, f"Unknown ({op})") + " "
    if op == 1:
        s += f"who-has {ipaddr(b[tpa : tpa + 4])}" + (f" ({link(b[tha:tpa])})" if any(b[tha:tpa]) else "")
        s += f" tell {ipaddr(b[spa : spa + 4])}"
    elif op == 2:
        s += f"{ipaddr(b[spa : spa + 4])} is-at {link(b[sha:spa])}"
    elif op in (3, 8):
        s += f"who-is {link(b[tha:tpa])} tell {link(b[sha:spa])}"
    elif op == 4:
        s += f"{link(b[tha:tpa])} at {ipaddr(b[tpa : tpa + 4])}"
    elif op == 9:
        s += f"{link(b[sha:spa])} at {ipaddr(b[spa : spa + 4])}"
    else:  # tcpdump's default print: the ARP bytes in hex and ASCII, whatever -x says
        return s + "\n" + hexdump(b, ascii=True)
    return s + f", length {length}"


def _atmarp(ctx: Context, b: bytes, length: int) -> str:
    """print-arp.c's ATM ARP: type/length bytes for number and subaddress, protocol lengths apart."""
    if len(b) < 12:
        ctx.whole = True
        return " [|arp]"
    pro, op = int.from_bytes(b[2:4], "big"), int.from_bytes(b[6:8], "big")
    shl, ssl, spl, thl, tsl, tpl = b[4] & 0x3F, b[5] & 0x3F, b[8], b[9] & 0x3F, b[10] & 0x3F, b[11]
    sha = 12
    spa = sha + shl + ssl
    tha = spa + spl
    tpa = tha + thl + tsl
    if len(b) < tpa + tpl:
        ctx.whole = True
        return " [|arp]"
    s = "" if ctx.link else "ARP, "
    if pro not in (0x0800, 0x1000) or spl != 4 or tpl != 4:
        return s + f"ATM, {_arp_pro(pro)} (len {spl}/{tpl}), length {length}"

    def atm(at: int, hl: int, sl: int) -> str:
        return (
            "<No address>"
            if hl == 0
            else _linkaddr(b[at : at + hl]) + (f",{_linkaddr(b[at + hl : at + hl + sl])}" if sl else "")
        )

    s += ARP_OPS.get(op, f"Unknown ({op})") + " "
    if op == 1:
        s += (
            f"who-has {ipaddr(b[tpa : tpa + 4])}"
            + (f" ({atm(tha, thl, tsl)})" if thl else "")
            + f" tell {ipaddr(b[spa : spa + 4])}"
        )
    elif op == 2:
        s += f"{ipaddr(b[spa : spa + 4])} is-at {atm(sha, shl, ssl)}"
    elif op == 8:
        s += f"who-is {atm(tha, thl, tsl)} tell {atm(sha, shl, ssl)}"
    elif op == 9:
        s += f"{atm(sha, shl, ssl)}at {ipaddr(b[spa : spa + 4])}"  # sic: tcpdump prints no space before "at"
    elif op == 10:
        s += f"for {ipaddr(b[spa : spa + 4])}"
    else:
        return s + "\n" + hexdump(b, ascii=True)
    return s + f", length {length}"


def _arp_hrd(hrd: int) -> str:
    return ARP_HRD.get(hrd, f"Unknown Hardware ({hrd})")


def _arp_pro(pro: int) -> str:
    return ETHERTYPE_NAMES.get(pro, f"Unknown Protocol (0x{pro:04x})")


def _linkaddr(b: bytes, frelay: bool = False) -> str:
    """addrtoname.c's linkaddr_string: a MAC, a frame relay DLCI, or bytes in hex between colons."""
    if not b:
        return "<empty>"
    if frelay:
        return _q922(b)
    return ":".join(f"{x:02x}" for x in b)


def _q922(b: bytes) -> str:
    """print-fr.c's q922_string: "DLCI n" from a 2- to 4-byte Q.922 address, or what is wrong with it."""
    if not b:
        return "<Truncated>"
    if b[0] & 1:
        return "<Invalid DLCI>"
    if len(b) < 2:
        return "<Truncated>"
    dlci = ((b[0] & 0xFC) << 2) | (b[1] >> 4)
    if b[1] & 1:
        return f"DLCI {dlci}"
    if len(b) < 3:
        return "<Truncated>"
    i = 2
    if not b[2] & 1:  # a 4-byte address
        dlci, i = (dlci << 7) | (b[2] >> 1), 3
    if len(b) <= i:
        return "<Truncated>"
    if not b[i] & 1:
        return "<Invalid DLCI>"
    return f"DLCI {(dlci << 6) | (b[i] >> 2)}"
