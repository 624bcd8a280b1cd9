# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/03_maps.ipynb (the test suite substitutes them for the stubs)."""


# %% exercise: busiest
def busiest(snapshot):
    """The source address (a string such as "198.18.1.10") that sent the most bytes."""
    return max(snapshot, key=lambda src: snapshot[src][1])


# %% exercise: seed
def seed(talkers):
    """Store packets=42, bytes=4200 for 198.18.9.9."""
    talkers[talkers.Key(maps.ipv4_key("198.18.9.9"))] = talkers.Leaf(42, 4200)


# %% exercise: ports
PORTS_C = r"""
#include "parsing.h"

struct counters {
    u64 packets;
    u64 bytes;
};
BPF_HASH(ports, u16, struct counters, 1024);  // UDP destination port (host order) -> packets, bytes

int xdp_udp_ports(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    if (parse_packet(ctx, &pkt) < 0 || pkt.l4_proto != IPPROTO_UDP)
        return XDP_PASS;
    u16 port = pkt.dport;
    struct counters zero = {};
    struct counters *c = ports.lookup_or_try_init(&port, &zero);
    if (!c)
        return XDP_PASS;
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, pkt.len);
    return XDP_PASS;
}
"""
