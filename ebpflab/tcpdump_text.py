"""tcpdump's text: the lines ``tcpdump -n`` prints for a packet, and its -x/-X dumps (lab 06).

``Printer`` decodes Ethernet (and VLAN tags), ARP, IPv4, IPv6 and its extension headers, ICMP,
ICMPv6, UDP and TCP (with tcpdump's relative sequence numbers and its option list) into the same
words tcpdump uses, so that the tests can compare the two line by line.
"""
from __future__ import annotations

import functools
import ipaddress
import subprocess
import time
from typing import Any

from .frames import l3, vlan_tags
from .pcap import Packet

ETHERTYPES = {0x0800: "IPv4", 0x86DD: "IPv6", 0x0806: "ARP", 0x8100: "802.1Q", 0x88A8: "802.1Q-QinQ",
              0x9100: "802.1Q-9100", 0x8035: "Reverse ARP"}
ICMP_TYPES = {0: "echo reply", 8: "echo request", 3: "unreachable", 4: "source quench", 5: "redirect",
              11: "time exceeded", 12: "parameter problem", 13: "time stamp request", 14: "time stamp reply"}
ICMP6_TYPES = {1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit",
               4: "parameter problem", 128: "echo request", 129: "echo reply", 133: "router solicitation",
               134: "router advertisement", 135: "neighbor solicitation", 136: "neighbor advertisement",
               143: "multicast listener report v2"}
