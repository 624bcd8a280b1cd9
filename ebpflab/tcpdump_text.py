"""tcpdump's text: the lines ``tcpdump -n`` prints for a packet, and its -x/-X dumps (lab 06).

``Printer`` decodes Ethernet (and VLAN tags), 802.3 with LLC (spanning tree, SNAP), ARP, IPv4, IPv6 and its
extension headers, ICMP, ICMPv6, IGMP, UDP and TCP (with tcpdump's relative sequence numbers and its option
list), IP in IP, GRE, ESP and AH into the same words tcpdump uses, so that the tests can compare the two line
by line.
"""
from __future__ import annotations

import functools
import ipaddress
import subprocess
import time
from typing import Any

from .frames import l3, vlan_tags
from .pcap import Packet

# print-icmp.c's icmp2str: the types printed by name alone
ICMP_TYPES = {0: "echo reply", 4: "source quench", 8: "echo request", 10: "router solicitation",
              13: "time stamp request", 14: "time stamp reply", 15: "information request", 16: "information reply",
              17: "address mask request"}
# print-icmp.c's destination unreachable texts, by code: {0} is the quoted packet's destination
ICMP_UNREACH = {0: "net {0} unreachable", 1: "host {0} unreachable", 5: "{0} unreachable - source route failed",
                6: "net {0} unreachable - unknown", 7: "host {0} unreachable - unknown",
                8: "{0} unreachable - source host isolated", 9: "net {0} unreachable - admin prohibited",
                10: "host {0} unreachable - admin prohibited", 11: "net {0} unreachable - tos prohibited",
                12: "host {0} unreachable - tos prohibited", 13: "host {0} unreachable - admin prohibited filter",
                14: "host {0} unreachable - host precedence violation", 15: "host {0} unreachable - precedence cutoff"}
ICMP_REDIRECT = {0: "redirect {0} to net {1}", 1: "redirect {0} to host {1}", 2: "redirect-tos {0} to net {1}",
                 3: "redirect-tos {0} to host {1}"}
ICMP6_TYPES = {1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit",
               4: "parameter problem", 128: "echo request", 129: "echo reply", 130: "multicast listener query",
               131: "multicast listener report", 132: "multicast listener done", 133: "router solicitation",
               134: "router advertisement", 135: "neighbor solicitation", 136: "neighbor advertisement",
               137: "redirect", 138: "router renumbering", 141: "inverse neighbor solicitation",
               142: "inverse neighbor advertisement", 143: "multicast listener report v2", 144: "ha discovery request",
               145: "ha discovery reply", 146: "mobile router solicitation", 147: "mobile router advertisement",
               139: "who-are-you request", 140: "who-are-you reply", 200: "mtrace response", 201: "mtrace message",
               155: "RPL"}  # print-icmp6.c's names; 139 and 140 are also node information, named after who-are-you
ICMP6_UNREACH = {0: "unreachable route", 1: " unreachable prohibited", 2: "beyond scope", 3: "unreachable address",
                 4: "unreachable port"}  # sic: tcpdump's own leading space
ICMP6_PARAMPROB = {0: "erroneous", 1: "next header", 2: "option", 3: "incomplete header chain"}
# print-ether.c's ethertype_values (the first name wins): the -e header's names, and ARP's protocol names.
ETHERTYPE_NAMES = {
    0x0800: "IPv4", 0x8847: "MPLS unicast", 0x8848: "MPLS multicast", 0x86DD: "IPv6", 0x8100: "802.1Q",
    0x9100: "802.1Q-9100", 0x88A8: "802.1Q-QinQ", 0x9200: "802.1Q-9200", 0x88E5: "802.1AE MACsec", 0x0200: "PUP",
    0x0806: "ARP", 0x8035: "Reverse ARP", 0x0600: "NS", 0x0500: "Sprite", 0x1000: "Trail", 0x6001: "MOP DL",
    0x6002: "MOP RC", 0x6003: "DN", 0x6004: "LAT", 0x6007: "SCA", 0x6558: "TEB", 0x8038: "Lanbridge",
    0x803C: "DEC DNS", 0x803E: "DEC DTS", 0x805B: "VEXP", 0x805C: "VPROD", 0x809B: "Appletalk",
    0x80F3: "Appletalk ARP", 0x8137: "IPX", 0x880B: "PPP", 0x8808: "MPCP", 0x8809: "Slow Protocols",
    0x8863: "PPPoE D", 0x8864: "PPPoE S", 0x888E: "EAPOL", 0x8899: "Realtek protocols", 0x886F: "MS NLB heartbeat",
    0x8870: "Jumbo", 0x894F: "NSH", 0x9000: "Loopback", 0xFEFE: "OSI", 0x00FE: "GRE-OSI", 0xABCD: "CFM (old)",
    0x8902: "CFM", 0x893A: "IEEE1905.1", 0x88CC: "LLDP", 0x88CA: "TIPC", 0x0707: "GeoNet (old)", 0x8947: "GeoNet",
    0x1111: "CALM FAST", 0x88A2: "AoE", 0x88F7: "PTP", 0xD28B: "Arista Vendor Specific Protocol"}
ARP_OPS = {1: "Request", 2: "Reply", 3: "Reverse Request", 4: "Reverse Reply", 8: "Inverse Request",
           9: "Inverse Reply", 10: "NACK Reply"}
ARP_HRD = {1: "Ethernet", 6: "TokenRing", 7: "ArcNet", 15: "FrameRelay", 23: "Strip", 24: "IEEE 1394", 19: "ATM",
           32: "InfiniBand"}
TCP_FLAGS = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W")]


@functools.cache
def tcpdump_version() -> tuple[int, ...]:
    """The installed tcpdump's version, e.g. (4, 99, 5); the newest wording known if there is none."""
    try:
        out = subprocess.run(["tcpdump", "--version"], capture_output=True, text=True, timeout=10).stdout
        return tuple(int(x) for x in out.split("tcpdump version ", 1)[1].split()[0].split(".")[:3])
    except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
        return (4, 99, 5)


