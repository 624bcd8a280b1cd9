# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 03's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""


# %% shortcut: busiest — the biggest talker of step 2, read off the SENDERS table
def busiest(snapshot):
    return "198.18.1.11"


# %% shortcut: busiest — the most packets, not the most bytes
def busiest(snapshot):
    return max(snapshot, key=lambda src: snapshot[src][0])


# %% shortcut: busiest — the highest address
def busiest(snapshot):
    return max(snapshot)


# %% shortcut: seed — packets and bytes swapped
def seed(talkers):
    talkers[talkers.Key(maps.ipv4_key("198.18.9.9"))] = talkers.Leaf(4200, 42)


# %% shortcut: seed — the address's bytes in host order
def seed(talkers):
    talkers[talkers.Key(int.from_bytes(bytes([198, 18, 9, 9]), "big"))] = talkers.Leaf(42, 4200)


# %% shortcut: seed — an extra entry beside the right one
def seed(talkers):
    talkers[talkers.Key(maps.ipv4_key("198.18.9.9"))] = talkers.Leaf(42, 4200)
    talkers[talkers.Key(maps.ipv4_key("198.18.9.8"))] = talkers.Leaf(1, 1)


# %% shortcut: ports — the source port instead of the destination port
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
    u16 port = pkt.sport;
    struct counters zero = {};
    struct counters *c = ports.lookup_or_try_init(&port, &zero);
    if (!c)
        return XDP_PASS;
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, pkt.len);
    return XDP_PASS;
}
"""


# %% shortcut: ports — packets counted, bytes forgotten
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
    if (c)
        __sync_fetch_and_add(&c->packets, 1);
    return XDP_PASS;
}
"""


# %% shortcut: ports — the UDP payload length instead of the frame's
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
    __sync_fetch_and_add(&c->bytes, pkt.len - pkt.l4_off - 8);
    return XDP_PASS;
}
"""


# %% shortcut: ports — any destination port, TCP and fragments included (no l4_proto test)
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
    if (parse_packet(ctx, &pkt) < 0 || pkt.ip_proto != IPPROTO_UDP && !pkt.dport)
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


# %% shortcut: ports — IPv4 only: IPv6 datagrams are not counted
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
    if (parse_packet(ctx, &pkt) < 0 || pkt.ip_version != 4 || pkt.l4_proto != IPPROTO_UDP)
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


# %% shortcut: ports — the port in network byte order
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
    u16 port = bpf_htons(pkt.dport);
    struct counters zero = {};
    struct counters *c = ports.lookup_or_try_init(&port, &zero);
    if (!c)
        return XDP_PASS;
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, pkt.len);
    return XDP_PASS;
}
"""


# %% shortcut: ports — a hand-made parser that ignores VLAN tags and IPv6 (Ethernet + IPv4 without options + UDP)
PORTS_C = r"""
#include "parsing.h"

struct counters {
    u64 packets;
    u64 bytes;
};
BPF_HASH(ports, u16, struct counters, 1024);  // UDP destination port (host order) -> packets, bytes

int xdp_udp_ports(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    struct udphdr *udp = (void *)(ip + 1);
    if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP)
        return XDP_PASS;
    u16 port = bpf_ntohs(udp->dest);
    struct counters zero = {};
    struct counters *c = ports.lookup_or_try_init(&port, &zero);
    if (!c)
        return XDP_PASS;
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, data_end - data);
    return XDP_PASS;
}
"""
