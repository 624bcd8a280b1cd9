# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Real-world-shaped frames tcpdump decodes in its own words, crafted with scapy (issue 16).

Malformed headers (IPv4 header length, IPv6 version, UDP length), neighbour discovery and MLDv2,
DNS queries and answers, HTTP request and response lines, ARP of every shape, TCP options,
ICMPv6 and MLD messages, IPv6 extension headers and jumbograms. ``write(path)`` makes a pcap of them.
"""

from __future__ import annotations

import struct
from pathlib import Path


def frames() -> list[bytes]:
    """Every frame of the corpus, as bytes on the wire."""
    from scapy.all import (
        DNS,
        DNSQR,
        DNSRR,
        DNSRRMX,
        IP,
        TCP,
        UDP,
        Ether,
        ICMPv6MLDMultAddrRec,
        ICMPv6MLReport2,
        ICMPv6ND_NA,
        ICMPv6ND_NS,
        ICMPv6ND_RS,
        ICMPv6NDOptSrcLLAddr,
        IPv6,
        Raw,
    )

    e = Ether(src="02:eb:00:00:00:01", dst="02:eb:00:00:00:02")
    e6 = Ether(src="02:eb:00:00:00:01", dst="33:33:00:00:00:01")
    eth = bytes(e)[:12]
    ip = bytes(IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=40000, dport=7777) / Raw(b"x" * 18))
    v6 = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2) / Raw(b"y" * 10))
    long_udp, long_udp6 = bytearray(ip), bytearray(v6)
    long_udp[24:26] = (1000).to_bytes(2, "big")  # UDP says 1000 bytes, IP carries 26
    long_udp6[44:46] = (500).to_bytes(2, "big")
    out = [
        eth + b"\x08\x00" + bytes([0x44]) + ip[1:],  # IPv4 header length 16
        eth + b"\x08\x00" + bytes([0x43]) + ip[1:],  # 12
        eth + b"\x86\xdd" + bytes([0x00]) + v6[1:],  # IPv6 version 0
        eth + b"\x86\xdd" + bytes([0x40]) + v6[1:],  # version 4 under the IPv6 ethertype
        eth + b"\x08\x00" + bytes(long_udp),
        eth + b"\x08\x00" + bytes(long_udp[:6]) + b"\x20\x00" + bytes(long_udp[8:]),  # a first fragment: not "bad"
        eth + b"\x86\xdd" + bytes(long_udp6),
    ]
    nd = [
        IPv6(src="fe80::1", dst="ff02::1:ff00:2")
        / ICMPv6ND_NS(tgt="2001:db8::2")
        / ICMPv6NDOptSrcLLAddr(lladdr="02:eb:00:00:00:01"),
        IPv6(src="fe80::2", dst="fe80::1") / ICMPv6ND_NA(tgt="2001:db8::2", R=0, S=1, O=1),
        IPv6(src="fe80::1", dst="ff02::2") / ICMPv6ND_RS(),
        IPv6(src="fe80::1", dst="ff02::16")
        / ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(dst="ff02::fb"), ICMPv6MLDMultAddrRec(dst="ff02::1:3")]),
    ]
    out += [bytes(e6 / p) for p in nd]

    def udp(d, sport=40000, dport=53):
        return bytes(e / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=sport, dport=dport) / d)

    def reply(d):
        return udp(d, 53, 40000)

    out += [
        udp(DNS(id=0x1234, rd=1, qd=DNSQR(qname="example.com"))),
        reply(
            DNS(
                id=0x1234,
                qr=1,
                rd=1,
                ra=1,
                qd=DNSQR(qname="example.com"),
                an=DNSRR(rrname="example.com", rdata="198.18.0.9"),
            )
        ),
        udp(DNS(id=1, rd=0, qd=DNSQR(qname="www.example.org", qtype="AAAA"))),
        reply(
            DNS(
                id=2,
                qr=1,
                rd=1,
                ra=1,
                qd=DNSQR(qname="www.example.org"),
                an=DNSRR(rrname="www.example.org", type="CNAME", rdata="web.example.org"),
            )
        ),
        reply(DNS(id=3, qr=1, rd=1, ra=0, aa=1, rcode=3, qd=DNSQR(qname="nope.example.org"))),
        reply(
            DNS(
                id=4,
                qr=1,
                rd=1,
                ra=1,
                qd=DNSQR(qname="x.example.org", qtype="AAAA"),
                an=DNSRR(rrname="x.example.org", type="AAAA", rdata="2001:db8::7"),
            )
        ),
        udp(DNS(id=5, rd=1, qd=DNSQR(qname="7.0.18.198.in-addr.arpa", qtype="PTR"))),
        reply(
            DNS(
                id=6,
                qr=1,
                ra=1,
                rd=1,
                qd=DNSQR(qname="7.0.18.198.in-addr.arpa", qtype="PTR"),
                an=DNSRR(rrname="7.0.18.198.in-addr.arpa", type="PTR", rdata="host.example.org"),
            )
        ),
        reply(
            DNS(
                id=7,
                qr=1,
                ra=1,
                rd=1,
                qd=DNSQR(qname="example.org", qtype="MX"),
                an=DNSRRMX(rrname="example.org", preference=10, exchange="mx.example.org"),
            )
        ),
        udp(DNS(id=8, rd=1, qd=DNSQR(qname="example.org", qtype="TXT"))),
        udp(DNS(id=9, rd=1, qd=DNSQR(qname="example.org", qclass="CH"))),
        udp(Raw(b"\x00\x01\x01")),  # shorter than a DNS header
        udp(Raw(bytes(DNS(id=10, rd=1, qd=DNSQR(qname="example.org")))[:20])),  # cut in the question
        udp(DNS(id=12, rd=1, qd=DNSQR(qname="."))),
    ]

    def tcp(sport, dport, payload):
        return bytes(
            e
            / IP(src="198.18.0.1", dst="198.18.0.2")
            / TCP(sport=sport, dport=dport, flags="PA", seq=1, ack=1)
            / Raw(payload)
        )

    out += [
        tcp(40000, 80, b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"),
        tcp(80, 40000, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        tcp(40000, 80, b"hello world\r\n"),  # not HTTP: just the protocol's name
        tcp(40000, 80, b"GET / HTTP/1.0"),  # no end of line
        tcp(40000, 8080, b"POST /x HTTP/1.1\r\nA: b\r\n\r\n"),
        tcp(40000, 80, b"GET /\x01a HTTP/1.1\r\n"),  # unprintable
        tcp(40000, 80, b"get / HTTP/1.1\r\n"),
        tcp(40000, 80, b"PATCH / HTTP/1.1\r\n"),  # not in tcpdump's list
        tcp(80, 40000, b"HTTP/1.0 404 Not Found\r\n"),
        tcp(40000, 80, b"GET\r\n"),
        tcp(40000, 80, b"GET / HTTP/1.1\n"),
        tcp(40000, 3128, b"GET / HTTP/1.1\r\n"),  # not a port tcpdump decodes HTTP on
    ]
    out += (
        arp_frames()
        + tcp_option_frames()
        + icmp6_frames()
        + ip6_frames()
        + icmp_frames()
        + tunnel_frames()
        + igmp_frames()
    )
    out += llc_frames() + mpls_frames() + ospf_frames() + dccp_frames() + sctp_frames()
    out += mutated_frames()
    return out


def arp_frames() -> list[bytes]:
    """ARP over other hardware, for other protocols, with other lengths, cut short (print-arp.c)."""
    eth = bytes.fromhex("ffffffffffff02eb00000001") + b"\x08\x06"
    mac, ip1, ip2 = bytes.fromhex("02eb00000001"), bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])

    def arp(hrd=1, pro=0x0800, op=1, sha=mac, spa=ip1, tha=bytes(6), tpa=ip2, cut=None, pad=b""):
        b = struct.pack(">HHBBH", hrd, pro, len(sha), len(spa), op) + sha + spa + tha + tpa + pad
        return eth + b[:cut]

    def atm(pro=0x0800, op=1, sha=b"\x47\x00\x05", ssa=b"", spa=ip1, tha=b"", tsa=b"", tpa=ip2):
        return (
            eth
            + struct.pack(">HHBBHBBBB", 19, pro, len(sha), len(ssa), op, len(spa), len(tha), len(tsa), len(tpa))
            + sha
            + ssa
            + spa
            + tha
            + tsa
            + tpa
        )

    return [
        arp(pro=0x86DD),
        arp(pro=0x1234),
        arp(spa=bytes(16), tpa=bytes(16)),
        arp(sha=b"", tha=b""),
        arp(hrd=6),
        arp(hrd=99, op=2),
        arp(sha=bytes(range(8)), tha=bytes(8), op=2),
        arp(tha=bytes(range(1, 7))),
        arp(pad=bytes(18)),
        arp(pro=0x1000),
        arp(op=3),
        arp(op=4),
        arp(op=8),
        arp(op=9),
        arp(op=5),
        arp(op=10),  # reverse, inverse, unknown, NAK
        arp(cut=27),
        arp(cut=7),
        arp(sha=bytes(32), tha=bytes(32), cut=40),  # cut by the snap length
        arp(hrd=15, op=2, sha=b"\x18\x41"),
        arp(hrd=15, op=2, sha=b"\x18\x40\x40\x01"),  # frame relay DLCIs
        atm(),
        atm(op=2, ssa=b"\x01\x02"),
        atm(tha=b"\x01\x02", tsa=b"\x03"),
        atm(op=8, tha=b"\x01"),
        atm(op=9),
        atm(pro=0x86DD),
        atm(op=2, sha=b""),
        atm()[:30],
    ]


def write(path: str | Path, linktype: int = 1, datas: list | None = None) -> Path:
    """The corpus (or ``datas``: frames, or (frame, length on the wire) pairs) as a classic pcap file:
    Ethernet (1), Linux cooked (113) or raw IP (101), whose frames are the IP ones of the corpus whose
    version matches their ethertype."""
    datas = frames() if datas is None else datas
    if linktype != 1:
        datas = [f for f in datas if (f[12:14], f[14:15] and f[14] >> 4) in ((b"\x08\x00", 4), (b"\x86\xdd", 6))]
    if linktype == 113:  # packet type 0 (to us), ARPHRD_ETHER, 6-byte source address, the ethertype
        datas = [struct.pack(">HHH", 0, 1, 6) + f[6:12] + b"\0\0" + f[12:] for f in datas]
    elif linktype == 101:
        datas = [f[14:] for f in datas]
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for i, d in enumerate(datas):
            d, wire = d if isinstance(d, tuple) else (d, len(d))
            out.write(struct.pack("<IIII", 1_700_000_000, i, len(d), wire) + d)
    return Path(path)


def write_pcapng(path: str | Path) -> Path:
    """The corpus as a pcapng file (scapy's writer: Wireshark's default format since 1.8)."""
    from scapy.all import Ether, wrpcapng

    wrpcapng(str(path), [Ether(f) for f in frames()])
    return Path(path)


def tcp_option_frames() -> list[bytes]:
    """TCP options print-tcp.c names: MPTCP (every subtype), Fast Open, EOL padding, odd lengths, cut lists."""
    from scapy.all import IP, Ether, Raw

    H, key, key2 = bytes.fromhex, bytes.fromhex("0102030405060708"), bytes.fromhex("1112131415161718")

    def seg(opts: bytes, flags: int = 0x02, cut: int | None = None, ack: int = 0) -> bytes:
        opts += bytes(-len(opts) % 4)  # padded with EOL, as stacks do
        tcp = struct.pack(">HHIIBBHHH", 40000, 5000, 1000, ack, (5 + len(opts) // 4) << 4, flags, 8192, 0, 0) + opts
        f = bytes(
            Ether(src="02:eb:00:00:00:01", dst="02:eb:00:00:00:02")
            / IP(src="198.18.0.1", dst="198.18.0.2", proto=6)
            / Raw(tcp)
        )
        return f[:cut]

    A, SA = 0x10, 0x12
    return [
        seg(H("020405b4") + H("01030307") + H("00000000")),  # EOL padding: one "eol"
        seg(H("00020405")),  # EOL first: the rest is ignored
        seg(H("1e0c0181") + key),
        seg(H("1e040100")),
        seg(H("1e0c0081") + key),  # MP_CAPABLE in a SYN
        seg(H("1e140101") + key + key2, A),
        seg(H("1e160101") + key + key2 + H("0005"), A),
        seg(H("1e0c0181") + key, A),
        seg(H("1e0c0581") + key),  # bad flags, unknown version
        seg(H("1e0c1103aabbccdd11223344")),
        seg(H("1e101003") + key + H("11223344"), SA),
        seg(H("1e181000") + bytes(range(20)), A),  # MP_JOIN: SYN, SYN-ACK, ACK
        seg(H("1e082005") + H("00000010"), A),
        seg(H("1e0e2004") + H("000000100000002000050000"), A),
        seg(H("1e142017") + key + H("00000010000000200005"), 0x18),  # DSS, two of them bad
        seg(H("1e083001c6120001"), A),
        seg(H("1e0a3001c61200011f90"), A),
        seg(H("1e103101c6120001") + key, A),
        seg(H("1e1e3000") + bytes(16) + H("1f90") + key, A),  # ADD_ADDR v4, port, HMAC, v6
        seg(H("1e0640000102"), A),
        seg(H("1e045101"), A),
        seg(H("1e0c6000") + key, A),
        seg(H("1e0c7000") + key, A),
        seg(H("1e0c8000") + key, A),
        seg(H("1e020101")),
        seg(H("fe04f989")),
        seg(H("fe0cf989") + key),
        seg(H("fe05f98901")),
        seg(H("fe061234abcd")),
        seg(H("fe020000")),
        seg(H("22020000")),
        seg(H("220a") + key),  # Fast Open: experimental and RFC 7413
        seg(H("1c048001")),
        seg(H("14040a05")),
        seg(H("1d0a0102aabbccddeeff")),
        seg(H("1d030100")),
        seg(H("1312") + bytes(range(1, 17))),
        seg(H("0b060000000a0c060000000b0d060000000c")),
        seg(H("06060000000a07060000000b")),
        seg(H("020305")),
        seg(H("0206000100000000")),
        seg(H("63040102")),
        seg(H("04030000")),
        seg(H("02010000")),
        seg(H("0101020a")),
        seg(H("0103020405b4")),
        seg(H("020405b4080a0000000100000002"), cut=60),
        seg(H("020405b4080a0000000100000002"), cut=58),
        seg(H("020405b4080a0000000100000002"), cut=59),
        seg(H("6308010203040506"), cut=59),
        seg(H("1e0c0181") + key + H("080a0000000100000002"), cut=70),  # cut after MPTCP: "[|mptcp]"
        seg(H("0101050a0000010000000200"), A, ack=5),
        seg(H("0101050a0000010000000200"), A, cut=62, ack=5),
    ]


def icmp6_frames() -> list[bytes]:
    """ICMPv6 as print-icmp6.c prints it without -v: errors, MLD (v1 and v2), redirects, node information,
    router renumbering, RPL, unknown types."""
    from scapy.all import (
        TCP,
        UDP,
        ICMPv6DestUnreach,
        ICMPv6EchoRequest,
        ICMPv6HAADRequest,
        ICMPv6MLDone,
        ICMPv6MLQuery,
        ICMPv6MLQuery2,
        ICMPv6MLReport,
        ICMPv6ND_NS,
        ICMPv6ND_Redirect,
        ICMPv6PacketTooBig,
        ICMPv6ParamProblem,
        ICMPv6TimeExceeded,
        IPv6,
        IPv6ExtHdrHopByHop,
    )

    e, typed = _icmp6_base()
    inner = IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1234, dport=53)
    inner_tcp = IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / TCP(sport=1234, dport=80)
    out = [
        bytes(e / m)
        for m in [
            ICMPv6MLQuery(),
            ICMPv6MLQuery(mladdr="ff02::fb", mrd=1000),
            ICMPv6MLReport(mladdr="ff02::fb"),
            ICMPv6MLDone(mladdr="ff02::fb"),
            ICMPv6MLQuery2(),
            ICMPv6MLQuery2(mladdr="ff02::fb", sources=["2001:db8::1"]),
            *(ICMPv6DestUnreach(code=c) / inner for c in range(6)),
            ICMPv6DestUnreach(code=4) / inner_tcp,
            ICMPv6PacketTooBig(mtu=1280) / inner,
            *(ICMPv6TimeExceeded(code=c) / inner for c in range(3)),
            *(ICMPv6ParamProblem(code=c, ptr=40) / inner for c in (0, 1, 2, 3, 9)),
            ICMPv6ND_Redirect(tgt="fe80::2", dst="2001:db8::9"),
            ICMPv6HAADRequest(id=0x1234),
        ]
    ]
    out += [
        typed(200, 0, b"abcdefgh"),
        typed(250),
        typed(99, 1, b"\x01\x02\x03"),
        typed(141),
        typed(143),
        typed(130, 0, bytes(22)),
    ]  # a query of no known length
    out += node_information_frames(e, typed)
    out += [
        bytes(e / m)[:cut]
        for m, cut in [  # cut short: tcpdump stops where it must
            (ICMPv6MLQuery(), 64),
            (ICMPv6MLQuery2(mladdr="ff02::fb"), 74),
            (ICMPv6EchoRequest(), 59),
            (ICMPv6EchoRequest(), 55),
            (ICMPv6PacketTooBig() / inner, 60),
            (ICMPv6DestUnreach(code=3) / inner, 84),
            (ICMPv6DestUnreach(code=4) / inner, 103),
            (ICMPv6ParamProblem() / inner, 94),
            (ICMPv6ND_NS(tgt="2001:db8::2"), 74),
        ]
    ]
    return out


def node_information_frames(e, typed) -> list[bytes]:
    """ICMPv6 node information (RFC 4620, what `ping -N` sends), router renumbering (RFC 2894) and RPL (RFC 6550):
    every query type, subject and reply print-icmp6.c words, its name printers' odd cases, the cut ones."""
    from scapy.all import (
        ICMPv6NIQueryIPv4,
        ICMPv6NIQueryIPv6,
        ICMPv6NIQueryName,
        ICMPv6NIQueryNOOP,
        ICMPv6NIReplyIPv6,
        ICMPv6NIReplyName,
        ICMPv6NIReplyNOOP,
        ICMPv6NIReplyRefuse,
        ICMPv6NIReplyUnknown,
        Raw,
    )

    name = struct.pack(">HH", 2, 0) + bytes(8)  # a DNS-name query or reply, then the name's bytes
    out = [
        bytes(e / m)
        for m in [
            ICMPv6NIQueryNOOP(),
            ICMPv6NIQueryName(data="www.example.com"),
            ICMPv6NIQueryIPv6(data="2001:db8::1"),
            ICMPv6NIQueryIPv4(data="198.18.0.1"),
            ICMPv6NIQueryNOOP(qtype=1, flags=1),
            ICMPv6NIQueryNOOP(qtype=3, flags=0x7E),
            ICMPv6NIQueryNOOP(qtype=9) / Raw(b"x"),
            ICMPv6NIQueryNOOP(qtype=2, code=5) / Raw(b"x"),
            ICMPv6NIReplyNOOP(),
            ICMPv6NIReplyName(data="host.example.org"),
            ICMPv6NIReplyRefuse(),
            ICMPv6NIReplyUnknown(),
            ICMPv6NIReplyIPv6(data=[(30, "2001:db8::1"), (0, "fe80::1")]),
            ICMPv6NIReplyNOOP(qtype=1, flags=1),
            ICMPv6NIReplyNOOP(qtype=7),
            ICMPv6NIReplyIPv6(data=[(30, "2001:db8::1")], flags=0x7F),
            ICMPv6NIReplyName(data="host.example.org", flags=1),
        ]
    ]
    out += [
        typed(139, 0, bytes(8)),
        typed(139, 1, name + b"\x05hello"),
        typed(139, 1, name + b"\x03a\x80b\x01\x1f\x00"),
        typed(139, 1, name + b"\x03abc\x00\x00"),
        typed(139, 1, name + b"\x09abc"),
        typed(139, 1, name + b"\x03abc\x00\x01"),
        typed(140, 0, name),
        typed(140, 0, name + bytes(2)),
        typed(140, 0, name + bytes(4) + b"\x03abc\x02de"),
        typed(139, 0, b"\x00\x02"),
        typed(140, 0, b"\x00\x02"),
    ]

    def rr(code: int, mcode: int = 1, mlen: int = 3, uses: tuple = ()) -> bytes:  # a match part, then use parts
        body = struct.pack(">IBBHI", 77, 0, 0, 0, 0)
        if code == 0:
            body += struct.pack(">BBBBBBH", mcode, mlen, 0, 48, 0, 0, 0) + bytes.fromhex("20010db8") + bytes(12)
            for f in uses:
                body += struct.pack(">BBBBIII", 64, 16, 0, 0, 0, 0, f << 24) + bytes.fromhex("20010db80001") + bytes(10)
        return typed(138, code, body)

    out += [
        rr(0),
        rr(1),
        rr(255),
        rr(7),
        rr(0, 2, 7, (0x80,)),
        rr(0, 3, 11, (0xC0, 0)),
        rr(0, 9, 4),
        rr(0, 1, 2),
        rr(0, 1, 7),
        rr(0, 1, 11, (0x40,))[:-10],
        rr(0)[:-5],
        rr(1)[:-5],
    ]
    return out + [typed(155, c, bytes(24)) for c in (0, 1, 2, 3, 4, 0x80, 0x81)]


