# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Filters in the kernel keep exactly the packets `tcpdump -r mix.pcap EXPR` keeps (lab 06)."""

from __future__ import annotations

import subprocess
import time

import pytest
from waiting import wait_until

from ebpflab import traffic
from ebpflab.frames import traffic_mix
from ebpflab.netlab import LabNet
from ebpflab.tcpdump.capfilter import compile_filter
from ebpflab.tcpdump.capture import Capture
from ebpflab.tcpdump.pcap import Packet, PcapWriter, read_pcap

# One expression per construct of the in-kernel subset, and a few combinations.
KERNEL = [
    "host 198.18.0.1",
    "src host 198.18.0.2",
    "dst host 198.18.0.1",
    "host 2001:2::2",
    "net 198.18.0.0/24",
    "src net 198.18.0.0/31",
    "dst net 198.18.0.0 mask 255.255.255.0",
    "port 8001",
    "src port 41000",
    "dst port 12003",
    "tcp",
    "udp",
    "icmp",
    "ip",
    "ip6",
    "arp",
    "vlan",
    "vlan 20",
    "vlan and udp",
    "vlan 100 and vlan 30 and icmp",
    "not tcp and not udp",
    "(tcp or icmp) and host 198.18.0.1",
    "udp and not port 12000",
    "! arp && (ip6 || vlan)",
]
USER = ["udp[8:2] = 0x7575", "ether broadcast", "icmp6", "greater 100", "tcp[tcpflags] & tcp-syn != 0"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A lab network, the mix as frames, and the mix as a pcap file for the real tcpdump."""
    path = tmp_path_factory.mktemp("capfilter") / "mix.pcap"
    with LabNet() as net:
        frames = traffic_mix(net["client"].mac, net["server"].mac, net["client"].ip, net["server"].ip)
        with PcapWriter(path) as w:
            for i, f in enumerate(frames):
                w.write(Packet(i * 1000, len(f), f))
        yield net, frames, path


def kept_by_tcpdump(path, expr: str) -> list[bytes]:
    out = path.parent / "kept.pcap"
    subprocess.run(["tcpdump", "-r", str(path), "-w", str(out), expr], capture_output=True, check=True)
    return [p.data for p in read_pcap(out)]


def kept_by_us(net, frames, expr: str, where: str) -> list[bytes]:
    with Capture("eth0", net["server"].netns, expr) as cap:
        assert cap.filter.where == where, cap.filter.describe()
        traffic.send(net, "client", frames)
        got, deadline = [], time.monotonic() + 5
        while time.monotonic() < deadline:
            got += cap.poll(0.05)
            stats = cap.stats()
            if stats["seen"] >= len(frames) and stats["captured"] == len(got) + cap.filtered_user:
                break
        assert stats["dropped"] == 0
        if where == "kernel":
            assert stats["filtered"] == len(frames) - len(got)  # never copied
    return [p.data for p in got]


@pytest.mark.parametrize("expr", KERNEL)
def test_kernel_filter_keeps_what_tcpdump_keeps(lab, expr):
    net, frames, path = lab
    expected = kept_by_tcpdump(path, expr)
    assert kept_by_us(net, frames, expr, "kernel") == expected


@pytest.mark.parametrize("expr", USER)
def test_other_expressions_fall_back_to_libpcap_in_user_space(lab, expr):
    net, frames, path = lab
    expected = kept_by_tcpdump(path, expr)
    assert kept_by_us(net, frames, expr, "user") == expected
    assert "user space" in compile_filter(expr).describe()


def test_every_construct_matters_in_the_mix(lab):
    """Each expression keeps some packets and drops others, so the comparisons above mean something."""
    _, frames, path = lab
    for expr in KERNEL + USER:
        assert 0 < len(kept_by_tcpdump(path, expr)) < len(frames), expr


def test_a_filter_that_does_not_build_or_verify_falls_back_to_user_space(lab):
    net, frames, path = lab
    expr = "tcp and port 8001"
    with Capture("eth0", net["server"].netns, expr) as cap:
        pass
    assert cap.filter.where == "kernel"
    flt = compile_filter(expr)
    flt.c_code = lambda: "#error this generated filter does not build\n"  # clang really refuses it
    bloated = Capture("eth0", net["server"].netns, expr)
    bloated.filter = flt
    with bloated:
        traffic.send(net, "client", frames)
        wait_until(
            lambda: sum(bloated.stats()[k] for k in ("captured", "dropped", "filtered")) >= len(frames),
            what="every frame captured or dropped",
        )
        got = [p.data for p in bloated.poll()]
    assert flt.where == "user" and "did not build or verify" in flt.describe()
    assert got == kept_by_tcpdump(path, expr)
