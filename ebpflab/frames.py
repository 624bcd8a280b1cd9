# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Ethernet frames: one walk past the VLAN tags, a protocol name, and lab 06's sample mix (lab 00).

Every module that looks inside a frame in Python finds the network layer with ``l3()``, so the
802.1Q, 802.1ad (QinQ) and old 0x9100 tags are handled the same everywhere; the C side does the same
walk once, in ``bpf/parsing.h``.
"""

from __future__ import annotations

from typing import Any

VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)  # 802.1Q, 802.1ad, and the pre-standard QinQ tag


def vlan_tags(frame: bytes) -> list[tuple[int, int]]:
    """The VLAN tags after the MAC addresses, outermost first, as (TCI, ethertype that follows)."""
    tags: list[tuple[int, int]] = []
    if len(frame) < 14:
        return tags
    etype, off = int.from_bytes(frame[12:14], "big"), 14
    while etype in VLAN_TPIDS and len(frame) >= off + 4:
        tci, etype = int.from_bytes(frame[off : off + 2], "big"), int.from_bytes(frame[off + 2 : off + 4], "big")
        tags.append((tci, etype))
        off += 4
    return tags


def l3(frame: bytes) -> tuple[int, int]:
    """(ethertype, offset) of the network layer, past any VLAN tags; (0, length) for a frame under 14 bytes."""
    if len(frame) < 14:
        return 0, len(frame)
    tags = vlan_tags(frame)
    return (tags[-1][1] if tags else int.from_bytes(frame[12:14], "big")), 14 + 4 * len(tags)


def protocol_of(data: bytes) -> str:
    """A short protocol name for a frame (for breakdowns): ARP, TCP, UDP, ICMP, ICMP6, IPv6, other."""
    etype, off = l3(data)
    tags = "VLAN " if off > 14 else ""
    if etype == 0x0806:
        return tags + "ARP"
    if etype == 0x0800 and len(data) >= off + 20:
        if int.from_bytes(data[off + 6 : off + 8], "big") & 0x1FFF:
            return tags + "IPv4 fragment"
        return tags + {6: "TCP", 17: "UDP", 1: "ICMP"}.get(data[off + 9], "IPv4 other")
    if etype == 0x86DD and len(data) >= off + 40:
        return tags + {6: "TCP6", 17: "UDP6", 58: "ICMP6"}.get(data[off + 6], "IPv6 + ext. headers")
    return tags + "other"


def traffic_mix(src_mac: str, dst_mac: str, src_ip: str, dst_ip: str) -> list[bytes]:
    """About 220 crafted frames: ARP, ICMP, UDP, TCP with options, IPv6 with extension headers,
    VLAN tags, IPv4 and IPv6 fragments, and a few malformed frames (all in the lab ranges)."""
    from scapy.layers.inet import ICMP, IP, TCP, UDP, fragment
    from scapy.layers.inet6 import (
        ICMPv6EchoReply,
        ICMPv6EchoRequest,
        IPv6,
        IPv6ExtHdrDestOpt,
        IPv6ExtHdrFragment,
        IPv6ExtHdrHopByHop,
        IPv6ExtHdrRouting,
    )
    from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether

    e = Ether(src=src_mac, dst=dst_mac)
    bcast = Ether(src=src_mac, dst="ff:ff:ff:ff:ff:ff")
    v6s, v6d = "2001:2::1", "2001:2::2"
    opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None), ("WScale", 7)]
    out: list[Any] = []
    for _ in range(10):
        out.append(bcast / ARP(op=1, hwsrc=src_mac, psrc=src_ip, pdst=dst_ip))
        out.append(e / ARP(op=2, hwsrc=src_mac, psrc=src_ip, hwdst=dst_mac, pdst=dst_ip))
    for i in range(20):
        out.append(
            e
            / IP(src=src_ip, dst=dst_ip, id=i)
            / ICMP(type=8 if i % 2 == 0 else 0, id=0xEB, seq=i)
            / (b"\x00" * (8 + i))
        )
    for i in range(3):
        inner = IP(src=dst_ip, dst=src_ip) / UDP(sport=33000 + i, dport=40000)
        out.append(e / IP(src=src_ip, dst=dst_ip) / ICMP(type=3, code=3) / bytes(inner))
    for i in range(40):
        out.append(
            e
            / IP(src=src_ip, dst=dst_ip, ttl=64 - i % 3)
            / UDP(sport=41000 + i % 7, dport=12000 + i % 5)
            / (b"u" * (i * 3))
        )
    for i in range(12):
        sport, dport = 42000 + i, 8000 + i % 3
        ip4 = IP(src=src_ip, dst=dst_ip)
        out.append(e / ip4 / TCP(sport=sport, dport=dport, flags="S", seq=1000 + i, window=64240, options=opts))
        out.append(
            e
            / IP(src=dst_ip, dst=src_ip)
            / TCP(sport=dport, dport=sport, flags="SA", seq=5000, ack=1001 + i, window=65160, options=opts)
        )
        out.append(
            e
            / ip4
            / TCP(
                sport=sport,
                dport=dport,
                flags="A",
                seq=1001 + i,
                ack=5001,
                window=502,
                options=[("NOP", None), ("NOP", None), ("Timestamp", (12346, 12345))],
            )
        )
        out.append(
            e / ip4 / TCP(sport=sport, dport=dport, flags="PA", seq=1001 + i, ack=5001, window=502) / (b"d" * (10 + i))
        )
        out.append(
            e
            / ip4
            / TCP(sport=sport, dport=dport, flags="FA" if i % 2 else "R", seq=1011 + 2 * i, ack=5001, window=502)
        )
    for i in range(8):
        out.append(e / IPv6(src=v6s, dst=v6d) / IPv6ExtHdrHopByHop() / ICMPv6EchoRequest(id=7, seq=i) / b"ping6")
        out.append(e / IPv6(src=v6s, dst=v6d) / IPv6ExtHdrDestOpt() / UDP(sport=41000, dport=12001) / (b"v" * i))
        out.append(e / IPv6(src=v6s, dst=v6d) / ICMPv6EchoReply(id=7, seq=i))
        out.append(e / IPv6(src=v6s, dst=v6d) / UDP(sport=41000, dport=12001 + i) / b"six")
        out.append(
            e
            / IPv6(src=v6s, dst=v6d)
            / IPv6ExtHdrRouting(addresses=[v6d])
            / TCP(sport=43000, dport=8000 + i, flags="S", options=opts[:1])
        )
    frag6 = e / IPv6(src=v6s, dst=v6d) / IPv6ExtHdrFragment(id=99) / UDP(sport=41001, dport=12002) / (b"f" * 600)
    from scapy.layers.inet6 import fragment6

    out += fragment6(frag6, 300)
    for i in range(10):
        out.append(
            Ether(src=src_mac, dst=dst_mac)
            / Dot1Q(vlan=10 + i % 2, prio=i % 3)
            / IP(src=src_ip, dst=dst_ip)
            / UDP(sport=41000, dport=12003)
            / b"vlan"
        )
    for i in range(4):
        out.append(
            Ether(src=src_mac, dst="ff:ff:ff:ff:ff:ff")
            / Dot1Q(vlan=20)
            / ARP(op=1, hwsrc=src_mac, psrc=src_ip, pdst=dst_ip)
        )
        out.append(
            Ether(src=src_mac, dst=dst_mac)
            / Dot1AD(vlan=100)
            / Dot1Q(vlan=30)
            / IP(src=src_ip, dst=dst_ip)
            / ICMP(seq=i)
        )
    for i in range(3):
        big = e / IP(src=src_ip, dst=dst_ip, id=777 + i) / UDP(sport=41002, dport=12004) / (b"F" * 1200)
        out += [e / f for f in fragment(big[IP], fragsize=400)]
    head = bytes(Ether(src=src_mac, dst=dst_mac, type=0x0800))
    ip_ok = bytes(IP(src=src_ip, dst=dst_ip) / UDP(sport=41003, dport=12005) / b"ok")
    out += [
        head + ip_ok[:12],  # IPv4 header cut short
        head + bytes([0x4F]) + ip_ok[1:],  # header length beyond the packet
        head + bytes(IP(src=src_ip, dst=dst_ip, len=400) / UDP(sport=41003, dport=12005)),  # length lies
        head + bytes(IP(src=src_ip, dst=dst_ip) / TCP(sport=42000, dport=8000))[:30],  # TCP cut short
        Ether(src=src_mac, dst=dst_mac, type=0x88B5) / (b"\x01" * 30),  # unknown ethertype
        Ether(src=src_mac, dst=dst_mac, type=0x0806) / b"\x00\x01\x08",  # ARP cut short
    ]
    return [bytes(p) for p in out]