def ip6_frames() -> list[bytes]:
    """IPv6 extension headers walked as print-ip6.c walks them, and jumbograms (RFC 2675): payload length 0,
    the length in a hop-by-hop option, a UDP length of 0; more than 0xffff bytes, for -x and -X."""
    from scapy.all import (
        TCP,
        UDP,
        Ether,
        ICMPv6EchoRequest,
        ICMPv6MLDMultAddrRec,
        ICMPv6MLReport2,
        IPv6,
        IPv6ExtHdrDestOpt,
        IPv6ExtHdrFragment,
        IPv6ExtHdrHopByHop,
        IPv6ExtHdrRouting,
        IPv6ExtHdrSegmentRouting,
        Raw,
        RouterAlert,
    )

    e = Ether(src="02:eb:00:00:00:01", dst="02:eb:00:00:00:02")
    a = {"src": "2001:db8::1", "dst": "2001:db8::2"}

    def jumbo(nh: int, l4: bytes, value: int | None = None, options: bytes | None = None) -> bytes:
        opts = (
            options
            if options is not None
            else bytes([0xC2, 4]) + struct.pack(">I", 8 + len(l4) if value is None else value)
        )
        return bytes(e / IPv6(plen=0, nh=0, **a)) + bytes([nh, 0]) + opts + l4

    big = b"z" * 70000
    udp = struct.pack(">HHHH", 1111, 2222, 0, 0) + big  # UDP length 0: the IP length counts
    tcp = bytes(TCP(sport=40000, dport=5000, flags="PA", seq=1, ack=1)) + big
    return [
        jumbo(17, udp),
        jumbo(6, tcp),
        jumbo(58, bytes(ICMPv6EchoRequest(data=b"p" * 70000)))[:300],
        jumbo(17, udp[:100], value=1000),
        jumbo(17, b"\x01\x02\x03\x04\x05\x06\x07\x08", options=bytes([1, 4, 0, 0, 0, 0])),
        jumbo(17, udp[:100], options=bytes([0xC2, 3, 0, 0, 0, 0])),
        jumbo(17, udp[:100], options=bytes([5, 2, 0, 0, 1, 0])),
        bytes(e / IPv6(**a) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / UDP(sport=1, dport=2) / Raw(b"x")),
        bytes(e / IPv6(**a) / IPv6ExtHdrHopByHop() / IPv6ExtHdrHopByHop() / UDP(sport=1, dport=2)),
        bytes(e / IPv6(**a) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP(sport=1, dport=2)),
        bytes(e / IPv6(**a) / IPv6ExtHdrDestOpt() / ICMPv6EchoRequest()),
        bytes(e / IPv6(**a) / IPv6ExtHdrRouting(addresses=["2001:db8::9"]) / UDP(sport=1, dport=2)),
        bytes(e / IPv6(**a) / IPv6ExtHdrSegmentRouting(addresses=["2001:db8::9"]) / UDP(sport=1, dport=2)),
        bytes(e / IPv6(**a) / IPv6ExtHdrFragment(offset=10) / Raw(b"q" * 20)),
        bytes(e / IPv6(**a, nh=59)),
        bytes(e / IPv6(**a, plen=300) / UDP(sport=1, dport=2) / Raw(b"x" * 100)),
        bytes(e / IPv6(**a, plen=300) / ICMPv6EchoRequest()),
        bytes(e / IPv6(**a, plen=0) / ICMPv6EchoRequest()),
        bytes(
            e
            / IPv6(**a)
            / IPv6ExtHdrHopByHop(options=[RouterAlert()])
            / ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(dst="ff02::fb")])
        ),
        bytes(e / IPv6(**a) / IPv6ExtHdrHopByHop(options=[RouterAlert()]))[:59],
        bytes(e / IPv6(**a) / IPv6ExtHdrHopByHop(options=[RouterAlert()]))[:55],
    ]