# print-ether.c's whole ethertype_values (first name wins): ARP names the protocol it resolves with it.
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
V6_EXT = {0: "HBH", 60: "DSTOPT", 43: "RT6", 44: "frag"}


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

    def __init__(self, link: bool = False, quiet: bool = False, absolute_seq: bool = False, hex_only: bool = False) -> None:
        self.link = link          # -e: print the Ethernet header (and VLAN tags)
        self.quiet = quiet        # -q: less protocol detail
        self.absolute = absolute_seq
        self.hex_only = hex_only  # -x: dumps of unknown types without the ASCII column
        self.tcpdump = tcpdump_version()  # "the same text as tcpdump" means the tcpdump installed here
        self._tcp: dict[tuple, tuple[int, int]] = {}
        self.dumped = False  # the last line holds the dump -x/-X would add (an unknown ethertype's)

    def time(self, ts_ns: int) -> str:
        """tcpdump's timestamp: local time of day with microseconds."""
        sec, usec = divmod(ts_ns // 1000, 1_000_000)
        return time.strftime("%H:%M:%S", time.localtime(sec)) + f".{usec:06d}"

    def line(self, pkt: Packet) -> str:
        """The whole line: timestamp, then what the packet is."""
        return f"{self.time(pkt.ts_ns)} {self.describe(pkt.data, pkt.len)}"

    def describe(self, data: bytes, wire_len: int | None = None) -> str:
        """What tcpdump prints after the timestamp."""
        self.dumped = False
        try:
            return self._describe(data, len(data) if wire_len is None else wire_len)
        except (IndexError, ValueError):  # cut by the snap length somewhere we did not foresee
            return "[|truncated]"

    def _describe(self, data: bytes, wire_len: int) -> str:
        if len(data) < 14:
            return "[|ether]"
        etype, off = l3(data)
        head = ""
        if self.link:
            outer = int.from_bytes(data[12:14], "big")
            head = (f"{_mac(data[6:12])} > {_mac(data[0:6])}, ethertype {ETHERTYPES.get(outer, 'Unknown')} "
                    f"(0x{outer:04x}), length {wire_len}: ")
            for tci, inner in vlan_tags(data):
                head += (f"vlan {tci & 0xFFF}, p {tci >> 13}{', DEI' if tci & 0x1000 else ''}, "
                         f"ethertype {ETHERTYPES.get(inner, 'Unknown')} (0x{inner:04x}), ")
        body = data[off:]
        if etype == 0x0800:
            return head + ("" if self.link else "IP ") + self._ip(body, wire_len - off)
        if etype == 0x86DD:
            if len(body) < 40:
                return head + " [|ip6]"
            if body[0] >> 4 != 6:
                v = body[0] >> 4
                return head + ("" if self.link else "IP6 ") + (f" [version {v} != 6] (invalid)" if self.tcpdump >= (4, 99, 5)
                                                               else f"version error: {v} != 6")
            return head + ("" if self.link else "IP6 ") + self._ip6(body)
        if etype == 0x0806:
            return head + self._arp(body, wire_len - off)
        if not self.link:
            head = f"{_mac(data[6:12])} > {_mac(data[0:6])}, ethertype {ETHERTYPES.get(etype, 'Unknown')} (0x{etype:04x}), length {wire_len}: "
        if self.quiet:
            return head.replace(f"ethertype Unknown (0x{etype:04x})", f"Unknown Ethertype (0x{etype:04x})")
        self.dumped = True  # tcpdump's default print, which -x/-X replace with their own dump
        return head + "\n" + hexdump(body, ascii=not self.hex_only)

    def payload_offset(self, data: bytes) -> int:
        """Where the link layer ends (after any VLAN tags): where -x/-X dumps start."""
        return l3(data)[1]

    # --- layers ---
    def _arp(self, b: bytes, length: int) -> str:
        """print-arp.c: IPv4 over any hardware; other protocols or lengths only named, as tcpdump does."""
        if len(b) < 8:
            return " [|arp]"
        hrd, pro, hln, pln, op = int.from_bytes(b[0:2], "big"), int.from_bytes(b[2:4], "big"), b[4], b[5], \
            int.from_bytes(b[6:8], "big")
        if hrd == 19:  # ATM (RFC 2225) lays its addresses out differently
            return self._atmarp(b, length)
        sha, spa, tha, tpa = 8, 8 + hln, 8 + hln + pln, 8 + 2 * hln + pln
        if len(b) < tpa + pln:
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
            return " [|arp]"
        pro, op = int.from_bytes(b[2:4], "big"), int.from_bytes(b[6:8], "big")
        shl, ssl, spl, thl, tsl, tpl = b[4] & 0x3F, b[5] & 0x3F, b[8], b[9] & 0x3F, b[10] & 0x3F, b[11]
        sha = 12
        spa = sha + shl + ssl
        tha = spa + spl
        tpa = tha + thl + tsl
        if len(b) < tpa + tpl:
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

    def _ip(self, b: bytes, wire: int) -> str:
        new = self.tcpdump >= (4, 99, 5)  # 4.99.5 words invalid IPv4 lengths differently (Debian 13)
        if new and wire < 20:
            return f" [length {wire} < 20] (invalid)"
        if len(b) < 20:
            return " [|ip]"
        ihl = (b[0] & 0x0F) * 4
        if ihl < 20:
            return f" [header length {ihl} < 20] (invalid)" if new else f"bad-hlen {ihl}"
        total = int.from_bytes(b[2:4], "big")
        if total < ihl:
            return f" [total length {total} < {ihl}] (invalid)" if new else f"bad-len {total}"
        src, dst, proto = _ip4(b[12:16]), _ip4(b[16:20]), b[9]
        frag = int.from_bytes(b[6:8], "big")
        pre = "" if total <= wire else (f"[total length {total} > length {wire}] (invalid) " if new
                                        else f"truncated-ip - {total - wire} bytes missing! ")
        payload = b[ihl:total]
        if frag & 0x1FFF:
            return f"{pre}{src} > {dst}: ip-proto-{proto}"
        return pre + self._l4(proto, payload, src, dst, total - ihl, False, (b[12:16], b[16:20]),
                              fragmented=bool(frag & 0x2000))

    def _ip6(self, b: bytes) -> str:
        if len(b) < 40:
            return " [|ip6]"
        plen = int.from_bytes(b[4:6], "big")
        src, dst = _ip6(b[8:24]), _ip6(b[24:40])
        nh, off, ext = b[6], 40, ""
        end = 40 + plen
        while nh in V6_EXT and len(b) >= off + 8:
            if nh == 44:
                fo = int.from_bytes(b[off + 2:off + 4], "big")
                ext += f"frag ({fo & 0xFFF8}|{end - off - 8})"
                nh, off = b[off], off + 8
                if fo & 0xFFF8:
                    return f"{src} > {dst}: {ext}"
                ext += " "
                continue
            hlen = (b[off + 1] + 1) * 8
            if nh == 43:
                ext += f"RT6 (len={b[off + 1]}, type={b[off + 2]}{' [Deprecated]' if b[off + 2] == 0 else ''}, segleft={b[off + 3]}"
                for i in range((hlen - 8) // 16):
                    a = off + 8 + 16 * i
                    if len(b) < a + 16:
                        return f"{src} > {dst}: {ext} [|rt6]"
                    ext += f", [{i}]{_ip6(b[a:a + 16])}"
                ext += ") "
            else:
                ext += V6_EXT[nh] + " "
            nh, off = b[off], off + hlen
        payload = b[off:end]
        if ext:
            return f"{src} > {dst}: {ext}" + self._l4(nh, payload, src, dst, end - off, True, (b[8:24], b[24:40]),
                                                      ports_only=True, fragmented="frag" in ext)
        return self._l4(nh, payload, src, dst, end - off, True, (b[8:24], b[24:40]))

    def _l4(self, proto: int, p: bytes, src: str, dst: str, length: int, v6: bool, raw: tuple[bytes, bytes],
            ports_only: bool = False, fragmented: bool = False) -> str:
        def addrs(sport: int, dport: int) -> str:
            if ports_only:
                return f"{sport} > {dport}: "
            return f"{src}.{sport} > {dst}.{dport}: "

        if proto == 17:
            if len(p) < 8:
                return ("" if ports_only else f"{src} > {dst}: ") + " [|udp]"
            sport, dport, ulen = (int.from_bytes(p[i:i + 2], "big") for i in (0, 2, 4))
            if ulen < 8:
                return addrs(sport, dport) + f"truncated-udplength {ulen}"
            if ulen > length and not fragmented:  # longer than the IP payload that carries it
                return addrs(sport, dport) + f"UDP, bad length {ulen - 8} > {length - 8}"
            if 53 in (sport, dport) and not self.quiet:
                return addrs(sport, dport) + dns(p[8:ulen], ulen - 8)
            return addrs(sport, dport) + f"UDP, length {ulen - 8}"
        if proto == 6:
            return self._tcp_line(p, length, addrs, raw, v6, src, dst)
        if proto == 1 and not v6:
            return f"{src} > {dst}: " + self._icmp(p, length)
        if proto == 58 and v6:
            return ("" if ports_only else f"{src} > {dst}: ") + self._icmp6(p, length)
        return ("" if ports_only else f"{src} > {dst}: ") + f"ip-proto-{proto} {length}"

    def _tcp_line(self, p: bytes, length: int, addrs: Any, raw: tuple[bytes, bytes], v6: bool, src: str, dst: str) -> str:
        if len(p) < 20:
            if len(p) >= 4:
                return addrs(int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")) + " [|tcp]"
            return f"{src} > {dst}:  [|tcp]"
        sport, dport = int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")
        seq, ack = int.from_bytes(p[4:8], "big"), int.from_bytes(p[8:12], "big")
        hlen, flags = (p[12] >> 4) * 4, p[13]
        win, urp = int.from_bytes(p[14:16], "big"), int.from_bytes(p[18:20], "big")
        s = addrs(sport, dport)
        if hlen < 20:
            return s + f"tcp {length} [bad hdr length {hlen} - too short, < 20]"
        if self.quiet:
            return s + f"tcp {length - hlen}"
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
            return s + f", [bad hdr length {hlen} - too long, > {length}]"
        if dlen > 0 or flags & 0x07:
            s += f", seq {seq}" + (f":{(seq + dlen) & 0xFFFFFFFF}" if dlen > 0 else "")
        if flags & 0x10:
            s += f", ack {ack}"
        s += f", win {win}"
        if flags & 0x20:
            s += f", urg {urp}"
        if hlen > 20:
            opts, complete = _tcp_options(p[20:hlen], hlen - 20, rev, thseq, thack)
            if not complete:  # the snap length cut the options: tcpdump stops there
                return s + ", options [" + opts
            s += ", options [" + opts + "]"
        s += f", length {dlen}"
        if dlen > 0 and {sport, dport} & {80, 8080}:
            s += http(p[hlen:hlen + dlen], dlen, self.tcpdump)
        return s

    def _icmp(self, p: bytes, length: int) -> str:
        if len(p) < 4:
            return " [|icmp]"
        t, code = p[0], p[1]
        if t in (0, 8) and len(p) >= 8:
            what = f"{ICMP_TYPES[t]}, id {int.from_bytes(p[4:6], 'big')}, seq {int.from_bytes(p[6:8], 'big')}"
        elif t == 3 and code == 3:
            inner = p[8:]
            ihl = (inner[0] & 0x0F) * 4 if inner else 20
            if len(inner) < max(20, ihl + 4):
                return " [|icmp]"
            oproto = {6: "tcp", 17: "udp"}.get(inner[9])
            port = int.from_bytes(inner[ihl + 2:ihl + 4], "big") if len(inner) >= ihl + 4 else 0
            what = (f"{_ip4(inner[16:20])} {oproto} port {port} unreachable" if oproto else
                    f"{_ip4(inner[16:20])} protocol {inner[9]} port {port} unreachable")
        elif t == 3 and code == 1 and len(p) >= 28:
            what = f"host {_ip4(p[24:28])} unreachable"
        else:
            what = ICMP_TYPES.get(t, f"type-#{t}")
        return f"ICMP {what}, length {length}"

    def _icmp6(self, p: bytes, length: int) -> str:
        if len(p) < 1:
            return "ICMP6, [|icmp6]"
        t = p[0]
        if len(p) < 4 or (t in (128, 129) and len(p) < 8):
            return f"ICMP6, {ICMP6_TYPES.get(t, f'unknown icmp6 type ({t})')} [|icmp6]"
        if t in (128, 129):
            return (f"ICMP6, {ICMP6_TYPES[t]}, id {int.from_bytes(p[4:6], 'big')}, "
                    f"seq {int.from_bytes(p[6:8], 'big')}, length {length}")
        if t in (135, 136):  # neighbour discovery: the address asked about or announced
            if len(p) < 24:
                return f"ICMP6, {ICMP6_TYPES[t]} [|icmp6]"
            what = "who has" if t == 135 else "tgt is"
            return f"ICMP6, {ICMP6_TYPES[t]}, {what} {_ip6(p[8:24])}, length {length}"
        if t == 143 and len(p) >= 8:
            return f"ICMP6, {ICMP6_TYPES[t]}, {int.from_bytes(p[6:8], 'big')} group record(s), length {length}"
        return f"ICMP6, {ICMP6_TYPES.get(t, f'unknown icmp6 type ({t})')}, length {length}"


def hexdump(b: bytes, ascii: bool = False) -> str:
    """tcpdump's -x (hex) or -X (hex and ASCII) dump, 16 bytes a line."""
    lines = []
    for off in range(0, len(b), 16):
        chunk = b[off:off + 16]
        words = " ".join(chunk[i:i + 2].hex() for i in range(0, len(chunk), 2))
        line = f"\t0x{off:04x}:  {words}"
        if ascii:
            line = f"{line:<51}" + "".join(chr(c) if 32 < c < 127 else "." for c in chunk)
        lines.append(line)
    return "\n".join(lines)


def _tcp_options(b: bytes, total: int, rev: bool, thseq: int, thack: int) -> tuple[str, bool]:
    """TCP options as tcpdump prints them, and False when the captured bytes end before they do."""
    names = {0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 8: "TS"}
    out, i, sep = "", 0, ""
    while i < total:
        if i >= len(b):
            return out + sep + " [|tcp]" + (">" if sep else ""), False
        kind = b[i]
        out += sep + names.get(kind, f"unknown-{kind}")
        sep = ","
        if kind in (0, 1):
            i += 1
            continue
        if i + 1 >= len(b):
            return out + " [|tcp]>", False
        ln = b[i + 1]
        if ln < 2 or i + ln > total:
            return out + "[bad opt]", True
        if i + ln > len(b):
            return out + " [|tcp]>", False
        v = b[i + 2:i + ln]
        if kind == 2 and ln == 4:
            out += f" {int.from_bytes(v, 'big')}"
        elif kind == 3 and ln == 3:
            out += f" {v[0]}"
        elif kind == 8 and ln == 10:
            out += f" val {int.from_bytes(v[:4], 'big')} ecr {int.from_bytes(v[4:], 'big')}"
        elif kind == 5 and (ln - 2) % 8 == 0:
            base = thseq if rev else thack
            blocks = "".join(f"{{{(int.from_bytes(v[j:j + 4], 'big') - base) & 0xFFFFFFFF}:"
                             f"{(int.from_bytes(v[j + 4:j + 8], 'big') - base) & 0xFFFFFFFF}}}" for j in range(0, ln - 2, 8))
            out += f" {(ln - 2) // 8} {blocks}"
        elif kind not in names and v:
            out += f" 0x{v.hex()}"
        i += ln
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
    """print-fr.c's q922_string: "DLCI n" from a 2- to 4-byte Q.922 address, "" when it is not one."""
    if b[0] & 1 or len(b) < 2:
        return ""
    dlci = ((b[0] & 0xFC) << 2) | (b[1] >> 4)
    if b[1] & 1:
        return f"DLCI {dlci}"
    if len(b) < 3:
        return ""
    i = 2
    if not b[2] & 1:
        dlci, i = (dlci << 7) | (b[2] >> 1), 3
        if len(b) < 4:
            return ""
    if not b[i] & 1:
        return ""
    return f"DLCI {(dlci << 6) | (b[i] >> 2)}"


def _ip4(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def _ip6(b: bytes) -> str:
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
