# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""A corpus of frames and filter expressions shared by the classic BPF tests (unit and kernel)."""

from __future__ import annotations

import struct
import subprocess

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_RR
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6, IPv6ExtHdrHopByHop
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether

from ebpflab import cbpf, traffic

C, S = "02:eb:00:00:00:01", "02:eb:00:00:00:02"
CIP, SIP = "198.18.0.1", "198.18.0.2"
V6A, V6B = "2001:2::1", "2001:2::2"

EXPRESSIONS = [
    "ip",
    "ip6",
    "arp",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "vlan",
    "vlan 100",
    "vlan and udp",
    "ether broadcast",
    "ether multicast",
    "ether src 02:eb:00:00:00:01",
    "ether proto 0x88b5",
    "host 198.18.0.2",
    "src host 198.18.0.1",
    "dst net 198.19.0.0/16",
    "ip proto 17",
    "tcp port 80",
    "port 53",
    "portrange 1-1023",
    "udp dst port 53",
    "tcp and (port 80 or port 443)",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
    "tcp[tcpflags] & tcp-rst != 0",
    "tcp[13] = 18",
    "ip[6:2] & 0x1fff != 0",
    "ip[6] & 0x20 != 0",
    "ip[6] & 0x40 != 0",
    "greater 200",
    "less 64",
    "len > 100",
    "len <= 60",
    "len % 2 == 0",
    "icmp[icmptype] == icmp-echo",
    "ip6 and tcp",
    "ip6 and dst port 443",
    "not ip",
    "ip[8] < 32",
    "ip[1] & 0xfc == 0xb8",
    "ip[0] & 0xf > 5",
    "arp[6:2] = 2",
    "udp[8:4] == 0x68656c6c",
    "ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) != 0",
    "ip[8] ^ 0xff > 200",
    "ip[2:2] / 4 > 20",
    "ip[2:2] * 3 > 300",
    "ip and -ip[8] < 4294967232",
    "ip[8] > ip[9]",
    "ip[12:4] == ip[16:4]",
    "ip and tcp[0:2] & tcp[2:2] != 0",
    "ip[8] | 3 = 67",
]


def packets() -> list[bytes]:
    """A corpus of Ethernet frames with lab addresses only (IPv6: 2001:2::/48, crafted frames)."""
    e, b = Ether(src=C, dst=S), Ether(src=C, dst="ff:ff:ff:ff:ff:ff")
    ip = IP(src=CIP, dst=SIP)
    frames = []
    for dport in (53, 9, 123, 5353, 80):
        frames.append(e / ip / UDP(sport=40000, dport=dport) / b"hello lab")
    for dport, flags in [
        (80, "S"),
        (443, "S"),
        (22, "S"),
        (80, "SA"),
        (80, "A"),
        (80, "F"),
        (80, "R"),
        (8080, "PA"),
        (80, "FA"),
        (443, "U"),
        (2000, "SE"),
        (80, ""),
    ]:
        payload = b"GET / HTTP/1.0\r\n\r\n" if "P" in flags else b""
        frames.append(e / ip / TCP(sport=40000 + dport, dport=dport, flags=flags, seq=7) / payload)
    frames += [
        e / ip / ICMP(type=8, id=1, seq=1) / (b"\0" * 32),
        Ether(src=S, dst=C) / IP(src=SIP, dst=CIP) / ICMP(type=0, id=1, seq=1) / (b"\0" * 32),
        e / ip / ICMP(type=3, code=3) / bytes(IP(src=SIP, dst=CIP) / UDP(dport=9)),
        e / IP(src=CIP, dst=SIP, flags="MF", id=9) / UDP(sport=1, dport=53) / (b"a" * 40),
        e / IP(src=CIP, dst=SIP, flags="MF", frag=6, id=9, proto=17) / (b"b" * 48),
        e / IP(src=CIP, dst=SIP, frag=12, id=9, proto=17) / (b"c" * 20),
        e / IP(src=CIP, dst=SIP, flags="DF") / TCP(dport=80, flags="S"),
        e / IP(src=CIP, dst=SIP, options=[IPOption_RR(routers=["198.18.0.9"])]) / TCP(sport=1234, dport=80, flags="S"),
        e / IP(src=CIP, dst=SIP, options=[IPOption_RR(routers=["198.18.0.9"])]) / UDP(sport=1234, dport=53) / b"hello",
        e / IP(src=CIP, dst=SIP, ttl=5) / UDP(dport=33434),
        e / IP(src=CIP, dst=SIP, ttl=200, tos=0xB8) / UDP(dport=5004) / (b"r" * 160),
        e / IP(src="198.19.1.1", dst="198.19.2.2") / UDP(dport=53) / b"x",
        e / IP(src=SIP, dst=SIP) / TCP(sport=80, dport=80, flags="S"),
        e / IP(src=CIP, dst=SIP, proto=47) / (b"\0" * 24),
        e / ip / UDP(dport=9) / (b"z" * 1000),
        e / ip / TCP(dport=443, flags="PA") / (b"y" * 400),
        b / ip / UDP(sport=68, dport=67) / (b"\0" * 240),
        Ether(src=C, dst="01:00:5e:00:00:fb") / ip / UDP(sport=5353, dport=5353) / b"mdns",
        b / ARP(op=1, hwsrc=C, psrc=CIP, pdst=SIP),
        Ether(src=S, dst=C) / ARP(op=2, hwsrc=S, psrc=SIP, hwdst=C, pdst=CIP),
        e / Dot1Q(vlan=100) / ip / UDP(dport=53) / b"hello",
        e / Dot1Q(vlan=200) / ip / TCP(dport=80, flags="S"),
        e / Dot1Q(vlan=100) / ARP(op=1, psrc=CIP, pdst=SIP),
        e / Dot1AD(vlan=10) / Dot1Q(vlan=100) / ip / UDP(dport=53),
        Ether(src=C, dst=S, type=0x88B5) / (b"\x01" * 50),
        Ether(src=C, dst=S, type=0x88B5) / (b"\x02" * 47),
        e / IPv6(src=V6A, dst=V6B) / UDP(sport=5000, dport=53) / b"hello",
        e / IPv6(src=V6A, dst=V6B) / TCP(dport=443, flags="S"),
        e / IPv6(src=V6A, dst=V6B) / TCP(dport=80, flags="SA"),
        e / IPv6(src=V6A, dst=V6B) / ICMPv6EchoRequest(),
        e / IPv6(src=V6A, dst=V6B) / IPv6ExtHdrHopByHop() / TCP(dport=443, flags="S"),
        e / IPv6(src=V6A, dst=V6B, hlim=0) / UDP(dport=9),
        Ether(src=C, dst="33:33:00:00:00:01") / IPv6(src=V6A, dst="ff02::1") / ICMPv6EchoRequest(),
    ]
    data = [bytes(f) for f in frames]
    # Truncated frames: a header cut short makes a load fall off the end (which rejects).
    data += [
        data[0][:24],
        data[5][:40],
        data[5][: 14 + 20 + 13],
        data[-7][:30],
        bytes(Ether(src=C, dst=S, type=0x0800)),
    ]
    out = list(dict.fromkeys(data))  # unique, in order
    traffic.frames_from(out)  # every IPv4 address is in the lab range
    return out