def icmp_frames() -> list[bytes]:
    """ICMP as print-icmp.c prints it without -v: every unreachable code, time exceeded (traceroute's answers),
    redirects, parameter problems, timestamps, address masks, router discovery (RFC 1256), unknown types."""
    from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw

    eth = Ether(src="02:eb:00:00:00:01", dst="02:eb:00:00:00:02")
    e = eth / IP(src="198.18.0.2", dst="198.18.0.1")
    probe = IP(src="198.18.0.1", dst="198.18.9.9", ttl=1) / UDP(sport=40000, dport=33434) / Raw(b"abcd")
    syn = IP(src="198.18.0.1", dst="198.18.9.9") / TCP(sport=40000, dport=443)

    def raw(body: bytes) -> bytes:  # an ICMP message as given: no length or checksum fixed up
        return bytes(eth / IP(src="198.18.0.2", dst="198.18.0.1", proto=1) / Raw(body))

    def advert(n: int, size: int = 2, life: int = 1800) -> bytes:  # n addresses and their preferences
        return raw(
            struct.pack(">BBHBBH", 9, 0, 0, n, size, life)
            + b"".join(struct.pack(">4sI", bytes([198, 18, 0, i]), 1000 * i) for i in range(n))
        )

    out = [bytes(e / ICMP(type=3, code=c, nexthopmtu=1400 if c == 4 else 0) / probe) for c in range(17)]
    out += [
        bytes(e / ICMP(type=3, code=3) / syn),
        bytes(e / ICMP(type=3, code=4) / probe),
        bytes(e / ICMP(type=3, code=3) / IP(src="198.18.0.1", dst="198.18.9.9", proto=47) / Raw(bytes(8))),
    ]
    out += [bytes(e / ICMP(type=11, code=c) / probe) for c in range(3)]
    out += [bytes(e / ICMP(type=5, code=c, gw="198.18.0.254") / probe) for c in range(5)]
    out += [bytes(e / ICMP(type=12, code=c, ptr=9) / probe) for c in (0, 1)] + [bytes(e / ICMP(type=4) / probe)]
    out += [
        bytes(e / m)
        for m in [
            ICMP(type=13, id=7, seq=3, ts_ori=1000, ts_rx=0, ts_tx=0),
            ICMP(type=14, id=7, seq=3, ts_ori=45296789, ts_rx=4294967295, ts_tx=86399999),
            ICMP(type=17, id=1, seq=1) / Raw(bytes(4)),
            ICMP(type=18, id=1, seq=1, addr_mask="255.255.255.0"),
            ICMP(type=15, id=1, seq=2),
            ICMP(type=16, id=1, seq=2),
            ICMP(type=10),
            ICMP(type=42),
        ]
    ]
    out += [
        advert(0, life=30),
        advert(1),
        advert(2, life=9000),
        advert(3, size=4),
        advert(9, life=65535),
        advert(12, life=7),  # print-icmp.c cuts its text at 163 characters
        raw(struct.pack(">BBHBBH", 9, 0, 0, 3, 2, 600) + bytes(12)),
        raw(bytes([9, 0, 0, 0, 1])),
        raw(bytes([3])),
        raw(bytes([3, 1, 0, 0, 0, 0, 0, 0, 0x45])),
        raw(bytes([3, 3, 0, 0, 0, 0, 0, 0, 0x40, 0, 0x82, 0x9A]) + bytes(5) + b"\x11" + bytes(10)),  # header length 0
        raw(bytes([3, 3, 0, 0, 0, 0, 0, 0, 0x4F]) + bytes(8) + b"\x11" + bytes(7)),  # 60, the ports not there
        raw(bytes([8, 0, 0, 0, 0, 1])),
        raw(bytes([12, 0, 0, 0])),
    ]
    return out