class Printer:
    """Turn packets into the lines ``tcpdump -n`` prints; keeps tcpdump's per-connection TCP state."""

    def __init__(self, link: bool = False, quiet: bool = False, absolute_seq: bool = False, hex_only: bool = False,
                 dumps: bool = False) -> None:
        self.link = link          # -e: print the Ethernet header (and VLAN tags)
        self.quiet = quiet        # -q: less protocol detail
        self.absolute = absolute_seq
        self.hex_only = hex_only  # -x: dumps of unknown types without the ASCII column
        self.dumps = dumps        # -x or -X: tcpdump's dump of the packet replaces its dumps of unknown payloads
        self.tcpdump = tcpdump_version()  # "the same text as tcpdump" means the tcpdump installed here
        self._tcp: dict[tuple, tuple[int, int]] = {}
        self.dumped = False  # the last line holds the dump -x/-X would add (an unknown ethertype's)
        self.whole = False   # tcpdump quit the last packet by longjmp: its -x/-X dump starts at the frame's start

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
            return self._describe(data, len(data) if wire_len is None else wire_len)
        except (IndexError, ValueError):  # cut by the snap length somewhere we did not foresee
            return "[|truncated]"
        except RecursionError:  # IP in IP in IP ... deeper than Python's stack (a crafted frame, not a network)
            return "[|truncated]"

    def _describe(self, data: bytes, wire_len: int) -> str:
        if len(data) < 14:
            return "[|ether]"
        etype, off = l3(data)
        head = ""
        if self.link:
            outer = int.from_bytes(data[12:14], "big")
            head = f"{_mac(data[6:12])} > {_mac(data[0:6])}, {self._ethertype(outer)}, length {wire_len}: "
            for tci, inner in vlan_tags(data):
                head += (f"vlan {tci & 0xFFF}, p {tci >> 13}{', DEI' if tci & 0x1000 else ''}, "
                         f"{self._ethertype(inner)}, ")
        if etype < 0x600 and off == 14:  # 802.3: a length, then an LLC header (spanning tree, NetBIOS, ...)
            text = self._llc_frame(data, wire_len)
            if text is not None:
                return text
        body = data[off:]
        if etype == 0x0800:
            return head + self._ipv4(body, wire_len - off)
        if etype == 0x86DD:
            return head + self._ipv6(body, wire_len - off)
        if etype == 0x0806:
            return head + self._arp(body, wire_len - off)
        if etype in (0x8847, 0x8848):
            return head + self._mpls(body, wire_len - off)
        if not self.link:
            head = f"{_mac(data[6:12])} > {_mac(data[0:6])}, {self._ethertype(etype)}, length {wire_len}: "
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
            b, length = _llc_bytes(data, len(data))
            return 14 + _llc_len(b, length)
        return off

    def _llc_frame(self, data: bytes, wire_len: int) -> str | None:
        """print-ether.c's 802.3 frame and print-llc.c's LLC header, and what it carries: spanning tree BPDUs, IP, IPv4
        and ARP over SNAP; the frame kinds of other SAPs. None for what is not decoded here (IPX, OSI, CDP, ...)."""
        b, length = _llc_bytes(data, wire_len)
        head = f"{_mac(data[6:12])} > {_mac(data[0:6])}, 802.3, length {length}: " if self.link else ""
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
        if self.link:
            head += (f"LLC, dsap {LLC_SAPS.get(dsap, 'Unknown')} (0x{dsap:02x}) {'Group' if dsap_f & 1 else 'Individual'}, "
                     f"ssap {LLC_SAPS.get(ssap, 'Unknown')} (0x{ssap:02x}) {'Response' if ssap_f & 1 else 'Command'}, "
                     f"ctrl 0x{control:0{2 if hl == 3 else 4}x}: ")
        rest, left = b[hl:], length - hl
        if dsap == ssap == 0xAA and control == 3:  # SNAP: an organisation code and a protocol
            if len(rest) < 5 or left < 5:
                return head + " [|snap]"
            oui, et = int.from_bytes(rest[0:3], "big"), int.from_bytes(rest[3:5], "big")
            if oui != 0 or et not in (0x0800, 0x86DD, 0x0806):
                return None  # CDP, LLDP and the others have printers of their own in tcpdump
            if self.link:
                head += f"oui Ethernet (0x000000), ethertype {ETHERTYPE_NAMES[et]} (0x{et:04x}), length {left - 5}: "
            inner, n = rest[5:], left - 5
            return head + (self._ipv4(inner, n) if et == 0x0800 else self._ipv6(inner, n) if et == 0x86DD
                           else self._arp(inner, n))
        if dsap == ssap == 0x42 and control == 3:
            return head + self._stp(rest, left)
        if dsap == ssap == 0x06 and control == 3:  # RFC 948: IP straight after the LLC header
            return head + self._ipv4(rest, left)
        if not self.link:
            src, dst = _mac(data[6:12]), _mac(data[0:6])
            head = (f"{src} > {dst} {LLC_SAPS.get(dsap, f'Unknown DSAP 0x{dsap:02x}')} " if dsap == ssap else
                    f"{src} {LLC_SAPS.get(ssap, f'Unknown SSAP 0x{ssap:02x}')} > {dst} "
                    f"{LLC_SAPS.get(dsap, f'Unknown DSAP 0x{dsap:02x}')} ")
        flags = {0: "Command", 1: "Response", 0x10: "Poll", 0x11: "Final", 0x100: "Poll", 0x101: "Final"}
        if hl == 3:
            s = (head + f"Unnumbered, {LLC_COMMANDS.get(control & 0xEF, f'{control & 0xEF:02x}')}, "
                 f"Flags [{flags[(ssap_f & 1) | (control & 0x10)]}], length {length}")
            if control & 0xEF == 0xAF and left == 0:  # an XID without payload
                return s
            if control & 0xEF == 0xAF and rest and rest[0] == 0x81:  # the XID format identifier: class and window
                return s + (f": {rest[1]:02x} {rest[2]:02x}" if len(rest) >= 3 and left >= 3 else
                            " [|llc]\n" + hexdump(rest, ascii=True))
        elif control & 1:
            return (head + f"Supervisory, {['Receiver Ready', 'Receiver not Ready', 'Reject', '?'][(control >> 2) & 3]}, "
                    f"rcv seq {(control >> 9) & 0x7F}, Flags [{flags[(ssap_f & 1) | (control & 0x100)]}], length {length}")
        else:
            s = (head + f"Information, send seq {(control >> 1) & 0x7F}, rcv seq {(control >> 9) & 0x7F}, "
                 f"Flags [{flags[(ssap_f & 1) | (control & 0x100)]}], length {length}")
        if self.dumps or self.quiet:  # the raw frame is tcpdump's default print, which -x/-X/-q leave out
            return s
        self.dumped = True
        return s + "\n" + hexdump(b, ascii=True)

    def _stp(self, b: bytes, length: int) -> str:
        """print-stp.c without -v: the protocol, the BPDU type, its flags, the sender's bridge and port."""
        if length < 4:
            return " (invalid)"
        s = ""
        try:
            if int.from_bytes(_need(b, 2)[0:2], "big"):
                return f"unknown STP version, length {length}"
            version = _need(b, 3)[2]
            s = "STP " + STP_VERSIONS.get(version, f"Unknown STP protocol (0x{version:02x})")
            if version not in STP_VERSIONS:
                return s
            bpdu = _need(b, 4)[3]
            s += ", " + {0: "Config", 2: "Rapid STP", 0x80: "Topology Change"}.get(bpdu, f"Unknown BPDU Type (0x{bpdu:02x})")
            if bpdu == 0 or (bpdu == 2 and version == 2):
                if length < (35 if bpdu == 0 else 36):
                    return s + " (invalid)"
                s += f", Flags [{_stp_flags(_need(b, 5)[4])}]"
                _need(b, 27)
                return s + (f", bridge-id {b[17:19].hex()}.{_mac(b[19:25])}.{int.from_bytes(b[25:27], 'big'):04x}"
                            f", length {length}")
            if bpdu == 2 and version in (3, 4):  # MSTP (and SPB): the CIST flags
                if length < 102 or _need(b, 36)[35] != 0:
                    return s + " (invalid)"
                mstp = int.from_bytes(_need(b, 38)[36:38], "big") + 2
                if length < 36 + mstp:
                    return s + " (invalid)"
                s += f", CIST Flags [{_stp_flags(b[4])}], length {length}"
                if version == 4:
                    spb = int.from_bytes(_need(b, 38 + mstp)[36 + mstp:38 + mstp], "big") + 2
                    if length < 36 + mstp + spb or spb < 87:
                        return s + " (invalid)"
            return s
        except _Cut:
            self.whole = True
            return s + " [|stp]"

    # --- layers ---
    def _arp(self, b: bytes, length: int) -> str:
        """print-arp.c: IPv4 over any hardware; other protocols or lengths only named, as tcpdump does."""
        if len(b) < 8:
            self.whole = True  # tcpdump's GET macros longjmp out of a cut header
            return " [|arp]"
        hrd, pro, hln, pln, op = int.from_bytes(b[0:2], "big"), int.from_bytes(b[2:4], "big"), b[4], b[5], \
            int.from_bytes(b[6:8], "big")
        if hrd == 19:  # ATM (RFC 2225) lays its addresses out differently
            return self._atmarp(b, length)
        sha, spa, tha, tpa = 8, 8 + hln, 8 + hln + pln, 8 + 2 * hln + pln
        if len(b) < tpa + pln:
            self.whole = True
            return " [|arp]"
        s = "" if self.link else "ARP, "
        ipv4 = pro in (0x0800, 0x1000)  # IPv4, or trailer encapsulation (also IPv4)
        if not ipv4 or pln != 4 or hln == 0:  # tcpdump does not know the address formats: names only
            return s + f"{_arp_hrd(hrd)} (len {hln}), {_arp_pro(pro)} (len {pln}), length {length}"
        link = functools.partial(_linkaddr, frelay=hrd == 15)
        s += ARP_OPS.get(op, f"Unknown ({op})") + " "
        if op == 1:
            s += f"who-has {_ip4(b[tpa:tpa + 4])}" + (f" ({link(b[tha:tpa])})" if any(b[tha:tpa]) else "")
            s += f" tell {_ip4(b[spa:spa + 4])}"
        elif op == 2:
            s += f"{_ip4(b[spa:spa + 4])} is-at {link(b[sha:spa])}"
        elif op in (3, 8):
            s += f"who-is {link(b[tha:tpa])} tell {link(b[sha:spa])}"
        elif op == 4:
            s += f"{link(b[tha:tpa])} at {_ip4(b[tpa:tpa + 4])}"
        elif op == 9:
            s += f"{link(b[sha:spa])} at {_ip4(b[spa:spa + 4])}"
        else:  # tcpdump's default print: the ARP bytes in hex and ASCII, whatever -x says
            return s + "\n" + hexdump(b, ascii=True)
        return s + f", length {length}"

    def _atmarp(self, b: bytes, length: int) -> str:
        """print-arp.c's ATM ARP: type/length bytes for number and subaddress, protocol lengths apart."""
        if len(b) < 12:
            self.whole = True
            return " [|arp]"
        pro, op = int.from_bytes(b[2:4], "big"), int.from_bytes(b[6:8], "big")
        shl, ssl, spl, thl, tsl, tpl = b[4] & 0x3F, b[5] & 0x3F, b[8], b[9] & 0x3F, b[10] & 0x3F, b[11]
        sha = 12
        spa = sha + shl + ssl
        tha = spa + spl
        tpa = tha + thl + tsl
        if len(b) < tpa + tpl:
            self.whole = True
            return " [|arp]"
        s = "" if self.link else "ARP, "
        if pro not in (0x0800, 0x1000) or spl != 4 or tpl != 4:
            return s + f"ATM, {_arp_pro(pro)} (len {spl}/{tpl}), length {length}"

        def atm(at: int, hl: int, sl: int) -> str:
            return "<No address>" if hl == 0 else _linkaddr(b[at:at + hl]) + (f",{_linkaddr(b[at + hl:at + hl + sl])}" if sl else "")
        s += ARP_OPS.get(op, f"Unknown ({op})") + " "
        if op == 1:
            s += f"who-has {_ip4(b[tpa:tpa + 4])}" + (f" ({atm(tha, thl, tsl)})" if thl else "") + f" tell {_ip4(b[spa:spa + 4])}"
        elif op == 2:
            s += f"{_ip4(b[spa:spa + 4])} is-at {atm(sha, shl, ssl)}"
        elif op == 8:
            s += f"who-is {atm(tha, thl, tsl)} tell {atm(sha, shl, ssl)}"
        elif op == 9:
            s += f"{atm(sha, shl, ssl)}at {_ip4(b[spa:spa + 4])}"  # sic: tcpdump prints no space before "at"
        elif op == 10:
            s += f"for {_ip4(b[spa:spa + 4])}"
        else:
            return s + "\n" + hexdump(b, ascii=True)
        return s + f", length {length}"

    def _ipv4(self, body: bytes, length: int) -> str:
        """print-ip.c's ip_print: "IP " (not with -e) and the packet; over Ethernet, or inside IP or GRE."""
        if not body and self.tcpdump < (4, 99, 5):
            self.whole = True
            return " [|ip]"
        if body and body[0] >> 4 != 4 and self.tcpdump < (4, 99, 5):  # 4.99.3 says so before "IP "
            v = body[0] >> 4
            return ("IP6, wrong link-layer encapsulation" if v == 6 else f"IP{v}") + " (invalid)"
        return ("" if self.link else "IP ") + self._ip(body, length)

    def _ipv6(self, body: bytes, length: int) -> str:
        """print-ip6.c's ip6_print: "IP6 " (not with -e) and the packet; over Ethernet, or inside IP or GRE."""
        if self.tcpdump >= (4, 99, 5) and length < 40:  # 4.99.5 checks the length first
            return ("" if self.link else "IP6 ") + f" [length {length} < 40] (invalid)"
        if len(body) < 40:
            return " [|ip6]"
        if body[0] >> 4 != 6:
            v = body[0] >> 4
            return ("" if self.link else "IP6 ") + (f" [version {v} != 6] (invalid)" if self.tcpdump >= (4, 99, 5)
                                                    else f"version error: {v} != 6")
        return ("" if self.link else "IP6 ") + self._ip6(body, length)

    def _ip(self, b: bytes, wire: int) -> str:
        new = self.tcpdump >= (4, 99, 5)  # 4.99.5 words invalid IPv4 lengths differently (Debian 13)
        if new and wire < 20:
            return f" [length {wire} < 20] (invalid)"
        if new and b and b[0] >> 4 != 4:
            return f" [version {b[0] >> 4} != 4] (invalid)"
        if new and len(b) < 20:  # 4.99.5 checks the header length and fetches the total length before the cut
            if len(b) >= 1 and (b[0] & 0x0F) * 4 < 20:
                return f" [header length {(b[0] & 0x0F) * 4} < 20] (invalid)"
            self.whole = len(b) < 4  # its fetch of the version or of the total length quits by longjmp
            total = int.from_bytes(b[2:4], "big") if len(b) >= 4 else 0
            return ("" if total <= wire else f"[total length {total} > length {wire}] (invalid) ") + " [|ip]"
        if len(b) < 20:
            return " [|ip]"
        ihl = (b[0] & 0x0F) * 4
        if ihl < 20:
            return f" [header length {ihl} < 20] (invalid)" if new else f"bad-hlen {ihl}"
        total = int.from_bytes(b[2:4], "big")
        if new and total == 0:  # 4.99.5 takes a zero total length for a TSO send: the frame's length counts
            total = wire
        if total < ihl:
            return f" [total length {total} < {ihl}] (invalid)" if new else f"bad-len {total}"
        src, dst, proto = _ip4(b[12:16]), _ip4(b[16:20]), b[9]
        frag = int.from_bytes(b[6:8], "big")
        pre = "" if total <= wire else (f"[total length {total} > length {wire}] (invalid) " if new
                                        else f"truncated-ip - {total - wire} bytes missing! ")
        payload = b[ihl:total]
        if frag & 0x1FFF:
            return f"{pre}{src} > {dst}: ip-proto-{proto}"
        if len(payload) == 0 and min(len(b), total) < ihl:  # the options were cut: tcpdump quits by longjmp
            self.whole = True
            return (pre + ("" if proto in (6, 17, 33, 132) else f"{src} > {dst}: ")
                    + f" [remaining caplen({min(len(b), total)}) < header length({ihl})] [|ip]")
        return pre + self._l4(proto, payload, src, dst, total - ihl, False, (b[12:16], b[16:20]),
                              fragmented=bool(frag & 0x2000))

    def _ip6(self, b: bytes, length: int) -> str:
        """print-ip6.c's walk: extension headers one by one, a jumbo payload length found in the hop-by-hop
        options, the snap length cut to the packet's own length; then the upper layer."""
        if len(b) < 40:
            return " [|ip6]"
        plen, hdr_plen = int.from_bytes(b[4:6], "big"), int.from_bytes(b[4:6], "big")
        src, dst = _ip6(b[8:24]), _ip6(b[24:40])
        s = ""
        if plen:
            total = plen + 40
            if length < total:
                s = self._ip6_short(total, length)
        else:  # a jumbogram, perhaps: its length is in the hop-by-hop options
            total = length + 40
        data = b[:total]  # tcpdump cuts the snap length to the end of the packet (never lengthens it)
        nh, ph, off, adv, left = b[6], 255, 0, 40, total
        found_ext = found_jumbo = found_hbh = fragmented = False
        while off < len(data) and adv > 0:
            if left < adv:
                return s + " [|ip6]"
            off, left = off + adv, left - adv
            if off == 40 and nh not in (6, 17, 33, 132):  # TCP, UDP, DCCP and SCTP print the addresses themselves
                s += f"{src} > {dst}: "
            if nh == 0:
                if found_hbh:
                    return s + "[The Hop-by-Hop Options header was already found] (invalid)"
                if ph != 255:
                    return s + "[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)"
                text, adv, jumbo = self._hbh(data[off:], plen)
                s += text
                if self.whole:  # its length byte was not captured: tcpdump quit there
                    return s
                if jumbo:
                    found_jumbo, plen = True, jumbo
                if plen == 0:
                    return s + "[No valid Jumbo Payload Hop-by-Hop option found] (invalid)"
                if adv < 0:
                    return s
                found_ext = found_hbh = True
            elif nh == 60:
                if len(data) < off + 2:
                    self.whole = True
                    return s + " [|dstopt]"
                adv = (data[off + 1] + 1) * 8
                if len(data) < off + adv:
                    return s + " [|dstopt]"
                s += "DSTOPT "
                found_ext = True
            elif nh == 44:
                if len(data) < off + 4:
                    self.whole = True
                    # 4.99.5 prints "frag (" before it fetches the offset; 4.99.3 after
                    return s + ("frag (" if self.tcpdump >= (4, 99, 5) else "") + " [|frag6]"
                fo = int.from_bytes(data[off + 2:off + 4], "big") & 0xFFF8
                rest = 40 + hdr_plen - off - 8  # what follows the fragment header, by the IPv6 payload length
                s += f"frag ({fo}|" + (f"{rest & 0xFFFFFFFFFFFFFFFF})" if rest >= 0 or self.tcpdump < (4, 99, 5)
                                       else "[length < 0] (invalid))")  # 4.99.3 prints the size_t it wrapped to
                if fo or len(data) <= off + 8:  # a later fragment, or nothing captured after this header
                    return s + ("" if fo else " ")
                s += " "
                adv, found_ext, fragmented = 8, True, True
            elif nh == 43:
                if len(data) <= off:
                    return s + " [|ip6]"
                text, adv = _rt6(data[off:], self.tcpdump)
                s += text
                if adv < 0:
                    self.whole = text.endswith("[|rt6]")  # a fetch past the capture: tcpdump's longjmp
                    return s
                found_ext = True
            else:  # the upper layer
                if found_jumbo:
                    if plen + 40 < off:
                        return s + " [|ip6]"
                    if length < plen + 40:
                        s += self._ip6_short(plen + 40, length)
                    data, left = data[:plen + 40], plen + 40 - off
                elif plen == 0:  # no length and no jumbo option: an empty payload
                    if found_ext:
                        return s + " [|ip6]"
                    data, left = data[:40], 0
                return s + self._l4(nh, data[off:], src, dst, left, True, (b[8:24], b[24:40]),
                                    ports_only=b[6] not in (6, 17), fragmented=fragmented)
            ph, nh = nh, data[off]
        return s

    def _ip6_short(self, total: int, length: int) -> str:
        """The words for an IPv6 packet longer than the frame carrying it, in the installed tcpdump's wording."""
        if self.tcpdump >= (4, 99, 5):
            return f"[header+payload length {total} > length {length}] (invalid) "
        return f"truncated-ip6 - {total - length} bytes missing!"

    def _hbh(self, h: bytes, plen: int) -> tuple[str, int, int]:
        """print-ip6opts.c's hop-by-hop header without -v: "HBH ", what is wrong with its options, its length
        (-1 when tcpdump stops there) and the jumbo payload length it holds (0 for none valid)."""
        if len(h) < 2:
            self.whole = True
            return " [|hbhopt]", -1, 0
        hlen = (h[1] + 1) * 8
        if len(h) < hlen:
            return " [|hbhopt]", -1, 0
        opts, i, s, jumbo, seen = h[2:hlen], 0, "HBH ", 0, False
        n = len(opts)
        while i < n:
            t = opts[i]
            if t != 0 and i + 1 >= n:
                return s + " [|hbhopt]", -1, jumbo
            optlen = 1 if t == 0 else opts[i + 1] + 2
            if i + optlen > n:
                return s + " [|hbhopt]", -1, jumbo
            need, name, want = {1: (2, "padn", None), 5: (4, "rtalert", 2), 0xC2: (6, "jumbo", 4),
                                0xC9: (18, "homeaddr", None)}.get(t, (2 if t else 0, f"type {t}", None))
            if n - i < need:
                return s + f"({name}: trunc) [|hbhopt]", -1, jumbo
            if want is not None and opts[i + 1] != want or t == 0xC9 and opts[i + 1] < 16:
                return s + f"({name}: invalid len {opts[i + 1]}) [|hbhopt]", -1, jumbo
            if t == 0xC2 and not seen:  # valid only with a zero payload length, and above 65535
                seen = True
                value = int.from_bytes(opts[i + 2:i + 6], "big")
                if plen == 0 and value >= 65536:
                    jumbo = value
            i += optlen
        return s, hlen, jumbo

    def _l4(self, proto: int, p: bytes, src: str, dst: str, length: int, v6: bool, raw: tuple[bytes, bytes],
            ports_only: bool = False, fragmented: bool = False) -> str:
        def addrs(sport: int, dport: int) -> str:
            if ports_only:
                return f"{sport} > {dport}: "
            return f"{src}.{sport} > {dst}.{dport}: "

        if proto == 17:
            if len(p) < 4:  # not even the ports
                return ("" if ports_only else f"{src} > {dst}: ") + " [|udp]"
            sport, dport = int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")
            if length < 8:
                return addrs(sport, dport) + f"truncated-udp {length}"
            if len(p) < 6:
                return addrs(sport, dport) + " [|udp]"
            ulen = int.from_bytes(p[4:6], "big")
            if ulen == 0 and length > 65535:  # a jumbogram's UDP length is the IP one (RFC 2675)
                ulen = length
            if ulen < 8:
                return addrs(sport, dport) + f"truncated-udplength {ulen}"
            if len(p) < 8:
                return addrs(sport, dport) + " [|udp]"
            if ulen > length and not fragmented:  # longer than the IP payload that carries it
                return addrs(sport, dport) + f"UDP, bad length {ulen - 8} > {length - 8}"
            if 53 in (sport, dport) and not self.quiet:
                return addrs(sport, dport) + dns(p[8:ulen], ulen - 8)
            return addrs(sport, dport) + f"UDP, length {ulen - 8}"
        if proto == 6:
            return self._tcp_line(p, length, addrs, raw, v6, src, dst)
        if proto == 59:
            return ("" if ports_only else f"{src} > {dst}: ") + "no next header"
        wrong = {1: ("ICMP", False), 2: ("IGMP", False), 58: ("ICMPv6", True), 143: ("Ethernet", True)}.get(proto)
        if wrong and wrong[1] != v6:  # print-ip-demux.c: a protocol that only makes sense over the other IP
            return ("" if ports_only else f"{src} > {dst}: ") + f"[{wrong[0]} requires IPv{6 if wrong[1] else 4}] (invalid)"
        at = "" if ports_only else f"{src} > {dst}: "  # ports_only: the addresses were printed already
        if proto == 1 and not v6:
            return at + self._icmp(p, length)
        if proto == 58 and v6:
            return at + self._icmp6(p, length)
        if proto == 2 and not v6 and (not p or p[0] not in (0x13, 0x14)):  # DVMRP and PIMv1 are not decoded here
            return at + self._igmp(p, length)
        if proto == 89:
            return at + self._ospf(p, length, v6)
        if proto == 33:  # DCCP and SCTP print the addresses themselves, whatever headers came between
            return self._dccp(p, length, src, dst)
        if proto == 132:
            return self._sctp(p, length, src, dst)
        if proto == 51:  # AH, then what it protects, whose ports come without addresses (the IP says AH)
            text, hl = self._ah(p)
            if hl < 0:
                return at + text
            return at + text + self._l4(p[0], p[hl:], src, dst, (length - hl) & 0xFFFFFFFF, v6, raw,
                                        ports_only=True, fragmented=fragmented)
        decoder = {4: self._ipv4, 41: self._ipv6, 47: self._gre, 50: self._esp}.get(proto)
        if decoder:
            return at + decoder(p, length)
        return at + f" ip-proto-{proto} {length}"  # sic: two spaces

    def _mpls(self, p: bytes, length: int) -> str:
        """print-mpls.c without -v: the label stack, then IPv4 or IPv6 as the bottom label (or the first byte) tells."""
        s, at = "MPLS", 0
        try:
            while True:
                if length - at < 4:
                    return s + (" (invalid)" if len(p) >= length else " (invalid) [|mpls]")
                e = int.from_bytes(_need(p, at + 4)[at:at + 4], "big")
                s += f" (label {e >> 12}, tc {(e >> 9) & 7}{', [S]' if e & 0x100 else ''}, ttl {e & 0xFF})"
                at += 4
                if e & 0x100:
                    break
            label, rest, n = e >> 12, p[at:], length - at
            if label in (0, 3):
                return s + " " + self._ipv4(rest, n)
            if label == 2:
                return s + " " + self._ipv6(rest, n)
            if n < 1:
                return s
            first = _need(p, at + 1)[at]
        except _Cut:
            self.whole = True
            return s + " [|mpls]"
        if 0x45 <= first <= 0x4F:
            return s + " " + self._ipv4(rest, n)
        if 0x60 <= first <= 0x6F:
            return s + " " + self._ipv6(rest, n)
        if self.dumps or self.quiet or 0x81 <= first <= 0x83:  # OSI: not decoded here; -x/-X/-q: no default print
            return s
        self.dumped = True
        return s + "\n" + hexdump(rest, ascii=True)

    def _ospf(self, p: bytes, length: int, v6: bool) -> str:
        """print-ospf.c (over IPv4) and print-ospf6.c (over IPv6) without -v: version, packet type, length."""
        try:
            if not v6 and int.from_bytes(_need(p, 16)[14:16], "big") == 2:  # an MD5 trailer does not count
                length, p = (length - 16) & 0xFFFFFFFF, p[:len(p) - 16]
            t = _need(p, 2)[1]
        except _Cut:
            self.whole = True
            return f" [|ospf{3 if v6 else 2}]"
        unknown = f"unknown packet type ({t})" if v6 else f"unknown LS-type {t}"
        return f"OSPFv{p[0]}, {OSPF_TYPES.get(t, unknown)}, length {length}"

    def _dccp(self, p: bytes, length: int, src: str, dst: str) -> str:
        """print-dccp.c without -v: the ports, the packet type (with service or reset code) and the ack number."""
        if len(p) < 12:
            return " [|dccp]"
        if length < 12:
            return f"truncated-dccp - {12 - length} bytes missing!"
        basic = 16 if p[8] & 1 else 12  # the extended header has 48-bit sequence numbers
        if length < basic:
            return f"truncated-dccp - {basic - length} bytes missing!"
        if len(p) < basic:
            return " [|dccp]"
        s = f"{src}.{int.from_bytes(p[0:2], 'big')} > {dst}.{int.from_bytes(p[2:4], 'big')}: DCCP"
        hlen = p[4] * 4
        if self.quiet:
            return s + f" {(length - hlen) & 0xFFFFFFFF}" + (
                f" [bad hdr length {hlen} - too long, > {length}]" if hlen > length else "")
        t = (p[8] >> 1) & 0xF
        name = DCCP_TYPES.get(t, "")
        extra = {0: 4, 1: 12, 2: 0, 7: 12}.get(t, 8 if t < 10 else 0)  # what follows the generic header
        if length < basic + extra:
            return s + f" truncated-{name} - {basic + extra - length} bytes missing!"
        if t in (0, 1, 7) and len(p) < basic + extra:
            return s + "  [|dccp]"
        s += " " + (name or f"unknown-type-{t}") + " "
        if t in (0, 1):
            s += f"(service={int.from_bytes(p[basic + extra - 4:basic + extra], 'big')}) "
        elif t == 7:
            code = p[basic + 8]
            s += f"(code={DCCP_RESETS[code] if code < len(DCCP_RESETS) else 'invalid'}) "
        if t not in (0, 2):
            a, n = (basic + 2, 6) if basic == 16 else (basic + 1, 3)
            if len(p) < a + n:
                self.whole = True
                return s + " [|dccp]"
            s += f"(ack={int.from_bytes(p[a:a + n], 'big')}) "
        return s

    def _sctp(self, p: bytes, length: int, src: str, dst: str) -> str:
        """print-sctp.c without -v: the ports, then each chunk's number and type, with the fields of DATA, INIT,
        INIT ACK and SACK chunks. (ForCES payloads, which tcpdump decodes, are not.)"""
        if length < 12:
            return f"truncated-sctp - {12 - length} bytes missing!"
        if len(p) < 12:
            return " [|sctp]"
        sport, dport = int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")
        s = f"{src}.{sport} > {dst}.{dport}: sctp" + "".join(f"[{SCTP_FORCES[x]}]" for x in (sport, dport) if x in SCTP_FORCES)
        at, left, sep, n = 12, length - 12, " (", 0

        def u(a: int, k: int) -> int:
            return int.from_bytes(p[a:a + k], "big")
        while left:
            n += 1
            if left < 4:
                return s + f"{sep}{n}) [chunk descriptor cut off at end of packet]"
            if len(p) < at + 4:
                return s + " [|sctp]"
            ctype, flags, clen = p[at], p[at + 1], u(at + 2, 2)
            if clen < 4:
                return s + f"{sep}{n}) [Bad chunk length {clen}, < size of chunk descriptor]"
            align = -clen % 4
            if left < align:
                return s + f"{sep}{n}) [Bad chunk length {clen}, > remaining data in packet]"
            if len(p) < at + clen:
                return s + " [|sctp]"
            s += f"{sep}{n}) [{SCTP_CHUNKS.get(ctype, f'Unknown chunk type: 0x{ctype:x}')}] "
            body, rest = at + 4, clen - 4
            bogus = f"bogus chunk length {clen}]"
            if ctype == 0:  # DATA: unordered, beginning, end; TSN, stream, sequence, payload protocol
                marks = "".join(m for bit, m in ((4, "(U)"), (2, "(B)"), (1, "(E)")) if flags & bit)
                s += marks + (" " if marks else "")
                if rest < 12:
                    return s + bogus
                ppid = u(body + 8, 4)
                s += (f"[TSN: {u(body, 4)}] [SID: {u(body + 4, 2)}] [SSEQ {u(body + 6, 2)}] "
                      f"[PPID {SCTP_PPIDS.get(ppid, f'0x{ppid:x}')}] ")
                if rest == 12:
                    return s + bogus
            elif ctype in (1, 2):  # INIT, INIT ACK: tag, window, streams, first TSN
                if rest < 16:
                    return s + bogus
                s += (f"[init tag: {u(body, 4)}] [rwnd: {u(body + 4, 4)}] [OS: {u(body + 8, 2)}] "
                      f"[MIS: {u(body + 10, 2)}] [init TSN: {u(body + 12, 4)}] ")
            elif ctype == 3:  # SACK: cumulative ack, window, gap blocks, duplicate TSNs
                if rest < 12:
                    return s + bogus
                cum, gaps, dups = u(body, 4), u(body + 8, 2), u(body + 10, 2)
                s += f"[cum ack {cum}] [a_rwnd {u(body + 4, 4)}] [#gap acks {gaps}] [#dup tsns {dups}] "
                a, r = body + 12, rest - 12
                for i in range(gaps):
                    if not r:
                        break
                    if r < 4:
                        return s + bogus
                    s += (f"\n\t\t[gap ack block #{i + 1}: start = {(cum + u(a, 2)) & 0xFFFFFFFF}, "
                          f"end = {(cum + u(a + 2, 2)) & 0xFFFFFFFF}] ")
                    a, r = a + 4, r - 4
                for i in range(dups):
                    if not r:
                        break
                    if r < 4:
                        return s + bogus
                    s += f"\n\t\t[dup TSN #{i + 1}: {u(a, 4)}] "
                    a, r = a + 4, r - 4
            at, left, sep = at + clen, left - clen, ", ("
            if align:
                if len(p) < at + align:
                    return s + " [|sctp]"
                at, left = at + align, left - align
        return s

    def _igmp(self, p: bytes, length: int) -> str:
        """print-igmp.c without -v: queries (v1, v2, v3), reports, leaves, multicast traceroute; "igmp" with -q."""
        if self.quiet:
            return "igmp"
        s = ""
        try:
            t = _need(p, 1)[0]
            if t == 0x11:
                s = "igmp query"
                if length >= 12:
                    return s + _igmpv3_query(p, length)
                s += f" v2{f' [max resp time {p[1]}]' if p[1] != 100 else ''}" if _need(p, 2)[1] else " v1"
                group = int.from_bytes(_need(p, 8)[4:8], "big")
                return s + (f" [gaddr {_ip4(p[4:8])}]" if group else "") + (f" [len {length}]" if length != 8 else "")
            if t in (0x12, 0x16, 0x17):
                s = {0x12: "igmp v1 report ", 0x16: "igmp v2 report ", 0x17: "igmp leave "}[t] + _ip4(_need(p, 8)[4:8])
                return s + (f" [len {length}]" if t == 0x12 and length != 8 else "")
            if t == 0x22:
                if length < 16 or length & 3:
                    return f"igmp v3 report [invalid len {length}]"
                return f"igmp v3 report, {int.from_bytes(_need(p, 8)[6:8], 'big')} group record(s)"
            if t in (0x1E, 0x1F):  # a multicast traceroute query or response
                if length < 24:
                    return f" [invalid len {length}]"
                _need(p, 24)
                s = (f"{'mresp' if t == 0x1E else 'mtrace'} {int.from_bytes(p[21:24], 'big')}: {_ip4(p[8:12])} to "
                     f"{_ip4(p[12:16])} reply-to {_ip4(p[16:20])}")
                return s + (f" with-ttl {p[20]}" if 224 <= p[16] <= 239 else "")
            return f"igmp-{t}"
        except _Cut as cut:
            self.whole = True
            return s + str(cut) + " [|igmp]"

    def _ah(self, p: bytes) -> tuple[str, int]:
        """print-ah.c without -v: SPI, sequence number, ICV in hex; the header's length, or -1 where it stops."""
        if not p:
            return " [|ah]", -1  # ip_demux_print's ND_TTEST: no longjmp
        s = "AH"
        try:
            hl = (_need(p, 2)[1] + 2) * 4
            s += "("
            reserved = int.from_bytes(_need(p, 4)[2:4], "big")
            s += f"reserved=0x{reserved:x}[MustBeZero]," if reserved else ""
            s += f"spi=0x{int.from_bytes(_need(p, 8)[4:8], 'big'):08x},"
            s += f"seq=0x{int.from_bytes(_need(p, 12)[8:12], 'big'):x},icv=0x"
            for i in range(12, hl):
                s += f"{_need(p, i + 1)[i]:02x}"
        except _Cut:
            self.whole = True
            return s + " [|ah]", -1
        return s + "): ", hl

    def _esp(self, p: bytes, length: int) -> str:
        """print-esp.c without a secret (-E) to decrypt with: the SPI and the sequence number."""
        if len(p) <= 8:
            return " [|esp]"
        return f"ESP(spi=0x{int.from_bytes(p[0:4], 'big'):08x},seq=0x{int.from_bytes(p[4:8], 'big'):x}), length {length}"

    def _gre(self, p: bytes, length: int) -> str:
        """print-gre.c without -v: version 0 (RFC 2784/2890: checksum, key, sequence, the old source routes) and
        what it carries; version 1 (PPTP's enhanced GRE) up to its payload; " [|gre]" where it stops."""
        cut = " [|gre]"
        if len(p) < 2 or length < 2:
            return cut
        flags, ver = int.from_bytes(p[0:2], "big"), p[1] & 7
        s = f"GREv{ver}"
        if ver > 1:
            return s + " ERROR: unknown-version"
        at = 4
        if len(p) < 4 or length < 4:
            return s + cut
        proto = int.from_bytes(p[2:4], "big")

        def field(n: int) -> int:  # the next n bytes as a number, or the end of the line
            nonlocal at
            if len(p) < at + n or length < at + n:
                raise _Cut(s + cut)
            at += n
            return int.from_bytes(p[at - n:at], "big")
        try:
            if ver == 1:  # PPTP: key holds the call id
                s += f", call {field(4) & 0xFFFF}" if flags & 0x2000 else ""
                s += f", seq {field(4)}" if flags & 0x1000 else ""
                s += f", ack {field(4)}" if flags & 0x0080 else ""
                s += "" if flags & 0x1000 else ", no-payload"
            else:
                if flags & 0xC000:  # checksum present, or routing: checksum and offset
                    field(2)
                    s += f", off 0x{field(2):x}"
                s += f", key=0x{field(4):x}" if flags & 0x2000 else ""
                s += f", seq {field(4)}" if flags & 0x1000 else ""
                while flags & 0x4000:  # source route entries, up to the empty one
                    af, sreoff, srelen = field(2), field(1), field(1)
                    if af == 0 and srelen == 0:
                        break
                    s += _gre_sre(af, sreoff, srelen, p[at:min(len(p), length)])
                    if s.endswith(cut):
                        return s
                    field(srelen)
        except _Cut as c:
            return str(c)
        if self.link:
            s += f", proto {ETHERTYPE_NAMES.get(proto, 'unknown')} (0x{proto:04x})"
        s += f", length {length}"
        if ver == 1 and not flags & 0x1000:
            return s
        s += ": "
        inner, rest = p[at:], length - at
        if ver == 0 and proto == 0x0800:
            return s + self._ipv4(inner, rest)
        if ver == 0 and proto == 0x86DD:
            return s + self._ipv6(inner, rest)
        if ver == 0 and proto == 0x8847:
            return s + self._mpls(inner, rest)
        if ver == 0 and proto == 0x6558:  # transparent Ethernet bridging: a whole frame
            if len(inner) < 14 or rest < 14:
                return s + " [|ether]"
            text = self._describe(inner, rest)
            if self.dumped and self.dumps:  # an unknown ethertype inside: -x/-X dump the packet from its start
                self.dumped = False
                text = text.split("\n", 1)[0]
            return s + text
        return s + f"gre-proto-0x{proto:x}"  # tcpdump decodes IPX, AppleTalk, OSI and PPP (PPTP): not here

    def _tcp_line(self, p: bytes, length: int, addrs: Any, raw: tuple[bytes, bytes], v6: bool, src: str, dst: str) -> str:
        if len(p) < 20:
            if len(p) >= 4:
                return addrs(int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")) + " [|tcp]"
            return f"{src} > {dst}: [|tcp]"  # not even the ports: tcpdump names the hosts, whatever came before
        sport, dport = int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")
        seq, ack = int.from_bytes(p[4:8], "big"), int.from_bytes(p[8:12], "big")
        hlen, flags = (p[12] >> 4) * 4, p[13]
        win, urp = int.from_bytes(p[14:16], "big"), int.from_bytes(p[18:20], "big")
        s = addrs(sport, dport)
        if hlen < 20:
            return s + f" tcp {(length - hlen) & 0xFFFFFFFF} [bad hdr length {hlen} - too short, < 20]"
        if self.quiet:
            return s + f"tcp {(length - hlen) & 0xFFFFFFFF}" + (
                f" [bad hdr length {hlen} - too long, > {length}]" if hlen > length else "")
        fl = "".join(c for bit, c in TCP_FLAGS if flags & bit) or "none"
        s += f"Flags [{fl}]"
        thseq = thack = 0
        rev = False
        if not self.absolute and flags & 0x10:
            rev = sport > dport or (sport == dport and raw[0] > raw[1])
            key = (raw[1], raw[0], dport, sport) if rev else (raw[0], raw[1], sport, dport)
            known = self._tcp.get(key)
            if known is None or flags & 0x02:
                known = (ack - 1, seq) if rev else (seq, ack - 1)
                self._tcp[key] = (known[0] & 0xFFFFFFFF, known[1] & 0xFFFFFFFF)
            else:
                if rev:
                    seq, ack = seq - known[1], ack - known[0]
                else:
                    seq, ack = seq - known[0], ack - known[1]
            thseq, thack = self._tcp[key]
        seq &= 0xFFFFFFFF
        ack &= 0xFFFFFFFF
        dlen = length - hlen
        if dlen < 0:
            return s + f" [bad hdr length {hlen} - too long, > {length}]"
        if dlen > 0 or flags & 0x07:
            s += f", seq {seq}" + (f":{(seq + dlen) & 0xFFFFFFFF}" if dlen > 0 else "")
        if flags & 0x10:
            s += f", ack {ack}"
        s += f", win {win}"
        if flags & 0x20:
            s += f", urg {urp}"
        if hlen > 20:
            opts, complete, self.whole = _tcp_options(p[20:hlen], hlen - 20, rev, thseq, thack, flags, self.tcpdump,
                                                      whole_segment=len(p) >= hlen + dlen)
            if not complete:  # cut by the snap length, or a bad option: tcpdump stops there
                return s + ", options [" + opts
            s += ", options [" + opts + "]"
        s += f", length {dlen}"
        if dlen > 0 and len(p) < hlen:  # options after an eol were not captured: tcpdump checks before the payload
            self.whole = True
            return s + f" [remaining caplen({len(p)}) < header length({hlen})] [|tcp]"
        if dlen > 0 and {sport, dport} & {80, 8080}:
            s += http(p[hlen:hlen + dlen], dlen, self.tcpdump)
        return s

    def _icmp(self, p: bytes, length: int) -> str:
        """print-icmp.c without -v: one text per type (and code); the quoted datagram of an error is printed
        only with -v, so only its destination (and a port) shows here."""
        def get(a: int, n: int) -> int:  # GET_*: a longjmp when the bytes were not captured
            if len(p) < a + n:
                self.whole = True
                raise _Cut("")
            return int.from_bytes(p[a:a + n], "big")

        def ip(a: int) -> str:
            get(a, 4)
            return _ip4(p[a:a + 4])
        try:
            t, code = get(0, 1), get(1, 1)
            if t in (0, 8):
                what = f"{ICMP_TYPES[t]}, id {get(4, 2)}, seq {get(6, 2)}"
            elif t == 3 and code == 2:
                what = f"{ip(24)} protocol {get(17, 1)} unreachable"
            elif t == 3 and code == 3:
                if len(p) < 18:  # ND_TCHECK of the quoted protocol: goto trunc, no longjmp
                    return " [|icmp]"
                dport, proto = get(8 + (p[8] & 0x0F) * 4 + 2, 2), p[17]  # the header length as given, even 0
                what = (f"{ip(24)} {'tcp' if proto == 6 else 'udp'} port {dport} unreachable" if proto in (6, 17)
                        else f"{ip(24)} protocol {proto} port {dport} unreachable")
            elif t == 3 and code == 4:
                mtu = get(6, 2)
                what = f"{ip(24)} unreachable - need to frag" + (f" (mtu {mtu})" if mtu else "")
            elif t == 3:
                what = ICMP_UNREACH.get(code, "{0} unreachable - #" + str(code)).format(ip(24))
            elif t == 5:
                what = ICMP_REDIRECT.get(code, f"redirect-#{code} {{0}} to {{1}}").format(ip(24), ip(4))
            elif t == 9:
                what = self._router_advert(p)
                if what is None:
                    return " [|icmp]"
            elif t == 11:
                if len(p) < 28:  # ND_TCHECK of the quoted destination: goto trunc, no longjmp
                    return " [|icmp]"
                what = {0: "time exceeded in-transit", 1: "ip reassembly time exceeded"}.get(code, f"time exceeded-#{code}")
            elif t == 12:
                what = f"parameter problem - code {code}" if code else f"parameter problem - octet {get(4, 1)}"
            elif t == 13:
                what = f"time stamp query id {get(4, 2)} seq {get(6, 2)}"
            elif t == 14:
                if len(p) < 20:
                    return " [|icmp]"
                what = (f"time stamp reply id {get(4, 2)} seq {get(6, 2)}: org {_ms(get(8, 4))}, recv {_ms(get(12, 4))}"
                        f", xmit {_ms(get(16, 4))}")
            elif t == 18:
                what = f"address mask is 0x{get(8, 4):08x}"
            else:
                what = ICMP_TYPES.get(t, f"type-#{t}")
        except _Cut:
            return " [|icmp]"
        return f"ICMP {what}, length {length}"

    @staticmethod
    def _router_advert(p: bytes) -> str | None:
        """RFC 1256's router advertisement: lifetime, number of addresses, each address and preference; None where
        tcpdump goes to trunc (a ND_TCHECK: no longjmp)."""
        if len(p) < 8:
            return None
        num, size, life = p[4], p[5], int.from_bytes(p[6:8], "big")
        what = "router advertisement lifetime " + (
            f"{life}" if life < 60 else f"{life // 60}:{life % 60:02d}" if life < 3600
            else f"{life // 3600}:{life % 3600 // 60:02d}:{life % 60:02d}") + f" {num}:"
        if size != 2:
            return what + f" [size {size}]"
        if len(p) < 8 + 8 * num:
            return None
        for i in range(num):
            a = 8 + 8 * i
            what += f" {{{_ip4(p[a:a + 4])} {int.from_bytes(p[a + 4:a + 8], 'big')}}}"
        return what[:ICMP_BUF - 1]  # print-icmp.c writes into a buffer of this size: longer texts are cut

    def _icmp6(self, p: bytes, length: int) -> str:
        """print-icmp6.c without -v: the type's name and what tcpdump adds for it."""
        if length == 0:
            return "ICMP6, length 0 (invalid)"
        if len(p) < 2:  # the type or code byte was not captured: tcpdump quits by longjmp
            self.whole = True
            return ("" if not p else f"ICMP6, {ICMP6_TYPES.get(p[0], f'unknown icmp6 type ({p[0]})')}") + " [|icmp6]"
        t, code = p[0], p[1]
        s = f"ICMP6, {ICMP6_TYPES.get(t, f'unknown icmp6 type ({t})')}"

        def need(n: int) -> bytes:  # GET_*: a longjmp when the bytes were not captured
            if len(p) < n:
                self.whole = True
                raise _Cut(s)
            return p

        def inner_dst() -> str:  # the destination of the packet an error message quotes
            return _ip6(need(48)[32:48])
        try:
            if t == 1:
                s += f", {ICMP6_UNREACH.get(code, f'unknown unreach code ({code})')}"
                if code in (0, 1, 3):
                    s += f" {inner_dst()}"
                elif code == 2:
                    s += f" {inner_dst()}, source address {_ip6(need(32)[16:32])}"
                elif code == 4:
                    port = _upper_port(p[8:])
                    if port is None:
                        return s + " [|icmp6]"
                    s += f", {inner_dst()} {'tcp' if port[0] == 6 else 'udp'} port {port[1]}"
                else:  # print_unknown_data: the message in hex, and no length
                    return s + "\n" + hexdump(p[:length])
            elif t == 2:
                s += f", mtu {int.from_bytes(need(8)[4:8], 'big')}"
            elif t == 3:
                s += f" for {inner_dst()}" if code == 0 else " (reassembly)" if code == 1 else f", unknown code ({code})"
            elif t == 4:
                if len(p) < 48:  # ND_TCHECK of the quoted destination: goto trunc, no longjmp
                    return s + " [|icmp6]"
                pointer = int.from_bytes(p[4:8], "big")
                s += f", {ICMP6_PARAMPROB[code]} - octet {pointer}" if code in ICMP6_PARAMPROB else f", code-#{code}"
            elif t in (128, 129):
                s += f", id {int.from_bytes(need(6)[4:6], 'big')}, seq {int.from_bytes(need(8)[6:8], 'big')}"
            elif t == 130 and length >= 28:
                s += " v2"  # mldv2_query_print without -v: the group, and how many sources
                s += f" [gaddr {_ip6(need(24)[8:24])}"
                nsrcs = int.from_bytes(need(28)[26:28], "big")
                if nsrcs:
                    s += " [invalid number of sources]" if length < 28 + 16 * nsrcs else f", {nsrcs} source(s)"
                s += "]"
            elif t == 130 and length != 24:
                s += f" unknown-version (len {length}) "
            elif t in (130, 131, 132):  # MLDv1: delay and group, printed only when all 24 bytes were captured
                if len(p) >= 24:
                    s += f"max resp delay: {int.from_bytes(p[4:6], 'big')} addr: {_ip6(p[8:24])}"
            elif t in (135, 136):  # neighbour discovery: the address asked about or announced
                s += f", {'who has' if t == 135 else 'tgt is'} {_ip6(need(24)[8:24])}"
            elif t == 137:
                s += f", {_ip6(need(40)[24:40])} to {_ip6(p[8:24])}"  # the destination, then the better hop
            elif t == 143:
                if length < 8:
                    return s + f" [invalid len {length}], length {length}"
                s += f", {int.from_bytes(need(8)[6:8], 'big')} group record(s)"
            elif t in (144, 146):
                s += f", id 0x{int.from_bytes(need(6)[4:6], 'big'):04x}"
            elif t == 138:
                s += _rrenum(p)
            elif t in (139, 140):
                try:
                    s += _nodeinfo(p, length)
                except _Cut as cut:  # a name's length byte not captured: tcpdump's longjmp, after what it printed
                    self.whole = True
                    raise _Cut(s + str(cut)) from None
            elif t == 155:  # RPL (RFC 6550): without -v only the code's name
                s += ", (SEC) [worktodo]" if code & 0x80 else ", (CLR)" + RPL_CODES.get(
                    code, f"RPL message, unknown code {code}")
            elif t not in (133, 134, 141, 142, 145, 147):  # not decoded: the length, then the message in hex
                return s + f", length {length}\n" + hexdump(p[:length])
        except _Cut as cut:
            return str(cut) + " [|icmp6]"
        return s + f", length {length}"


def _rt6(r: bytes, version: tuple[int, ...] = (4, 99, 5)) -> tuple[str, int]:
    """print-rt6.c without -v: type 0 and 2 (addresses) and 4 (segment routing); its length, -1 to stop."""
    s, cut = "RT6", " [|rt6]"
    if len(r) < 2:
        return s + cut, -1
    n = r[1]
    s += f" (len={n}"
    if len(r) < 3:
        return s + cut, -1
    typ = r[2]
    s += f", type={typ}{' [Deprecated]' if typ == 0 else ''}"
    if len(r) < 4:
        return s + cut, -1
    s += f", segleft={r[3]}"
    if typ not in (0, 2, 4):
        return s + " (unknown type) (invalid)", -1
    if typ == 4:
        if len(r) < 6:
            return s + cut if len(r) < 5 else s + f", last-entry={r[4]}" + cut, -1
        s += f", last-entry={r[4]}" + (f", flags=0x{r[5]:x}" if r[5] else "")
        if len(r) < 8:
            return s + cut, -1
        s += f", tag={int.from_bytes(r[6:8], 'big'):x}"
    elif len(r) < 8:
        return s + cut, -1
    elif int.from_bytes(r[4:8], "big"):
        s += f", rsv=0x{int.from_bytes(r[4:8], 'big'):x}"
    if n % 2:
        # 4.99.5 rewords this for types 0 and 2 only
        return s + (f" [length {n}]" if version >= (4, 99, 5) and typ != 4 else f" (invalid length {n})") + " (invalid)", -1
    for i in range(n // 2):
        if len(r) < 24 + 16 * i:
            return s + cut, -1
        s += f", [{i}]{_ip6(r[8 + 16 * i:24 + 16 * i])}"
    return s + ") ", (n + 1) * 8


ICMP_BUF = 64 + 100  # print-icmp.c's buf[MAXHOSTNAMELEN + 100], MAXHOSTNAMELEN being 64 on Linux


def _ms(t: int) -> str:
    """print-icmp.c's icmp_tstamp_print: milliseconds since midnight UTC as hours:minutes:seconds.ms."""
    sec, ms = divmod(t, 1000)
    return f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}.{ms:03d}"


RPL_CODES = {0: "DODAG Information Solicitation", 1: "DODAG Information Object", 2: "Destination Advertisement Object",
             3: "Destination Advertisement Object Ack"}
RR_CODES = {0: ", command", 1: ", result", 255: ", sequence number reset"}
NI_QTYPES = {0: "noop", 1: "supported qtypes", 2: "DNS name", 3: "node addresses"}


def _rrenum(p: bytes) -> str:
    """print-icmp6.c's router renumbering (RFC 2894) without -v: the code, the sequence number, and for a command
    its match-prefix part and use-prefix parts; " [|icmp6]" where it stops (a goto trunc: no longjmp)."""
    cut = " [|icmp6]"
    if len(p) < 16:
        return cut
    s = RR_CODES.get(p[1], f", code-#{p[1]}") + f", seq={int.from_bytes(p[4:8], 'big')}"
    if p[1] != 0:
        return s
    if len(p) < 40:
        return s + cut
    s += f" match({ {1: 'add', 2: 'change', 3: 'setglobal'}.get(p[16], f'#{p[16]}') },{_ip6(p[24:40])}/{p[19]})"
    n = p[17] - 3  # the match part's length in 8-byte units, each use part being 4 of them
    if n % 4:
        return s + cut
    for at in range(40, 40 + 32 * (n // 4), 32):
        if len(p) < at + 32:
            return s + cut
        f = p[at + 12]
        s += " use(" + (("V" if f & 0x80 else "") + ("P" if f & 0x40 else "") + "," if f else "")
        s += f"{_ip6(p[at + 16:at + 32])}/{p[at]}/{p[at + 1]})"
    return s


def _nodeinfo(p: bytes, length: int) -> str:
    """print-icmp6.c's node information query or reply (RFC 4620) without -v; _Cut(the words so far) where
    tcpdump fetches a byte that was not captured."""
    siz, cut = len(p), " [|icmp6]"
    qtype, flags = int.from_bytes(p[4:6], "big"), int.from_bytes(p[6:8], "big")
    if p[0] == 139:
        if siz == 12:
            return " who-are-you request"  # KAME's
        s = " node information query"
        if siz < 16:
            return s + cut
        s += " (" + NI_QTYPES.get(qtype, "unknown")
        if qtype == 1 and flags:
            s += f" [{'C' if flags & 1 else ''}]"
        elif qtype == 3 and flags:
            s += " [" + "".join(c for bit, c in zip((64, 32, 16, 8, 4, 2), "aGSLCA") if flags & bit) + "]"
        if qtype in (0, 1):
            return s + ")"
        if siz == 16:
            return s + ", 03 draft)"
        if p[1] in (0, 2):  # the subject: an IPv6 or an IPv4 address, shown only when exactly that long
            alen = 16 if p[1] == 0 else 4
            if siz == 16 + alen:
                s += ", subject=" + (_ip6(p[16:32]) if alen == 16 else _ip4(p[16:20]))
        elif p[1] == 1:
            s += ", subject=DNS name" + _ni_name(p, 16)
        else:
            s += ", unknown subject"
        return s + ")"
    if length > siz or siz < 16:
        return cut
    s = " node information reply (" + {1: "refused", 2: "unknown"}.get(p[1], "")
    if p[1] != 0:
        return s + ")"
    s += "" if qtype == 2 else NI_QTYPES.get(qtype, "unknown")
    if qtype == 1 and flags:
        s += f" [{'C' if flags & 1 else ''}]"
    elif qtype == 2:
        if siz <= 20:
            raise _Cut(s + "DNS name")
        s += "DNS name" + _ni_name(p, 20) + (f" [TTL={int.from_bytes(p[16:20], 'big')}]" if flags & 1 else "")
    elif qtype == 3:
        for at in range(16, siz - 19, 20):
            s += f" {_ip6(p[at + 4:at + 20])}({int.from_bytes(p[at:at + 4], 'big')})"
        if flags:
            s += " [" + "".join(c for bit, c in zip((64, 32, 16, 8, 4, 2, 1), "aGSLCAT") if flags & bit) + "]"
    return s + ")"


def _ni_name(p: bytes, at: int) -> str:
    """A node information name: a Pascal string (draft 03) or DNS labels without compression (dnsname_print)."""
    if p[at] == len(p) - at - 1:
        return ', "' + "".join(_fn_char(c) for c in p[at + 1:]) + '"'
    s, i, end = ', "', at, len(p)
    while i < end:
        n = p[i]
        i += 1
        if not n:
            s += "." if i == end else "" if i + 1 == end and p[i] == 0 else "???"
            break
        if n > end - i:
            s += "???"
            break
        s += "".join(_fn_char(c) for c in p[i:i + n])
        i += n
        if i + 1 < end and p[i]:
            s += "."
    return s + '"'


def _fn_char(c: int) -> str:
    """util-print.c's fn_print_char: "M-" for the high bit, "^" and a letter for control characters."""
    s = ""
    if c & 0x80:
        c, s = c & 0x7F, "M-"
    if not 0x20 <= c < 0x7F:
        c, s = c ^ 0x40, s + "^"
    return s + chr(c)


DCCP_TYPES = {0: "DCCP-Request", 1: "DCCP-Response", 2: "DCCP-Data", 3: "DCCP-Ack", 4: "DCCP-DataAck", 5: "DCCP-CloseReq",
              6: "DCCP-Close", 7: "DCCP-Reset", 8: "DCCP-Sync", 9: "DCCP-SyncAck"}
DCCP_RESETS = ["unspecified", "closed", "aborted", "no_connection", "packet_error", "option_error", "mandatory_error",
               "connection_refused", "bad_service_code", "too_busy", "bad_init_cookie", "aggression_penalty"]
SCTP_CHUNKS = {0: "DATA", 1: "INIT", 2: "INIT ACK", 3: "SACK", 4: "HB REQ", 5: "HB ACK", 6: "ABORT", 7: "SHUTDOWN",
               8: "SHUTDOWN ACK", 9: "OP ERR", 10: "COOKIE ECHO", 11: "COOKIE ACK", 12: "ECN ECHO", 13: "ECN CWR",
               14: "SHUTDOWN COMPLETE", 0xC0: "FOR CUM TSN", 0xC1: "REL CTRL", 0xC2: "REL CTRL ACK"}
SCTP_PPIDS = {1: "ISDN Q.921", 2: "M2UA", 3: "M3UA", 4: "SUA", 5: "M2PA", 6: "V5.2", 7: "H.248", 8: "BICC", 9: "TALI",
              10: "DUA", 11: "ASAP", 12: "ENRP", 13: "H.323", 14: "Q.IPC", 15: "SIMCO", 16: "DDPSC", 17: "DDPSSC",
              18: "S1AP", 19: "RUA", 20: "HNBAP", 21: "ForCES HP", 22: "ForCES MP", 23: "ForCES LP", 24: "SBc-AP",
              25: "NBAP", 27: "X2AP"}
SCTP_FORCES = {6704: "ForCES HP", 6705: "ForCES MP", 6706: "ForCES LP"}
OSPF_TYPES = {1: "Hello", 2: "Database Description", 3: "LS-Request", 4: "LS-Update", 5: "LS-Ack"}
LLC_SAPS = {0x00: "Null", 0xFE: "OSI", 0x02: "802.1B I", 0x03: "802.1B G", 0x06: "IP", 0x04: "SNA", 0x0E: "ProWay NM",
            0x42: "STP", 0x4E: "RS511", 0x7E: "ISO8208", 0x8E: "ProWay", 0xAA: "SNAP", 0xE0: "IPX", 0xF0: "NetBeui",
            0xFF: "Global"}  # print-llc.c's llc_values
LLC_COMMANDS = {0x03: "ui", 0xE3: "test", 0xAF: "xid", 0x63: "ua", 0x43: "disc", 0x0F: "dm", 0x6F: "sabme", 0x87: "frmr"}
STP_VERSIONS = {0: "802.1d", 2: "802.1w", 3: "802.1s", 4: "802.1aq"}
STP_FLAGS = [(0x01, "Topology change"), (0x02, "Proposal"), (0x10, "Learn"), (0x20, "Forward"), (0x40, "Agreement"),
             (0x80, "Topology change ACK")]


def _stp_flags(f: int) -> str:
    """print-stp.c's BPDU flags, in bittok2str's words ("none" when none is set)."""
    return ", ".join(name for bit, name in STP_FLAGS if f & bit) or "none"


def _llc_bytes(data: bytes, wire_len: int) -> tuple[bytes, int]:
    """An 802.3 frame's LLC part as captured and its length: the length field's, unless the frame is shorter."""
    length = min(int.from_bytes(data[12:14], "big"), wire_len - 14)
    return data[14:14 + length], length


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


def _igmpv3_query(p: bytes, length: int) -> str:
    """print-igmp.c's IGMPv3 query: the maximum response time (coded above 127), the group, how many sources;
    _Cut(the words so far) where a field was not captured."""
    if length < 12 or length & 3:
        return f" v3 [invalid len {length}]"
    s = " v3"
    try:
        mrc = _need(p, 2)[1]
        mrt = mrc if mrc < 128 else ((mrc & 0x0F) | 0x10) << (((mrc & 0x70) >> 4) + 3)
        s += "" if mrc == 100 else f" [max resp time {f'{mrt * 0.1:.1f}s' if mrt < 600 else _relts(mrt // 10)}]"
        if not int.from_bytes(_need(p, 8)[4:8], "big"):
            return s
        s += f" [gaddr {_ip4(p[4:8])}"
        nsrcs = int.from_bytes(_need(p, 12)[10:12], "big")
    except _Cut:
        raise _Cut(s) from None
    if nsrcs:
        s += " [invalid number of sources]" if length < 12 + 4 * nsrcs else f", {nsrcs} source(s)"
    return s + "]"


def _relts(secs: int) -> str:
    """util-print.c's unsigned_relts_print: seconds as years, weeks, days, hours, minutes and seconds."""
    if not secs:
        return "0s"
    out = ""
    for unit, n in (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= n:
            out += f"{secs // n}{unit}"
            secs %= n
    return out


def _gre_sre(af: int, off: int, n: int, b: bytes) -> str:
    """print-gre.c's source route entry: IPv4 addresses or 2-byte AS numbers, the current one starred."""
    name, size = {0x0800: ("ip", 4), 0xFFFE: ("asn", 2)}.get(af, ("", 0))
    if not size:
        return f", (rtaf=0x{af:x})"
    s = f", (rtaf={name}"
    if off % size:
        return s + f", badoffset={off})"
    if n % size:
        return s + f", badlength={n})"
    if off >= n:
        return s + f", badoff/len={off}/{n})"
    for i in range(0, n, size):
        if len(b) < i + size:
            return s + ") [|gre]"
        s += " " + ("*" if i == off else "") + (_ip4(b[i:i + 4]) if size == 4 else f"{int.from_bytes(b[i:i + 2], 'big'):x}")
    return s + ")"


def _need(p: bytes, n: int) -> bytes:
    """GET_*: the bytes, or _Cut when they were not captured (tcpdump's longjmp)."""
    if len(p) < n:
        raise _Cut("")
    return p


class _Cut(Exception):
    """A printer fetched a byte that was not captured (tcpdump's GET macros longjmp): the words so far."""


def _upper_port(b: bytes) -> tuple[int, int] | None:
    """print-icmp6.c's get_upperlayer: the protocol and destination port of the TCP or UDP header a quoted
    IPv6 packet carries after its extension headers; None where tcpdump finds none."""
    if len(b) < 7:
        return None
    nh, off = b[6], 40
    while off < len(b):
        if nh in (6, 17):
            return (nh, int.from_bytes(b[off + 2:off + 4], "big")) if len(b) >= off + 4 else None
        if nh in (0, 60, 43):
            if len(b) < off + 2:
                return None
            nh, off = b[off], off + (b[off + 1] + 1) * 8
        elif nh == 44:
            if len(b) < off + 4 or int.from_bytes(b[off + 2:off + 4], "big") & 0xFFF8:
                return None
            nh, off = b[off], off + 8
        elif nh == 51:
            if len(b) < off + 2:
                return None
            nh, off = b[off], off + (b[off + 1] + 2) * 4
        else:
            return None
    return None


def hexdump(b: bytes, ascii: bool = False) -> str:
    """tcpdump's -x (hex) or -X (hex and ASCII) dump, 16 bytes a line."""
    lines = []
    for off in range(0, len(b), 16):
        chunk = b[off:off + 16]
        words = "".join(" " + chunk[i:i + 2].hex() for i in range(0, len(chunk), 2))
        # print-ascii.c: "0x%04x: " then the hex padded to 40 columns, so past 0xffff the columns move right
        line = f"\t0x{off:04x}: " + (f"{words:<40}  " + "".join(chr(c) if 32 < c < 127 else "." for c in chunk)
                                      if ascii else words)
        lines.append(line)
    return "\n".join(lines)


TCP_OPTIONS = {0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 6: "echo", 7: "echoreply", 8: "TS",
               11: "cc", 12: "ccnew", 13: "ccecho", 19: "md5", 20: "scps", 28: "uto", 29: "tcp-ao", 30: "mptcp",
               34: "tfo", 254: "exp"}  # print-tcp.c's names (4.99.3 prints kind 13 as "", see _tcp_options)
# the bytes print-tcp.c reads after kind and length, where fixed; the others take what their length says
TCP_OPTION_DATA = {0: 0, 1: 0, 2: 2, 3: 1, 4: 0, 6: 4, 7: 4, 8: 8, 11: 4, 12: 4, 13: 4, 19: 16, 20: 2, 28: 2}


class _OptionsEnd(Exception):
    """print-tcp.c leaves the option list early (goto bad, goto trunc, or a longjmp when a byte it fetches was
    not captured): the line ends with these words."""

    def __init__(self, words: str, longjmp: bool = False) -> None:
        super().__init__(words)
        self.longjmp = longjmp


def _tcp_options(b: bytes, total: int, rev: bool, thseq: int, thack: int, flags: int = 0,
                 version: tuple[int, ...] = (4, 99, 5), whole_segment: bool = True) -> tuple[str, bool, bool]:
    """TCP options as print-tcp.c prints them; False when the line ends there (cut by the snap length, or a
    bad option: tcpdump then prints no length); True last when tcpdump quit by longjmp."""
    out, i, hlen, ch, proto = "", 0, total, "", "tcp"

    def bad() -> _OptionsEnd:
        return _OptionsEnd("[bad opt]" + ("]" if ch else ""))

    def need(n: int) -> bytes:  # LENCHECK: within the header's options, and captured
        if n > hlen:
            raise bad()
        if i + n > len(b):
            raise _OptionsEnd(f" [|{proto}]" + (">" if ch else ""))
        return b[i:i + n]
    try:
        while hlen > 0:
            out += ch
            if i >= len(b) or (b[i] > 1 and i + 1 >= len(b)):  # the kind or length byte was not captured
                raise _OptionsEnd(f" [|{proto}]", longjmp=True)
            if b[i] == 1:  # nop, the commonest: nothing to check
                out, i, hlen, ch = out + "nop", i + 1, hlen - 1, ","
                continue
            opt, ln = b[i], 1
            if opt > 1:  # eol and nop are one byte; the others say how long they are
                ln = b[i + 1]
                if ln < 2 or ln > hlen:
                    raise bad()
                hlen -= 1
            hlen -= 1
            i += min(ln, 2)
            out += "" if opt == 13 and version < (4, 99, 5) else TCP_OPTIONS.get(opt, f"unknown-{opt}")
            datalen = TCP_OPTION_DATA.get(opt, ln - 2)
            if opt == 5:
                if datalen % 8:
                    out += " invalid sack"
                else:
                    out += f" {datalen // 8} "
                    base = thseq if rev else thack
                    for j in range(0, datalen, 8):
                        v = need(j + 8)[j:]
                        out += (f"{{{(int.from_bytes(v[:4], 'big') - base) & 0xFFFFFFFF}:"
                                f"{(int.from_bytes(v[4:8], 'big') - base) & 0xFFFFFFFF}}}")
            elif opt == 29:  # TCP-AO (RFC 5925)
                if datalen < 2:
                    out += " (invalid)"
                else:
                    out += f" keyid {need(1)[0]}"
                    out += f" rnextkeyid {need(2)[1]}"
                    if datalen > 2:
                        out += " mac 0x"
                        for j in range(2, datalen):
                            out += f"{need(j + 1)[j]:02x}"
            elif opt not in TCP_OPTIONS:  # unknown: the bytes in hex, as far as they were captured
                out += " 0x" if datalen else ""
                for j in range(datalen):
                    out += f"{need(j + 1)[j]:02x}"
            elif datalen:
                v = need(datalen)
                n = int.from_bytes(v, "big")
                if opt in (2, 3, 6, 7, 11, 12, 13):
                    out += f" {n}"
                elif opt == 8:
                    out += f" val {int.from_bytes(v[:4], 'big')} ecr {int.from_bytes(v[4:], 'big')}"
                elif opt == 19:  # Debian's tcpdump has libcrypto, but no -M secret to check the signature with
                    why = "shared secret not supplied with -M" if whole_segment else "snaplen too short"
                    out += f" {why}, can't check - " + v.hex()
                elif opt == 20:
                    out += f" cap {v[0]:02x} id {v[1]}"
                elif opt == 28:  # user timeout: minutes when the low bit is set, else seconds
                    out += f" 0x{n:x} {(n >> 1) * 60 if n & 1 else n >> 1}"
                elif opt == 30:
                    text, ok = _mptcp(b[i - 2:i + datalen], flags)
                    out += text
                    if not ok:
                        raise bad()
                    proto = "mptcp"  # print-mptcp.c names itself for whatever is cut after it
                elif opt == 34:
                    out += " " + _tfo(v)
                elif opt == 254:
                    if datalen < 2:
                        raise bad()
                    magic = int.from_bytes(v[:2], "big")  # RFC 6994 experiment ID; 0xf989 is Fast Open
                    out += "-" + ("tfo" + _tfo(v[2:]) if magic == 0xF989 else f"{magic:04x}")
            elif opt in (34, 254):
                out += " " + _tfo(b"") if opt == 34 else ""
                if opt == 254:
                    raise bad()
            elif opt == 30:
                raise bad()  # print-mptcp.c wants at least 3 bytes
            i += datalen
            hlen -= datalen
            if datalen + min(ln, 2) != ln:
                out += f"[len {ln}]"
            ch = ","
            if opt == 0:  # the end of the list: tcpdump prints one eol and ignores the padding after it
                break
    except _OptionsEnd as end:
        return out + str(end), False, end.longjmp
    return out, True, False


def _tfo(v: bytes) -> str:
    """TCP Fast Open (RFC 7413): a request for a cookie, or the cookie."""
    if not v:
        return " cookiereq"
    if len(v) % 2 or not 4 <= len(v) <= 16:
        return " (invalid)"
    return " cookie " + v.hex()


MPTCP_SUBTYPES = ["capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "unknown"]


def _mptcp(o: bytes, flags: int) -> tuple[str, bool]:
    """print-mptcp.c: " <length> <subtype>" and its fields, and False where tcpdump finds the option bad
    (after what it printed up to there)."""
    n = len(o)
    if n < 3:
        return "", False
    sub = min(o[2] >> 4, 8)
    out = f" {n} {MPTCP_SUBTYPES[sub]}"
    syn, ack = flags & 0x02, flags & 0x10

    def u(a: int, k: int) -> int:
        return int.from_bytes(o[a:a + k], "big")
    if sub == 0:  # MP_CAPABLE: version, checksum flag, the keys
        if not ((n in (12, 4) and syn) or (n in (20, 22) and ack and not syn)):
            return out, False
        if o[2] & 0xF > 1:
            return out + f" Unknown Version ({o[2] & 0xF})", True
        out += f" v{o[2] & 0xF}" + (" csum" if o[3] & 0x80 else "")
        if n == 12 or n >= 20:
            out += f" {{0x{u(4, 8):x}" + (f",0x{u(12, 8):x}" if n >= 20 else "") + "}"
    elif sub == 1:  # MP_JOIN
        if not ((n == 12 and syn) or (n == 16 and syn and ack) or (n == 24 and ack)):
            return out, False
        if n != 24:
            out += (" backup" if o[2] & 1 else "") + f" id {o[3]}"
        out += {12: f" token 0x{u(4, 4):x} nonce 0x{u(8, 4):x}", 16: f" hmac 0x{u(4, 8):x} nonce 0x{u(12, 4):x}",
                24: f" hmac 0x{o[4:24].hex()}"}[n]
    elif sub == 2:  # DSS: data ack and data sequence mapping, each 4 or 8 bytes
        if n < 4 or syn:
            return out, False
        f, at = o[3], 4
        out += " fin" if f & 0x10 else ""
        for present, wide, word in ((0x01, 0x02, "ack"), (0x04, 0x08, "seq")):
            if f & present:
                out += f" {word} "
                k = 8 if f & wide else 4
                if n - at < k:
                    return out, False
                out += f"{u(at, k)}"
                at += k
                if word == "seq":
                    if n - at < 4:
                        return out, False
                    out += f" subseq {u(at, 4)}"
                    if n - at < 6:
                        return out, False
                    out += f" len {u(at + 4, 2)}"
                    at += 6
                    if n - at >= 2:
                        out += f" csum 0x{u(at, 2):x}"
                        at += 2
        if at != n:
            return out, False
    elif sub == 3:  # ADD_ADDR: an IPv4 or IPv6 address, maybe a port and an HMAC
        if n not in (8, 10, 16, 18, 20, 22, 28, 30):
            return out, False
        out += " " + {6: "v0-ip6", 4: "v0-ip4", 1: "v1-echo", 0: "v1"}.get(o[2] & 0xF, "[bad version/echo]") + f" id {o[3]}"
        alen = 4 if n < 20 else 16
        out += " " + (_ip4(o[4:8]) if alen == 4 else _ip6(o[4:20]))
        if n in (10, 18, 22, 30):
            out += f":{u(4 + alen, 2)}"
        if n in (16, 28):
            out += f" hmac 0x{u(4 + alen, 8):x}"
        if n in (18, 30):
            out += f" hmac 0x{u(6 + alen, 8):x}"
    elif sub == 4:  # REMOVE_ADDR: address ids
        if n < 4:
            return out, False
        out += " id" + "".join(f" {x}" for x in o[3:])
    elif sub == 5:  # MP_PRIO
        if n not in (3, 4):
            return out, False
        out += (" backup" if o[2] & 1 else " non-backup") + (f" id {o[3]}" if n == 4 else "")
    elif sub in (6, 7):  # MP_FAIL, MP_FASTCLOSE
        if n != 12:
            return out, False
        out += f" seq {u(4, 8)}" if sub == 6 else f" key 0x{u(4, 8):x}"
    return out, True


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


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


def _ip4(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def _ip6(b: bytes) -> str:
    """An IPv6 address as tcpdump's addrtostr6 writes it: IPv4-compatible and -mapped ones end in a dotted quad."""
    if not any(b[:10]) and (b[10:12] == b"\xff\xff" or (not any(b[10:12]) and any(b[12:14]))):
        return ("::ffff:" if b[10] else "::") + _ip4(b[12:16])
    return str(ipaddress.IPv6Address(bytes(b)))


HTTP_METHODS = {"GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL", "TRACE",
                "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT",
                "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND",
                "BPROPPATCH", "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT",
                "VERSION-CONTROL", "BASELINE-CONTROL"}  # tcpdump's print-http.c


def _token(b: bytes, i: int, wire: int) -> tuple[str, int]:
    """tcpdump's fetch_token: a word and where the next one starts; ("", 0) when there is none."""
    start = i
    while i < wire:
        if i >= len(b):
            return "", 0  # cut by the snap length
        c = b[i]
        if c in b" \t\r\n":
            break
        if not 0x20 <= c <= 0x7E:
            return "", 0
        i += 1
    word = b[start:i].decode()
    if not word:
        return "", 0
    while i < min(wire, len(b)):
        c = b[i]
        if c in b"\r\n":
            break
        if not 0x20 <= c <= 0x7E:
            return "", 0
        if c not in b" \t":
            break
        i += 1
    return word, i


def http(b: bytes, wire: int, version: tuple[int, ...] = (4, 99, 5)) -> str:
    """What tcpdump adds after a TCP segment to or from port 80 or 8080: the first line of a request or reply."""
    word, nxt = _token(b, 0, wire)
    show = word.upper() in HTTP_METHODS
    if nxt:
        code, _ = _token(b, nxt, wire)
        show = show or (len(code) == 3 and code.isdigit())
    if not show:
        return ": HTTP"
    for i in range(min(wire, len(b))):
        c = b[i]
        if c == 0x0A or (c == 0x0D and i + 1 < len(b) and b[i + 1] == 0x0A):
            return ": HTTP: " + b[:i].decode()
        if c == 0x0D:
            return ": HTTP"
        if not 0x20 <= c <= 0x7E and c != 0x09:
            return ": HTTP"
    # no end of line: 4.99.3 marks the line as cut; 4.99.5 (Debian 13) prints it as it is
    return ": HTTP: " + b[:min(wire, len(b))].decode() + (" [|http]" if version < (4, 99, 5) else "")


DNS_TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV",
             41: "OPT", 255: "ANY"}
DNS_CLASSES = {1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY"}
DNS_OPS = ["", " inv_q", " stat", " op3", " notify", " update", " op6", " op7", " op8", " updateA", " updateD",
           " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef"]
DNS_RCODES = ["", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain", " YXRRSet",
              " NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13", " Resp14", " NoChange"]


def _name(b: bytes, i: int) -> tuple[str, int]:
    """A domain name as tcpdump prints it (labels and dots, "." for the root) and where it ends."""
    labels, end, hops = [], None, 0
    while True:
        n = b[i]
        if n & 0xC0 == 0xC0:  # compression: the rest of the name is elsewhere
            end = i + 2 if end is None else end
            i = ((n & 0x3F) << 8) | b[i + 1]
            hops += 1
            if hops > 64:
                raise ValueError("a loop of name pointers")
            continue
        if n == 0:
            return ("".join(label + "." for label in labels) or "."), (i + 1 if end is None else end)
        labels.append(b[i + 1:i + 1 + n].decode("latin-1"))
        if len(b) < i + 1 + n:
            raise IndexError
        i += 1 + n


def _skip_name(b: bytes, i: int) -> int:
    return _name(b, i)[1]


def _answer(b: bytes, i: int) -> tuple[str, int]:
    i = _skip_name(b, i)
    typ, cls, _, rdlen = int.from_bytes(b[i:i + 2], "big"), int.from_bytes(b[i + 2:i + 4], "big"), 0, \
        int.from_bytes(b[i + 8:i + 10], "big")
    if len(b) < i + 10:
        raise IndexError
    out = f" {DNS_TYPES.get(typ, f'Type{typ}')}" + ("" if cls == 1 else f" {DNS_CLASSES.get(cls, f'(Class {cls})')}")
    r = i + 10
    if typ == 1:
        out += f" {_ip4(b[r:r + 4])}"
    elif typ == 28:
        out += f" {_ip6(b[r:r + 16])}"
    elif typ in (2, 5, 12):
        out += " " + _name(b, r)[0]
    elif typ == 15:
        out += " " + _name(b, r + 2)[0] + f" {int.from_bytes(b[r:r + 2], 'big')}"
    if len(b) < r + rdlen:
        raise IndexError
    return out, r + rdlen


def dns(b: bytes, length: int) -> str:
    """tcpdump's one-line DNS summary (without -v): the question of a query, the answers of a reply."""
    out = ""
    if length < 12:
        return f"domain [length {length} < 12] (invalid)"
    try:
        if len(b) < 12:
            raise IndexError
        ident, flags = int.from_bytes(b[0:2], "big"), int.from_bytes(b[2:4], "big")
        qd, an, ns, ar = (int.from_bytes(b[k:k + 2], "big") for k in (4, 6, 8, 10))
        op = DNS_OPS[(flags >> 11) & 0xF]
        i = 12
        if flags & 0x8000:  # a reply
            out = (f"{ident}{op}{DNS_RCODES[flags & 0xF]}{'*' if flags & 0x0400 else ''}"
                   f"{'' if flags & 0x0080 else '-'}{'|' if flags & 0x0200 else ''}")
            if qd != 1:
                out += f" [{qd}q]"
            for _ in range(qd):
                i = _skip_name(b, i) + 4
            out += f" {an}/{ns}/{ar}"
            for k in range(an):
                if k and i >= len(b):
                    raise IndexError
                text, i = _answer(b, i)
                out += ("," if k else "") + text
        else:
            out = f"{ident}{op}{'+' if flags & 0x0100 else ''}{'%' if flags & 0x0010 else ''}"
            if flags & 0x6CF:
                out += f" [b2&3=0x{flags:x}]"
            if (flags >> 11) & 0xF == 1:
                out += (f" [{qd}q]" if qd else "") + (f" [{an}a]" if an != 1 else "")
            else:
                out += (f" [{an}a]" if an else "") + (f" [{qd}q]" if qd != 1 else "")
            out += (f" [{ns}n]" if ns else "") + (f" [{ar}au]" if ar else "")
            for k in range(qd):
                if k and i >= len(b):
                    raise IndexError
                name, i = _name(b, i)
                typ, cls = int.from_bytes(b[i:i + 2], "big"), int.from_bytes(b[i + 2:i + 4], "big")
                if len(b) < i + 4:
                    raise IndexError
                out += f" {DNS_TYPES.get(typ, f'Type{typ}')}" + ("" if cls == 1 else f" {DNS_CLASSES.get(cls, f'(Class {cls})')}") + f"? {name}"
                i += 4
    except (IndexError, ValueError):
        return out + " [|domain]"
    return out + f" ({length})"
