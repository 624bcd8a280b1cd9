# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""bpf/parsing.h on the real kernel: every crafted frame lands in exactly the bucket it belongs to (lab 04).

The frames are lab 04's own (``ebpflab.crafted``, saved from the cell that teaches them): one corpus for both."""

from __future__ import annotations

import types
from typing import ClassVar

import pytest
from waiting import wait_until

from ebpflab import traffic
from ebpflab.crafted import crafted
from ebpflab.loader import Program

BUCKETS = ["malformed", "not_ip", "tcp", "udp", "icmp", "icmpv6", "other_l4", "fragment"]


class _Addresses:
    """The addresses LabNet() gives client and server, so the cases can be listed at collection time."""

    hosts: ClassVar[dict[str, types.SimpleNamespace]] = {
        "client": types.SimpleNamespace(mac="02:eb:00:00:00:01", ip="198.18.0.1"),
        "server": types.SimpleNamespace(mac="02:eb:00:00:00:02", ip="198.18.0.2"),
    }

    def __getitem__(self, name):
        return self.hosts[name]


CASES = [(name, frame, bucket, fields) for name, (frame, bucket, fields) in crafted(_Addresses()).items()]


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
    mix = [
        traffic.udp(net, "client", "server", dport=53),
        traffic.tcp_syn(net, "client", "server", dport=80),
        traffic.udp(net, "client", "server", dport=53),
        traffic.icmp_echo(net, "client", "server"),
    ]
    sent = traffic.send(net, "client", mix, count=4000)
    assert sent.packets == 4000
    wait_until(
        lambda: (
            sum(counts(prog)) >= 4000
            and prog["features"][0].value >= 4000
            and sum(v.value for v in prog["dports"].values()) >= 3000
        ),
        what="all 4000 frames counted",
    )
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