def tunnel_frames() -> list[bytes]:
    """IP in IP (4 and 41, both ways), GRE (RFC 2784/2890 and the old source routes of RFC 1701, PPTP's version 1,
    Ethernet bridged over GRE), ESP and AH (print-esp.c, print-ah.c): tcpdump prints what they carry."""
    from scapy.all import ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, IPv6, Raw

    eth = Ether(src="02:eb:00:00:00:01", dst="02:eb:00:00:00:02")

    def ip(proto: int, body: bytes, v6: bool = False) -> bytes:
        if v6:
            return bytes(eth / IPv6(src="2001:db8::a", dst="2001:db8::b", nh=proto) / Raw(body))
        return bytes(eth / IP(src="198.18.0.1", dst="198.18.0.2", proto=proto) / Raw(body))

    i4 = bytes(IP(src="198.18.1.1", dst="198.18.1.2") / UDP(sport=1000, dport=2000) / Raw(b"x" * 10))
    i6 = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=1, seq=2))
    udp, syn = bytes(UDP(sport=1, dport=2) / Raw(b"u" * 4)), bytes(TCP(sport=40000, dport=22, flags="S", seq=5))

    def gre(flags: int, proto: int, fields: bytes = b"", body: bytes = b"") -> bytes:
        return struct.pack(">HH", flags, proto) + fields + body

    def sre(af: int, off: int, data: bytes) -> bytes:  # a GRE source route entry
        return struct.pack(">HBB", af, off, len(data)) + data

    def ah(nh: int, body: bytes, icv: int = 12, reserved: int = 0) -> bytes:
        return struct.pack(">BBHII", nh, (12 + icv) // 4 - 2, reserved, 0x22, 3) + bytes(range(icv)) + body

    out = [
        ip(4, i4),
        ip(41, i6),
        ip(4, i6),
        ip(41, i4),
        ip(4, i4[:10]),
        ip(41, i6[:30]),
        ip(4, b""),
        ip(41, b""),
        ip(4, bytes([0x44]) + i4[1:]),
        ip(4, bytes(IP(src="198.18.1.1", dst="198.18.1.2", proto=4) / Raw(i4))),
        ip(4, i4, True),
        ip(41, i6, True),
    ]
    out += [
        ip(47, gre(0, 0x800, b"", i4)),
        ip(47, gre(0, 0x86DD, b"", i6)),
        ip(47, gre(0, 0x800, b"", i4), True),
        ip(47, gre(0x2000, 0x800, struct.pack(">I", 0xABC), i4)),
        ip(47, gre(0x1000, 0x800, struct.pack(">I", 9), i4)),
        ip(47, gre(0x8000, 0x800, struct.pack(">HH", 0xFFFF, 4), i4)),
        ip(47, gre(0xB000, 0x800, struct.pack(">HHII", 1, 2, 3, 4), i4)),
        ip(47, gre(0, 0x6558, b"", bytes(eth)[:12] + b"\x08\x00" + i4)),  # Ethernet over GRE
        ip(47, gre(0, 0x6558, b"", bytes(eth)[:12] + b"\x88\xb5abc")),
        ip(47, gre(0, 0x6558, b"", b"abc")),
        ip(47, gre(0, 0x880B, b"", b"abcd")),
        ip(47, gre(2, 0x800, b"", i4)),
        ip(47, gre(1, 0x880B, struct.pack(">HH", 4, 7))),
        ip(47, gre(0x2081, 0x880B, struct.pack(">HHI", 4, 7, 12))),
        ip(
            47,
            gre(
                0x4000,
                0x800,
                bytes(4)
                + sre(0x800, 4, bytes(range(1, 9)))
                + sre(0xFFFE, 2, b"\0\1\0\2")
                + sre(0x1234, 0, b"zzzz")
                + bytes(4),
                i4,
            ),
        ),
        ip(
            47,
            gre(
                0x4000,
                0x800,
                bytes(4) + sre(0x800, 1, bytes(8)) + sre(0x800, 8, bytes(8)) + sre(0x800, 4, bytes(6)) + bytes(4),
                i4,
            ),
        ),
        ip(47, gre(0x4000, 0x800, bytes(4) + struct.pack(">HBB", 0x800, 0, 8) + bytes(4))),
        ip(47, b"\x00"),
        ip(47, b"\x00\x00\x08"),
        ip(47, gre(0x3000, 0x800, b"\x00\x00\x00\x01\x00")),
    ]
    out += [
        ip(50, struct.pack(">II", 0x1001, 7) + b"q" * 32),
        ip(50, struct.pack(">II", 0x1001, 7)),
        ip(50, b"abc"),
        ip(50, struct.pack(">II", 0xDEADBEEF, 0xFFFFFFFF) + b"q" * 3, True),
    ]
    out += [
        ip(51, ah(17, udp)),
        ip(51, ah(6, syn)),
        ip(51, ah(1, bytes(ICMP()))),
        ip(51, ah(17, udp, reserved=5)),
        ip(51, ah(50, struct.pack(">II", 1, 2) + b"e" * 16)),
        ip(51, ah(4, i4)),
        ip(51, ah(17, udp), True),
        ip(51, ah(58, bytes(IPv6() / ICMPv6EchoRequest())[40:]), True),
        ip(51, ah(59, b"", icv=4), True),
        ip(51, ah(51, ah(17, udp))),
    ]
    return out


def igmp_frames() -> list[bytes]:
    """IGMP as print-igmp.c prints it without -v: every LAN's multicast joins (v2 and v3 reports, queries, leaves),
    v3 query times in both codings, multicast traceroute, short and unknown messages."""
    from scapy.all import IP, Ether, IPOption_Router_Alert, Raw

    eth = Ether(src="02:eb:00:00:00:01", dst="01:00:5e:00:00:fb")

    def ip(body: bytes, alert: bool = True) -> bytes:  # hosts send IGMP with the router alert option
        return bytes(
            eth
            / IP(
                src="198.18.0.1", dst="224.0.0.251", proto=2, ttl=1, options=[IPOption_Router_Alert()] if alert else []
            )
            / Raw(body)
        )

    def igmp(t: int, code: int, group: bytes, extra: bytes = b"") -> bytes:
        return struct.pack(">BBH4s", t, code, 0, group) + extra

    def q3(code: int, group: bytes, sources: list[bytes], qqic: int = 125) -> bytes:
        return igmp(0x11, code, group) + struct.pack(">BBH", 2, qqic, len(sources)) + b"".join(sources)

    g, g2, none = bytes([224, 0, 0, 251]), bytes([224, 0, 0, 1]), bytes(4)
    record = struct.pack(">BBH4s", 4, 0, 0, g) + struct.pack(">BBH4s", 2, 0, 0, bytes([239, 1, 1, 1]))
    return [
        ip(igmp(0x16, 0, g)),
        ip(igmp(0x17, 0, g), False),
        ip(igmp(0x12, 0, g2)),
        ip(igmp(0x12, 0, g2, b"xx")),
        ip(igmp(0x11, 0, none)),
        ip(igmp(0x11, 100, none)),
        ip(igmp(0x11, 20, g)),
        ip(igmp(0x11, 10, g, b"ab")),
        ip(q3(100, none, [])),
        ip(q3(10, g, [bytes([198, 18, 0, 9])])),
        ip(q3(200, g, [bytes(4), bytes(4)])),
        ip(q3(255, none, [])),
        ip(q3(128, g, [])),
        ip(q3(150, g, [])),
        ip(q3(10, g, [bytes(4)])[:-4]),
        ip(q3(10, g, [])[:13]),
        ip(igmp(0x22, 0, bytes([0, 0, 0, 2])) + record),
        ip(igmp(0x22, 0, bytes(4)) + b"abc"),
        ip(igmp(0x42, 0, none)),
        ip(igmp(0x1F, 3, g2, bytes([1, 2, 3, 4, 5, 6, 7, 8, 239, 1, 1, 1, 5, 0, 0, 9]))),
        ip(igmp(0x1E, 3, g2, bytes([1, 2, 3, 4, 5, 6, 7, 8, 198, 1, 1, 1, 5, 0, 1, 9]))),
        ip(igmp(0x1E, 3, g2)),
        ip(b""),
        ip(b"\x16\x00\x00"),
        ip(b"\x11"),
        ip(b"\x11\x05\x00\x00\x00"),
        ip(b"\x22\x00"),
    ]


def llc_frames() -> list[bytes]:
    """802.3 frames (a length where the ethertype goes) and their 802.2 LLC header (print-llc.c): spanning tree BPDUs
    of every version (print-stp.c), padded to 60 bytes as switches send them; IP and ARP over SNAP and RFC 948;
    unnumbered, supervisory and information frames of other SAPs; short and cut ones."""
    from scapy.all import ARP, IP, UDP, IPv6

    src, bridges = bytes.fromhex("02eb00000001"), bytes.fromhex("0180c2000000")

    def frame(llc: bytes, pad: bool = True) -> bytes:
        f = bridges + src + struct.pack(">H", len(llc)) + llc
        return f + bytes(max(0, 60 - len(f))) if pad else f

    def bpdu(version: int = 0, typ: int = 0, flags: int = 0, extra: bytes = b"") -> bytes:  # root, cost, bridge, port
        return (
            struct.pack(">HBBB", 0, version, typ, flags)
            + b"\x80\x00"
            + src
            + struct.pack(">I", 4)
            + b"\x80\x01"
            + bytes.fromhex("02eb00000009")
            + struct.pack(">HHHHH", 0x8002, 0, 20 * 256, 2 * 256, 15 * 256)
            + extra
        )

    def stp(b: bytes) -> bytes:
        return frame(b"\x42\x42\x03" + b)

    mst = b"\x00" + struct.pack(">H", 64) + bytes(64)  # no MSTI; then one MSTI; then SPB's part
    out = [
        stp(bpdu()),
        stp(bpdu(flags=0x81)),
        stp(bpdu(2, 2, 0x7E) + b"\x00"),
        stp(bpdu(2, 2, 0x0D)),
        stp(bpdu(typ=0x80)[:4]),
        stp(bpdu(3, 2, 0x7C, mst)),
        stp(bpdu(3, 2, 0x3C, b"\x00" + struct.pack(">H", 80) + bytes(80))),
        stp(bpdu(4, 2, 0x3C, mst + struct.pack(">H", 85) + bytes(85))),
        stp(bpdu(3, 2, 0, b"\x01" + bytes(70))),
        stp(bpdu(3, 2, 0, b"\x00" + struct.pack(">H", 200) + bytes(70))),
        stp(bpdu(5, 0)),
        stp(b"\x00\x01\x00\x00"),
        stp(bpdu(0, 7)),
        stp(bpdu()[:30]),
        stp(bpdu(2, 2)[:35]),
        stp(b"\x00\x00"),
        stp(bpdu(0, 2)),
        stp(bpdu(3, 2)[:50]),
        stp(bpdu(4, 2, 0, mst + struct.pack(">H", 10) + bytes(10))),
    ]
    out += [
        frame(b)
        for b in (
            b"\xf0\xf0\x03netbios",
            b"\xf0\xf1\x03x",
            b"\xf0\xf0\x13x",
            b"\x42\x43\x2b",
            b"\x04\x05\x01\x1f",
            b"\x04\x04\x05\x03",
            b"\x04\x04\x09\x02",
            b"\x04\x05\x0a\x03abc",
            b"\x04\x04\x00\x00",
            b"\x04\x04\xaf",
            b"\x04\x04\xbf\x81\x01\x02",
            b"\x04\x04\xaf\x81\x01",
            b"\x04\x04\xaf\x55\x01",
            b"\x04\x04\xe3hello",
            b"\x22\x44\x87",
            b"\x7e\x8f\x43",
        )
    ]
    ip4 = bytes(IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1, dport=2))
    out += [
        frame(b"\x06\x06\x03" + ip4),
        frame(
            b"\xaa\xaa\x03\x00\x00\x00\x86\xdd"
            + bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2))
        ),
        frame(
            b"\xaa\xaa\x03\x00\x00\x00\x08\x06"
            + bytes(ARP(psrc="198.18.0.1", pdst="198.18.0.2", hwsrc="02:eb:00:00:00:01"))
        ),
        frame(b"\xaa\xaa\x03\x00\x00"),
        frame(b"\xaa\xaa\x03\x00\x00\x00\x08\x00\x45"),
        frame(b"\xaa", False),
        frame(b"", False),
        frame(b"\x42\x42", False),
        frame(b"\x04\x04\x00", False),
        frame(b"\x42\x42\x03\x00\x00\x00\x00", False),
    ]
    longer = bytearray(stp(bpdu()))
    longer[12:14] = b"\x05\xdc"  # a length field larger than the frame
    return [*out, bytes(longer)]


