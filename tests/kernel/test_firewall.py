# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 07: the XDP firewall's rules from Python, on real packets, and the nftables comparison."""

from __future__ import annotations

import pytest
from waiting import wait_until

from ebpflab import traffic
from ebpflab.errors import LabError
from ebpflab.firewall import Firewall, parse_prefix
from ebpflab.loader import Program
from ebpflab.nftables import nft_drop
from ebpflab.tap import tap


@pytest.fixture
def fw(net):
    with Program("xdp_firewall", defines={"MAX_RULES": 4}) as prog, prog.xdp(net["server"]):
        yield Firewall(prog)


def test_source_prefix_and_port_rules_count_their_drops(net, fw):
    frames = [
        traffic.udp(net, "client", "server", dport=9),
        traffic.udp(net, "client", "server", dport=9999),
        traffic.tcp_syn(net, "client", "server", dport=9999),
    ]
    port = fw.block_port(9999, "udp")
    traffic.send(net, "client", frames, count=300)
    assert fw.counters() == {"passed": 200, "port udp/9999": 100}  # TCP to 9999 is another rule
    src = fw.block_source("198.18.0.0/24")  # the client's subnet: longest prefix match on the source
    traffic.send(net, "client", frames, count=300)
    # the source rule is checked first, so it takes every packet; the port rule's count stays
    assert fw.hits() == {"port udp/9999": 100, "src 198.18.0.0/24": 300}
    fw.remove(src)
    fw.remove("port udp/9999")
    traffic.send(net, "client", frames, count=300)
    assert fw.passed() == 500 and fw.rules == []
    assert port.id != src.id


def test_longest_prefix_is_the_one_that_counts(net, fw):
    fw.block_source("198.18.0.0/16")
    host = fw.block_source(net["client"].ip)
    traffic.send(net, "client", traffic.udp(net, "client", "server"), count=50)
    traffic.send(net, "client", traffic.udp(net, "client", "server", src_ip="198.18.7.7"), count=20)
    assert fw.hits() == {"src 198.18.0.0/16": 20, f"src {net['client'].ip}/32": 50}
    assert host.match.endswith("/32")


def test_rule_lands_while_traffic_runs(net, fw):
    frame = traffic.udp(net, "client", "server", dport=7777)
    with traffic.background(net, "client", frame, rate=2000, duration=1.5, count=3000) as flow:
        wait_until(lambda: fw.passed() > 0, what="the first packets to pass")
        fw.block_port(7777, "udp")
        wait_until(lambda: fw.hits()["port udp/7777"] > 0, what="the rule to drop a packet while the flow runs")
        dropped_early = fw.hits()["port udp/7777"]
        sent = flow.wait()
    assert fw.passed() > 0 and dropped_early > 0
    assert fw.passed() + fw.hits()["port udp/7777"] == sent.packets


@pytest.mark.parametrize(
    "bad, words",
    [
        ("198.18.0.1/24", "did you mean 198.18.0.0/24"),
        ("198.18.0.0/33", "not an IPv4 address or prefix"),
        ("300.1.2.3", "not an IPv4 address or prefix"),
        ("2001:2::/48", "IPv4 prefixes only"),
    ],
)
def test_bad_prefixes_are_one_sentence(bad, words):
    with pytest.raises(LabError, match=words):
        parse_prefix(bad)


def test_bad_input_duplicates_and_full_tables_leave_the_program_running(net, fw):
    fw.block_port(9999, "udp")
    with pytest.raises(LabError, match="already exists"):
        fw.block_port(9999, "udp")
    with pytest.raises(LabError, match="not a port number"):
        fw.block_port(70000)
    with pytest.raises(LabError, match="not one of"):
        fw.block_port(53, "sctp")
    for i in range(4):
        fw.block_source(f"198.18.1.{i}")
    with pytest.raises(LabError, match="full"):
        fw.block_source("198.18.2.0/24")
    with pytest.raises(LabError, match="no rule"):
        fw.remove("src 198.18.9.9/32")
    traffic.send(net, "client", traffic.udp(net, "client", "server", dport=9999), count=10)
    assert fw.hits()["port udp/9999"] == 10  # still attached, still counting


def test_tap_sees_what_nftables_drops_but_not_what_xdp_drops(net, fw):
    frame = traffic.udp(net, "client", "server", dport=9999)
    with nft_drop(net, "server", 9999) as nft, tap(net, "server", "udp port 9999") as seen:
        traffic.send(net, "client", frame, count=200)
        wait_until(lambda: nft.packets() >= 200, what="nftables to count the 200 packets")
        assert nft.packets() == 200
    assert seen.count == 200  # the tap runs before netfilter: it saw every packet nftables dropped
    fw.block_port(9999, "udp")
    with tap(net, "server", "udp port 9999") as seen:
        traffic.send(net, "client", frame, count=200)
    assert seen.count == 0 and fw.hits()["port udp/9999"] == 200  # XDP dropped them before any tap
    assert "ebpflab" not in net.run("server", "nft", "list", "tables").stdout  # nft_drop cleaned up


def test_port_rules_apply_to_ipv6_and_source_rules_do_not(net, fw):
    from scapy.layers.inet import UDP
    from scapy.layers.inet6 import IPv6

    v6 = traffic.ether(net, "client", "server") / IPv6(src="2001:2::1", dst="2001:2::2") / UDP(dport=9999) / b"x"
    fw.block_source("198.18.0.0/16")
    traffic.send(net, "client", v6, count=10)
    assert fw.passed() == 10  # an IPv4 prefix never matches an IPv6 source
    fw.block_port(9999, "udp")
    traffic.send(net, "client", v6, count=10)
    assert fw.hits()["port udp/9999"] == 10
