# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Crafted frames a packet parser must survive, one per case, with the bucket and the fields each must yield.

Lab 04 defines ``crafted()`` in the cell that sends each frame to ``bpf/xdp_parse.c`` and saves it here;
tests/kernel/test_parsing.py sends the very same frames and checks the same answers: one corpus for both.
"""

from __future__ import annotations

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_RR
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
)
from scapy.layers.ipsec import AH
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q

from . import traffic
from .netlab import LabNet


def crafted(net: LabNet) -> dict[str, tuple]:
    """name: (frame, bucket, what parse_packet() reports) for every case a parser must survive (tests use them too)."""
    eth = traffic.ether(net, "client", "server")
    ip = IP(src=net["client"].ip, dst=net["server"].ip)
    ip6 = IPv6(src="2001:2::1", dst="2001:2::2")  # the IPv6 benchmarking prefix: crafted frames only
    garbage_v4 = bytearray(bytes(eth / ip / UDP()))
    garbage_v4[14] = 0x65  # "version 6" inside the IPv4 EtherType
    deep = IPv6ExtHdrDestOpt()
    for _ in range(6):  # 7 extension headers: one more than IPV6_EXT_MAX_DEPTH
        deep = deep / IPv6ExtHdrDestOpt()
    return {
        # well-formed
        "UDP with a payload": (
            eth / ip / UDP(sport=1234, dport=53) / b"hello",
            "udp",
            {"dport": 53, "sport": 1234, "ip_version": 4, "l4_proto": 17},
        ),
        "TCP SYN": (eth / ip / TCP(sport=40000, dport=80, flags="S"), "tcp", {"dport": 80, "tcp_flags": 0x02}),
        "TCP SYN-ACK with options": (
            eth / ip / TCP(dport=443, flags="SA", options=[("MSS", 1460), ("WScale", 7)]),
            "tcp",
            {"dport": 443, "tcp_flags": 0x12},
        ),
        "ICMP echo": (eth / ip / ICMP(), "icmp", {"icmp_type": 8, "l4_proto": 1}),
        "ARP": (eth / ARP(psrc=ip.src, pdst=ip.dst), "not_ip", {"eth_proto": 0x0806, "ip_version": 0}),
        "GRE (an L4 the parser does not know)": (
            eth / IP(src=ip.src, dst=ip.dst, proto=47) / (b"\0" * 8),
            "other_l4",
            {"ip_proto": 47, "l4_proto": 0},
        ),
        # cut short
        "Ethernet header only (IPv4 type)": (
            bytes(eth)[:12] + b"\x08\x00",
            "malformed",
            {"eth_proto": 0x0800, "ip_version": 0},
        ),
        "IPv4 header cut short": (bytes(eth / ip / UDP())[: 14 + 12], "malformed", {}),
        "UDP header cut short": (
            eth / IP(src=ip.src, dst=ip.dst, proto=17) / b"\x00\x35\x00",
            "malformed",
            {"ip_version": 4},
        ),
        "TCP header cut short": (
            eth / IP(src=ip.src, dst=ip.dst, proto=6) / bytes(TCP())[:12],
            "malformed",
            {"ip_version": 4},
        ),
        "datagram shorter than its total length": (bytes(eth / ip / UDP() / (b"x" * 40))[:60], "malformed", {}),
        "VLAN tag cut short": (bytes(eth)[:12] + b"\x81\x00\x00\x05", "malformed", {}),
        # headers that lie about their size
        "bad IHL (3 words)": (eth / IP(src=ip.src, dst=ip.dst, ihl=3) / UDP(), "malformed", {}),
        "IHL 15 past the end": (bytes(eth / IP(src=ip.src, dst=ip.dst, ihl=15))[: 14 + 40], "malformed", {}),
        "TCP data offset 2": (eth / ip / TCP(dataofs=2), "malformed", {"ip_version": 4}),
        "UDP length 4": (eth / ip / UDP(len=4), "malformed", {"ip_version": 4}),
        # options, empty payloads, fragments
        "IPv4 with options": (
            eth / IP(src=ip.src, dst=ip.dst, options=[IPOption_RR(routers=["198.18.0.9"] * 3)]) / UDP(dport=5000),
            "udp",
            {"ip_options": 1, "dport": 5000, "l4_off": 14 + 36},
        ),
        "UDP, zero-length payload": (eth / ip / UDP(dport=53), "udp", {"dport": 53}),
        "TCP, zero-length payload": (eth / ip / TCP(dport=80, flags="A"), "tcp", {"dport": 80, "tcp_flags": 0x10}),
        "first fragment": (
            eth / IP(src=ip.src, dst=ip.dst, flags="MF") / UDP(dport=53) / (b"x" * 32),
            "udp",
            {"fragment": 1, "dport": 53},
        ),
        "later fragment": (
            eth / IP(src=ip.src, dst=ip.dst, frag=185, proto=17) / (b"x" * 32),
            "fragment",
            {"fragment": 1, "l4_proto": 0, "dport": 0, "ip_proto": 17},
        ),
        "last fragment of an ICMP datagram": (
            eth / IP(src=ip.src, dst=ip.dst, frag=3, proto=1) / (b"x" * 8),
            "fragment",
            {"fragment": 1, "ip_proto": 1},
        ),
        # VLAN tags
        "one VLAN tag": (eth / Dot1Q(vlan=5) / ip / UDP(dport=53), "udp", {"vlans": 1, "l3_off": 18}),
        "VLAN in VLAN (802.1ad + 802.1Q)": (
            eth / Dot1AD(vlan=100) / Dot1Q(vlan=5) / ip / UDP(dport=53),
            "udp",
            {"vlans": 2, "eth_proto": 0x0800, "l3_off": 22},
        ),
        "three VLAN tags (one too many)": (
            eth / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / ip / UDP(),
            "not_ip",
            {"vlans": 2, "eth_proto": 0x8100},
        ),
        "ICMP in a VLAN": (eth / Dot1Q(vlan=7) / ip / ICMP(type=0), "icmp", {"vlans": 1, "icmp_type": 0}),
        # IPv6 and its extension headers
        "IPv6 UDP": (eth / ip6 / UDP(dport=53), "udp", {"ip_version": 6, "dport": 53, "ipv6_ext": 0}),
        "ICMPv6 echo": (eth / ip6 / ICMPv6EchoRequest(), "icmpv6", {"icmp_type": 128, "l4_proto": 58}),
        "IPv6 hop-by-hop + routing + dest-opts": (
            eth / ip6 / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting() / IPv6ExtHdrDestOpt() / TCP(dport=443),
            "tcp",
            {"ipv6_ext": 3, "dport": 443},
        ),
        "IPv6 first fragment": (
            eth / ip6 / IPv6ExtHdrFragment(m=1, offset=0) / UDP(dport=53) / (b"x" * 16),
            "udp",
            {"fragment": 1, "ipv6_ext": 1, "dport": 53},
        ),
        "IPv6 later fragment": (
            eth / ip6 / IPv6ExtHdrFragment(nh=17, offset=100) / (b"x" * 16),
            "fragment",
            {"fragment": 1, "l4_proto": 0, "ip_proto": 17},
        ),
        "IPv6 authentication header": (
            eth / ip6 / AH(nh=17, payloadlen=4, spi=1, icv=b"\0" * 12) / UDP(dport=53),
            "udp",
            {"ipv6_ext": 1, "dport": 53, "l4_off": 14 + 40 + 24},
        ),
        "IPv6 ESP": (eth / IPv6(src=ip6.src, dst=ip6.dst, nh=50) / (b"\0" * 24), "other_l4", {"ip_proto": 50}),
        "IPv6 no next header": (eth / IPv6(src=ip6.src, dst=ip6.dst, nh=59), "other_l4", {"ip_proto": 59}),
        "IPv6 chain deeper than the parser goes": (eth / ip6 / deep / UDP(), "malformed", {"ip_version": 6}),
        "IPv6 hop-by-hop longer than the frame": (
            bytes(eth / ip6 / IPv6ExtHdrHopByHop(len=200, autopad=0) / UDP())[: 14 + 40 + 16],
            "malformed",
            {},
        ),
        "IPv6 header cut short": (bytes(eth / ip6 / UDP())[: 14 + 30], "malformed", {}),
        # garbage after Ethernet
        "garbage after Ethernet (IPv4 type)": (bytes(garbage_v4), "malformed", {"eth_proto": 0x0800}),
        "garbage after Ethernet (IPv6 type)": (bytes(eth)[:12] + b"\x86\xdd" + bytes(range(50)), "malformed", {}),
        "garbage after Ethernet (unknown type)": (
            bytes(eth)[:12] + b"\x12\x34" + bytes(range(46)),
            "not_ip",
            {"eth_proto": 0x1234},
        ),
    }