def mpls_frames() -> list[bytes]:
    """MPLS (print-mpls.c) over Ethernet and GRE: label stacks, the payload told by the bottom label or by its first
    byte, a payload of neither kind (dumped), stacks cut short."""
    from scapy.all import IP, UDP, Ether, IPv6, Raw

    eth = bytes.fromhex("02eb0000000202eb00000001")
    i4 = bytes(IP(src="198.18.1.1", dst="198.18.1.2") / UDP(sport=1000, dport=2000) / Raw(b"x" * 10))
    i6 = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2))

    def label(n: int, bottom: int = 0, ttl: int = 64, tc: int = 0) -> bytes:
        return struct.pack(">I", (n << 12) | (tc << 9) | (bottom << 8) | ttl)

    def mpls(body: bytes, et: int = 0x8847) -> bytes:
        return eth + struct.pack(">H", et) + body

    gre = struct.pack(">HH", 0, 0x8847) + label(20, 1) + i4
    return [
        mpls(label(20, 1) + i4),
        mpls(label(16) + label(0, 1, 5, 3) + i4),
        mpls(label(2, 1) + i6),
        mpls(label(3, 1) + i4),
        mpls(label(99, 1) + i6),
        mpls(label(99, 1) + b"\x01abc"),
        mpls(label(99, 1, 9) + b"\x90" * 20),
        mpls(label(99, 1) + b"hello world"),
        mpls(label(99, 1)),
        mpls(label(20)),
        mpls(label(20)[:3]),
        mpls(b""),
        mpls(label(20, 1) + i4, 0x8848),
        mpls(label(16) + label(17) + label(18, 1) + i4),
        bytes(
            Ether(src="02:eb:00:00:00:01", dst="02:eb:00:00:00:02")
            / IP(src="198.18.0.1", dst="198.18.0.2", proto=47)
            / Raw(gre)
        ),
    ]