def write_pcap(path, frames: list[bytes]) -> None:
    """A pcap file whose packet i has timestamp i seconds (so tcpdump's output names packets)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, cbpf.SNAPLEN, cbpf.DLT_EN10MB))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)


def read_pcap_times(data: bytes) -> list[int]:
    """The timestamps (seconds) of the packets in a pcap file."""
    out, off = [], 24
    while off + 16 <= len(data):
        sec, _, incl, _ = struct.unpack_from("<IIII", data, off)
        out.append(sec)
        off += 16 + incl
    return out


def tcpdump_matches(pcap, expr: str) -> set[int]:
    """Which packets of ``pcap`` tcpdump's filter keeps."""
    res = subprocess.run(["tcpdump", "-r", str(pcap), "-w", "-", expr], capture_output=True, timeout=30)
    assert res.returncode == 0, res.stderr.decode()
    return set(read_pcap_times(res.stdout))


@pytest.fixture(scope="module")
def corpus() -> list[bytes]:
    return packets()


SENTINEL = bytes(Ether(src=C, dst=S, type=0x88B6) / b"end of corpus")

# A hand-written program that runs every instruction class libpcap can emit and returns a value
# computed from the packet, so that agreement covers arithmetic and not only accept/reject.
EVERY_INSTRUCTION = """
    ld #pktlen
    st M[0]
    ldx #pktlen
    txa
    ldx M[0]
    ld #0x10
    st M[1]
    ldx M[1]
    ld [x + 0]
    ldh [x + 2]
    ldb [x + 3]
    add #3
    sub #1
    mul #5
    div #2
    mod #97
    or #0x100
    and #0x1ff
    xor #0x3
    lsh #2
    rsh #1
    neg
    neg
    tax
    add x
    sub x
    or x
    mul x
    ldx #7
    div x
    xor x
    lsh x
    rsh x
    mod x
    and x
    st M[3]
    stx M[2]
    ldxb 4*([14]&0xf)
    ld [0]
    ldh [6]
    ldb [12]
    ja 43
    ret #1
    jeq #0x8 jt 44 jf 55
    jgt #0x100 jt 55 jf 45
    jge #0x0 jt 46 jf 55
    jset #0x8 jt 47 jf 48
    jgt x jt 49 jf 48
    jge x jt 49 jf 49
    jeq x jt 50 jf 50
    jset x jt 51 jf 51
    ld M[3]
    and #0x3f
    add #20
    ret a
    ret #0
"""
