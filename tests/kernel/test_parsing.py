"""bpf/parsing.h on the real kernel: every crafted frame lands in exactly the bucket it belongs to (lab 04)."""
from __future__ import annotations

import types

import pytest
from waiting import wait_until

from ebpflab import traffic
from ebpflab.loader import Program

BUCKETS = ["malformed", "not_ip", "tcp", "udp", "icmp", "icmpv6", "other_l4", "fragment"]
V6_SRC, V6_DST = "2001:2::1", "2001:2::2"  # the IPv6 benchmarking prefix, crafted frames only


def frames(net):
    """(name, frame, bucket, expected pkt_info fields) for every case the issue lists, and a few more."""
    from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_RR
    from scapy.layers.inet6 import (ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
    from scapy.layers.ipsec import AH
    from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether

    c, s = net["client"], net["server"]
    eth = Ether(src=c.mac, dst=s.mac)
    ip = IP(src=c.ip, dst=s.ip)
    ip6 = IPv6(src=V6_SRC, dst=V6_DST)
    udp = bytes(eth / ip / UDP(sport=1234, dport=53) / b"hello")
    cut_ip = bytes(eth / ip / UDP())[:14 + 12]
    bad_version = bytearray(bytes(eth / ip / UDP(dport=53)))
    bad_version[14] = 0x65  # version 6, IHL 5 inside an IPv4 EtherType
    deep = IPv6ExtHdrDestOpt()
    for _ in range(6):  # 7 extension headers: one more than IPV6_EXT_MAX_DEPTH
        deep = deep / IPv6ExtHdrDestOpt()
    return [
        ("udp", udp, "udp", {"dport": 53, "sport": 1234, "ip_version": 4, "l4_proto": 17}),
        ("tcp syn", eth / ip / TCP(sport=40000, dport=80, flags="S"), "tcp", {"dport": 80, "tcp_flags": 0x02}),
        ("tcp syn-ack with options", eth / ip / TCP(dport=443, flags="SA", options=[("MSS", 1460), ("WScale", 7)]),
         "tcp", {"dport": 443, "tcp_flags": 0x12}),
        ("icmp echo", eth / ip / ICMP(), "icmp", {"icmp_type": 8, "l4_proto": 1}),
        ("arp", eth / ARP(psrc=c.ip, pdst=s.ip), "not_ip", {"eth_proto": 0x0806, "ip_version": 0}),
        ("gre", eth / IP(src=c.ip, dst=s.ip, proto=47) / (b"\0" * 8), "other_l4", {"ip_proto": 47, "l4_proto": 0}),
        # truncated frames
        ("only ethernet", bytes(eth)[:12] + b"\x08\x00", "malformed", {"eth_proto": 0x0800, "ip_version": 0}),
        ("truncated ipv4 header", cut_ip, "malformed", {}),
        ("truncated udp header", eth / IP(src=c.ip, dst=s.ip, proto=17) / bytes(UDP())[:4], "malformed", {"ip_version": 4}),
        ("truncated tcp header", eth / IP(src=c.ip, dst=s.ip, proto=6) / bytes(TCP())[:12], "malformed", {"ip_version": 4}),
        ("datagram shorter than its total length", bytes(eth / ip / UDP(dport=53) / (b"x" * 40))[:14 + 20 + 8 + 10],
         "malformed", {}),
        ("truncated vlan tag", bytes(eth)[:12] + b"\x81\x00\x00\x05", "malformed", {}),
        # bad IHL
        ("ihl 3", eth / IP(src=c.ip, dst=s.ip, ihl=3) / UDP(), "malformed", {}),
        ("ihl 15 past the end", bytes(eth / IP(src=c.ip, dst=s.ip, ihl=15))[:14 + 40], "malformed", {}),
        ("tcp data offset 2", eth / ip / TCP(dataofs=2), "malformed", {"ip_version": 4}),
        ("udp length 4", eth / ip / UDP(len=4), "malformed", {"ip_version": 4}),
        # IPv4 options
        ("ipv4 with options", eth / IP(src=c.ip, dst=s.ip, options=[IPOption_RR(routers=["198.18.0.9"] * 3)])
         / UDP(dport=5000), "udp", {"ip_options": 1, "dport": 5000, "l4_off": 14 + 36}),
        # zero-length payload
        ("udp without payload", eth / ip / UDP(dport=7), "udp", {"dport": 7}),
        ("tcp without payload", eth / ip / TCP(dport=22, flags="A"), "tcp", {"dport": 22, "tcp_flags": 0x10}),
        # fragments
        ("first ipv4 fragment", eth / IP(src=c.ip, dst=s.ip, flags="MF") / UDP(dport=4000) / (b"x" * 32),
         "udp", {"fragment": 1, "dport": 4000}),
        ("later ipv4 fragment", eth / IP(src=c.ip, dst=s.ip, frag=185, proto=17) / (b"x" * 32),
         "fragment", {"fragment": 1, "l4_proto": 0, "dport": 0, "ip_proto": 17}),
        ("last ipv4 fragment", eth / IP(src=c.ip, dst=s.ip, frag=3, proto=6) / (b"x" * 8),
         "fragment", {"fragment": 1}),
        # VLAN tags
        ("one vlan tag", eth / Dot1Q(vlan=5) / ip / UDP(dport=53), "udp", {"vlans": 1, "l3_off": 18}),
        ("vlan in vlan", eth / Dot1AD(vlan=100) / Dot1Q(vlan=5) / ip / UDP(dport=53),
         "udp", {"vlans": 2, "eth_proto": 0x0800, "l3_off": 22}),
        ("three vlan tags", eth / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / ip / UDP(),
         "not_ip", {"vlans": 2, "eth_proto": 0x8100}),
        # IPv6 and its extension headers
        ("ipv6 udp", eth / ip6 / UDP(dport=53), "udp", {"ip_version": 6, "dport": 53, "ipv6_ext": 0}),
        ("ipv6 icmpv6 echo", eth / ip6 / ICMPv6EchoRequest(), "icmpv6", {"icmp_type": 128, "l4_proto": 58}),
        ("ipv6 hop-by-hop, routing, dest-opts", eth / ip6 / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting()
         / IPv6ExtHdrDestOpt() / TCP(dport=443), "tcp", {"ipv6_ext": 3, "dport": 443}),
        ("ipv6 first fragment", eth / ip6 / IPv6ExtHdrFragment(m=1, offset=0) / UDP(dport=53) / (b"x" * 16),
         "udp", {"fragment": 1, "ipv6_ext": 1, "dport": 53}),
        ("ipv6 later fragment", eth / ip6 / IPv6ExtHdrFragment(nh=17, offset=100) / (b"x" * 16),
         "fragment", {"fragment": 1, "l4_proto": 0, "ip_proto": 17}),
        ("ipv6 authentication header", eth / ip6 / AH(nh=17, payloadlen=4, spi=1, icv=b"\0" * 12) / UDP(dport=53),
         "udp", {"ipv6_ext": 1, "dport": 53, "l4_off": 14 + 40 + 24}),
        ("ipv6 esp", eth / IPv6(src=V6_SRC, dst=V6_DST, nh=50) / (b"\0" * 24), "other_l4", {"ip_proto": 50}),
        ("icmp in a vlan", eth / Dot1Q(vlan=7) / ip / ICMP(type=0), "icmp", {"vlans": 1, "icmp_type": 0}),
        ("ipv6 no next header", eth / IPv6(src=V6_SRC, dst=V6_DST, nh=59), "other_l4", {"ip_proto": 59}),
        ("ipv6 chain deeper than the parser goes", eth / ip6 / deep / UDP(), "malformed", {"ip_version": 6}),
        ("ipv6 hop-by-hop longer than the frame",
         bytes(eth / ip6 / IPv6ExtHdrHopByHop(len=200, autopad=0) / UDP())[:14 + 40 + 16], "malformed", {}),
        ("truncated ipv6 header", bytes(eth / ip6 / UDP())[:14 + 30], "malformed", {}),
        # garbage after Ethernet
        ("garbage with the IPv4 EtherType", bytes(bad_version), "malformed", {"eth_proto": 0x0800}),
        ("garbage with the IPv6 EtherType", bytes(eth)[:12] + b"\x86\xdd" + bytes(range(50, 100)), "malformed", {}),
        ("garbage with an unknown EtherType", bytes(eth)[:12] + b"\x12\x34" + bytes(range(46)),
         "not_ip", {"eth_proto": 0x1234}),
    ]


class _Addresses:
    """The addresses LabNet() gives client and server, so the cases can be listed at collection time."""

    hosts = {"client": types.SimpleNamespace(mac="02:eb:00:00:00:01", ip="198.18.0.1"),
             "server": types.SimpleNamespace(mac="02:eb:00:00:00:02", ip="198.18.0.2")}

    def __getitem__(self, name):
        return self.hosts[name]


CASES = frames(_Addresses())


def counts(prog) -> list[int]:
    return [v.value for v in prog["buckets"].values()]


@pytest.fixture(scope="module")
def lab():
    from ebpflab.netlab import LabNet

    with LabNet() as net, Program("xdp_parse") as prog, prog.xdp(net["server"]):
        assert (net["client"].mac, net["server"].ip) == ("02:eb:00:00:00:01", "198.18.0.2")
        yield net, prog


@pytest.mark.parametrize("name,frame,bucket,fields", CASES, ids=[c[0] for c in CASES])
def test_each_crafted_frame_lands_in_its_bucket(lab, name, frame, bucket, fields):
    net, prog = lab
    before = counts(prog)
    traffic.send(net, "client", frame)
    after = wait_until(lambda: (now := counts(prog)) != before and now, what=f"{name} to be counted")
    delta = {BUCKETS[k]: a - b for k, (a, b) in enumerate(zip(after, before)) if a != b}
    assert delta == {bucket: 1}, f"{name}: {delta}"
    info = prog["last"][0]
    got = {f: getattr(info, f) for f in fields}
    assert got == fields, name


def test_bulk_mix_counts_exactly(lab):
    net, prog = lab
    prog["buckets"].clear()
    prog["dports"].clear()
    prog["features"].clear()
    mix = [traffic.udp(net, "client", "server", dport=53), traffic.tcp_syn(net, "client", "server", dport=80),
           traffic.udp(net, "client", "server", dport=53), traffic.icmp_echo(net, "client", "server")]
    sent = traffic.send(net, "client", mix, count=4000)
    assert sent.packets == 4000
    wait_until(lambda: sum(counts(prog)) >= 4000 and prog["features"][0].value >= 4000
               and sum(v.value for v in prog["dports"].values()) >= 3000, what="all 4000 frames counted")
    got = dict(zip(BUCKETS, counts(prog)))
    assert (got["udp"], got["tcp"], got["icmp"], got["malformed"]) == (2000, 1000, 1000, 0)
    ports = {k.value: v.value for k, v in prog["dports"].items()}
    assert ports == {53: 2000, 80: 1000}
    assert prog["features"][0].value == 4000  # F_IPV4


TC_PROGRAM = r"""
#include "parsing.h"
#include <uapi/linux/pkt_cls.h>
BPF_ARRAY(seen, u64, 1);
int tc_parse(struct __sk_buff *skb)
{
    struct pkt_info pkt;
    if (parse_frame((void *)(long)skb->data, (void *)(long)skb->data_end, &pkt) == 0 && pkt.dport) {
        int k = 0;
        u64 *v = seen.lookup(&k);
        if (v)
            __sync_fetch_and_add(v, 1);
    }
    return TC_ACT_OK;
}
"""


@pytest.mark.parametrize("before", ["", "#include <linux/if_vlan.h>\n#include <linux/ipv6.h>\n#include <net/ipv6.h>\n"])
def test_header_is_verified_in_tc_programs_and_after_kernel_headers(before):
    with Program(before + TC_PROGRAM) as prog:
        prog.load("tc_parse", "tc")