def ospf_frames() -> list[bytes]:
    """OSPFv2 and OSPFv3 (print-ospf.c, print-ospf6.c) without -v: version, packet type, length (less an MD5 trailer)."""
    from scapy.all import IP, Ether, IPv6, Raw

    e = Ether(src="02:eb:00:00:00:01", dst="01:00:5e:00:00:05")

    def v2(t: int, auth: int = 0, body: bytes = bytes(20), ver: int = 2) -> bytes:
        return (
            struct.pack(">BBH4s4sHH8s", ver, t, 24 + len(body), bytes([198, 18, 0, 1]), bytes(4), 0, auth, bytes(8))
            + body
        )

    def v3(t: int, body: bytes = bytes(20), ver: int = 3) -> bytes:
        return struct.pack(">BBH4s4sHBB", ver, t, 16 + len(body), bytes([198, 18, 0, 1]), bytes(4), 0, 0, 0) + body

    def ip(b: bytes) -> bytes:
        return bytes(e / IP(src="198.18.0.1", dst="224.0.0.5", ttl=1, proto=89) / Raw(b))

    def ip6(b: bytes) -> bytes:
        return bytes(e / IPv6(src="fe80::1", dst="ff02::5", nh=89) / Raw(b))

    return (
        [ip(v2(t)) for t in range(7)]
        + [
            ip(v2(1, 2, bytes(36))),
            ip(v2(1, 2)[:20]),
            ip(v2(1, 2)[:16]),
            ip(v2(1, 1)),
            ip(v2(1, ver=3)),
            ip(b"\x02"),
            ip(b""),
            ip(v2(1)[:15]),
        ]
        + [ip6(v3(t)) for t in range(7)]
        + [ip6(v3(1, ver=2)), ip6(b"\x03"), ip6(b"\x03\x01")]
    )


def dccp_frames() -> list[bytes]:
    """DCCP (print-dccp.c) without -v: every packet type with 48- and 24-bit sequence numbers, service codes, reset
    codes, acknowledgements; headers shorter than their type needs."""
    from scapy.all import IP, Ether, IPv6, IPv6ExtHdrDestOpt, Raw

    e = Ether(src="02:eb:00:00:00:01", dst="02:eb:00:00:00:02")

    def dccp(t: int, x: int = 1, extra: bytes = b"", body: bytes = b"", doff: int | None = None) -> bytes:
        h = (
            struct.pack(">HHBBHBB", 40000, 5001, 0, 0, 0, (t << 1) | x, 0)
            + (b"\0\0\0\0\0\7" if x else b"\0\0\7")
            + extra
        )
        return h[:4] + bytes([len(h) // 4 if doff is None else doff]) + h[5:] + body

    def ip(b: bytes, v6: bool = False) -> bytes:
        return bytes(
            e
            / (
                IPv6(src="2001:db8::1", dst="2001:db8::2", nh=33)
                if v6
                else IP(src="198.18.0.1", dst="198.18.0.2", proto=33)
            )
            / Raw(b)
        )

    ack, ack24, svc = bytes.fromhex("0000000000000009"), bytes.fromhex("00000009"), struct.pack(">I", 42)
    return [
        ip(dccp(0, extra=svc)),
        ip(dccp(1, extra=ack + svc)),
        ip(dccp(2, body=b"data")),
        ip(dccp(3, extra=ack)),
        ip(dccp(4, extra=ack, body=b"xy")),
        ip(dccp(5, extra=ack)),
        ip(dccp(6, extra=ack)),
        ip(dccp(7, extra=ack + bytes([3, 0, 0, 0]))),
        ip(dccp(7, extra=ack + bytes([99, 0, 0, 0]))),
        ip(dccp(8, extra=ack)),
        ip(dccp(9, extra=ack)),
        ip(dccp(12, extra=ack)),
        ip(dccp(3, 0, extra=ack24)),
        ip(dccp(2, 0)),
        ip(dccp(0, 0, extra=svc)),
        ip(dccp(3, extra=ack), True),
        ip(dccp(0, extra=svc), True),
        ip(dccp(3)),
        ip(dccp(0)),
        ip(dccp(7, extra=ack)),
        ip(dccp(1, extra=ack)),
        ip(dccp(2)[:10]),
        ip(dccp(2)[:14]),
        ip(dccp(2, 0)[:11]),
        ip(dccp(3, doff=40, extra=ack)),
        ip(dccp(13)),
        ip(dccp(13, 0)),
        bytes(e / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrDestOpt(nh=33) / Raw(dccp(3, extra=ack))),
    ]


def sctp_frames() -> list[bytes]:
    """SCTP (print-sctp.c) without -v: INIT, INIT ACK, DATA with its flags, SACK with gap blocks and duplicates, other
    chunk types, bogus and cut chunk lengths, a ForCES port."""
    from scapy.all import IP, Ether, IPv6, Raw

    e = Ether(src="02:eb:00:00:00:01", dst="02:eb:00:00:00:02")

    def chunk(t: int, flags: int, body: bytes, pad: bool = True) -> bytes:
        c = struct.pack(">BBH", t, flags, 4 + len(body)) + body
        return c + (bytes(-len(c) % 4) if pad else b"")

    def ip(b: bytes, v6: bool = False) -> bytes:
        return bytes(
            e
            / (
                IPv6(src="2001:db8::1", dst="2001:db8::2", nh=132)
                if v6
                else IP(src="198.18.0.1", dst="198.18.0.2", proto=132)
            )
            / Raw(b)
        )

    def data(flags: int, payload: bytes = b"hello") -> bytes:
        return chunk(0, flags, struct.pack(">IHHI", 5, 1, 2, 46) + payload)

    hdr, init = struct.pack(">HHII", 40000, 38412, 7, 0), struct.pack(">IIHHI", 1234, 65536, 10, 65535, 99)
    sack = chunk(3, 0, struct.pack(">IIHH", 100, 8000, 2, 1) + struct.pack(">HHHHI", 2, 3, 5, 7, 90))
    return [
        ip(hdr + chunk(1, 0, init)),
        ip(hdr + chunk(2, 0, init + b"\x00\x07\x00\x08cook")),
        ip(hdr + data(3)),
        ip(hdr + data(4) + data(0, b"x")),
        ip(hdr + data(7)),
        ip(hdr + sack),
        ip(hdr + chunk(10, 0, b"cookie") + data(3)),
        ip(hdr + chunk(11, 0, b"")),
        ip(hdr + chunk(4, 0, b"\x00\x01\x00\x08abcd")),
        ip(hdr + chunk(0xC0, 0, b"")),
        ip(hdr + chunk(0x99, 0, b"")),
        ip(hdr + chunk(0, 3, struct.pack(">IHHI", 5, 1, 2, 99))),
        ip(hdr + chunk(0, 3, b"abc")),
        ip(hdr + chunk(1, 0, b"abc")),
        ip(hdr + chunk(3, 0, b"abc")),
        ip(hdr + chunk(3, 0, struct.pack(">IIHH", 100, 8000, 3, 0) + b"\x00\x01")),
        ip(hdr + b"\x01\x00"),
        ip(hdr + b"\x01\x00\x00\x02"),
        ip(hdr + b"\x01\x00\x00\x07abc"),
        ip(hdr + chunk(11, 0, b"a", False)),
        ip(hdr[:8]),
        ip(hdr),
        ip(hdr + chunk(1, 0, init), True),
        ip(struct.pack(">HHII", 6704, 1, 0, 0) + chunk(11, 0, b"")),
        ip(hdr + chunk(3, 0, struct.pack(">IIHHHH", 0xFFFFFFFF, 1, 1, 0, 2, 3))),
    ]


def tunnel_snapped_frames() -> list[tuple[bytes, int]]:
    """AH and GRE headers, and IP inside IP, cut by a snap length at every field."""
    f = tunnel_frames()
    return (
        [(f[-10][: 34 + n], len(f[-10])) for n in range(0, 25, 3)]
        + [(f[18][: 34 + n], len(f[18])) for n in range(0, 17, 2)]
        + [(f[0][: 34 + n], len(f[0])) for n in (0, 1, 3, 4, 10, 19, 20)]
        + [(igmp_frames()[10][: 38 + n], len(igmp_frames()[10])) for n in range(0, 20, 2)]
        + [(llc_frames()[0][: 14 + n], 60) for n in (0, 2, 3, 5, 6, 7, 8, 20, 30)]
        + [(mpls_frames()[1][: 14 + n], len(mpls_frames()[1])) for n in (0, 2, 4, 6, 8, 9)]
        + [(dccp_frames()[3][: 34 + n], len(dccp_frames()[3])) for n in (0, 8, 12, 15, 16, 17, 20, 23, 24)]
        + [(dccp_frames()[0][: 34 + n], len(dccp_frames()[0])) for n in (16, 18, 20)]
        + [(sctp_frames()[0][: 34 + n], len(sctp_frames()[0])) for n in (0, 8, 12, 14, 16, 20, 30)]
    )


def icmp_snapped_frames() -> list[tuple[bytes, int]]:
    """ICMP errors cut by a snap length at every field tcpdump reads: a longjmp (GET) or a goto trunc (TCHECK)."""
    f = icmp_frames()
    return [
        (d[: 34 + n], len(d))
        for d in (f[3], f[17], f[20], f[24], f[34], f[41])
        for n in (0, 1, 2, 4, 6, 8, 17, 18, 24, 27, 28, 29, 30, 31)
    ]


def snapped_frames() -> list[tuple[bytes, int]]:
    """Frames cut by a snap length (captured bytes, length on the wire): tcpdump decodes what it has."""
    big = ip6_frames()[:2]
    return (
        [(big[0][:100], len(big[0])), (big[1][:200], len(big[1])), (big[1][:60], len(big[1]))]
        + [(f[:60], len(f)) for f in icmp6_frames()[6:12]]
        + icmp_snapped_frames()
        + [
            (f[: 54 + n], len(f))
            for f in node_information_frames(*_icmp6_base())[:30:3]
            for n in (0, 2, 6, 12, 16, 18, 20, 21, 24)
        ]
        + tunnel_snapped_frames()
    )


def _icmp6_base():
    """What icmp6_frames builds its messages on: the Ethernet and IPv6 headers, and a typed raw message."""
    from scapy.all import Ether, IPv6

    e = Ether(src="02:eb:00:00:00:01", dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1")

    def typed(t: int, code: int = 0, body: bytes = b"") -> bytes:
        head = bytearray(bytes(e))
        head[14 + 4 : 14 + 6], head[14 + 6] = (4 + len(body)).to_bytes(2, "big"), 58
        return bytes(head) + bytes([t, code, 0, 0]) + body

    return e, typed


def mutated_frames() -> list[bytes]:
    """Frames the seeded mutation of this corpus found printed unlike tcpdump, kept as they were found."""
    return [
        bytes.fromhex(h)
        for h in (
            "ffffffffffff02eb000000010806000f080002040002183ac6120001860000000000c6120002",  # FR DLCI cut short
            "ffffffffffff02eb000000010806000f0800020400021839c6120001860000000000c6120002",  # not a Q.922 address
            "ffffffffc441c4aa4824d7df0600010800002c0001c61200b2c6120002",  # ethertype NS: named
            "ffffaf5b8e4cffffff7702eb3a00",  # nothing after the header
            "ffffffffffff02eb000000010800001308000300008dff52399a710104000088470005c6",  # IPv4 version 0
            "02eb0000000202eb000000010800",  # IPv4, no byte of it
            "02eb0000000202eb0000000108004500002c0001000040c85534be08669e781200029c401388000003e8",  # ip-proto-200
            "02eb0000000202eb00000001080045000076000100004006eea3c6120001c61200029c401388000003e8"
            "5500000082022000003d000004030000",  # options cut after eol
            "02eb00000002027700000001080045000086000100004006ee93c6120001c61200029c401388000003e8"
            "00000000a0022000000000001312010203cc0506070809530b0c0d0e0f100000",  # md5, segment not whole
            "02eb0000000202eb0000000108004500003000010000403aee9fc6120001c6120002b9401388000003e8"
            "3a00000070022000000000000103020405b40000",  # ICMPv6 in IPv4
            "33330000000102eb0000000186dd60000000001c0101dd800000000000000000000000000001ff0200000000"
            "00000000000000000001820059132c100000000000000000000000000000004b000000000000",  # ICMP in IPv6
            "33330000000102eb0000000186dd6000000000383a40fe8000008ad0f3b61b0000000001ff0200000000000000"
            "0000000000000101058fd300000000600000000008114020010db800000000000000000000000120010db8000000"
            "000000000000000002",  # ::0.1.1.5, as inet_ntop
            "02eb0000000202eb0000000186dd600000000011004020010db800000000000000000000000120010db8000000"
            "00000000000000000211000502000001000001000200092c",  # UDP header cut
            "02eb0000000202eb0000000186dd6000000000062c4020010db80000f50000000000cc00000120010db8000000"
            "00000000000000023b000050000000007171717171717171717171fb7171717171e77171",  # frag length < 0
            "02eb0000000202eb0000000186dd60000000000000b820010db800000000000000000000590f89343a000120010d"
            "b800000000000000",  # HBH length not captured
            "02eb0000860202eb0000000186dd60004c0000202b4079880db800000000000000c8000000000120010db8000000"
            "0000000000000000",  # RT6 not captured
            "02eb0000000202eb0000000186dd60000000001c3a01fe800000000600000000000000000001ff0200000000000000"
            "00000000000001825359150f100000ffe0004aeb362dd03e08007a00000000000000",  # MLDv2 query cut
            "02eb0000006902eb0000000108004800002c000100004006eea3dd120001c61200029c40138800",  # IPv4 options cut
            # where 4.99.3 and 4.99.5 differ (see test_tcpdump_fidelity's version tests)
            "02eb0000000202eb0000000186dd6000000000202b4020010db8000000000000db000006000120010db800fe0000bf00"
            "00000000000000090001000200086c5f",  # RT6 type 0, odd length
            "02eb0000000202eb0000000186dd6000000000202b4020010db800000000290000000000000120010db8000000000000"
            "00000000000211dd04000000000020010db8000000000000000000000009000100020008a45f",  # RT6 type 4, odd length
            "02eb0000000202eb0000000186dd60000000001c2c4020010db800000000000000000000000120010db8000000000000"
            "0000000000023b0000",  # fragment header cut
            "33330000000102eb0000000186dd6000000000183a01fe800000000000000000000000000001ff02000000000000",  # < 40
            "02eb0000000202eb000000010800450000000000000040110000c6120001c61200029c401e6100140000" + "78" * 12,  # TSO
        )
    ]
