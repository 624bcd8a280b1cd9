# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 07's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""


# %% shortcut: web — port 80 with the default protocol (UDP), not TCP
def close_web(fw: Firewall) -> Rule:
    return fw.block_port(80)


# %% shortcut: web — blocks the client's address: every packet from it drops, not only the web port
def close_web(fw: Firewall) -> Rule:
    return fw.block_source("198.18.0.1")


# %% shortcut: web — a made-up Rule that was never added to the firewall
def close_web(fw: Firewall) -> Rule:
    return Rule(65, "port", "tcp/80")


# %% shortcut: prefix — the whole /24: the client too
bad_block = "198.18.0.0/24"


# %% shortcut: prefix — a /27: only half of the misbehaving block
bad_block = "198.18.0.64/27"


# %% shortcut: prefix — the first bad host alone
bad_block = "198.18.0.64"


# %% shortcut: prefix — a /25 from .64: host bits set, the firewall refuses it
bad_block = "198.18.0.64/25"


# %% shortcut: ratelimit — drops everything
RATELIMIT_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

int xdp_ratelimit(struct xdp_md *ctx)
{
    return XDP_DROP;
}
"""


# %% shortcut: ratelimit — passes everything (the stub's behaviour)
RATELIMIT_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

int xdp_ratelimit(struct xdp_md *ctx)
{
    return XDP_PASS;
}
"""


# %% shortcut: ratelimit — one window for the whole host instead of one per source
RATELIMIT_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

struct window {
    u64 start;
    u64 count;
};
BPF_HASH(windows, u32, struct window, 1024);

int xdp_ratelimit(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    if (parse_packet(ctx, &pkt) < 0 || pkt.ip_version != 4)
        return XDP_PASS;
    u32 src = 0;
    u64 now = bpf_ktime_get_ns();
    struct window *w = windows.lookup(&src);
    if (!w || now - w->start >= WINDOW_MS * 1000000ULL) {
        struct window fresh = {.start = now, .count = 1};
        windows.update(&src, &fresh);
        return XDP_PASS;
    }
    u64 seen = __sync_fetch_and_add(&w->count, 1) + 1;
    return seen > LIMIT ? XDP_DROP : XDP_PASS;
}
"""


# %% shortcut: ratelimit — a count that never starts again: LIMIT packets per source for ever
RATELIMIT_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

BPF_HASH(seen, u32, u64, 1024);

int xdp_ratelimit(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    if (parse_packet(ctx, &pkt) < 0 || pkt.ip_version != 4)
        return XDP_PASS;
    u32 src = pkt.saddr;
    u64 zero = 0;
    u64 *n = seen.lookup_or_try_init(&src, &zero);
    if (!n)
        return XDP_PASS;
    return __sync_fetch_and_add(n, 1) + 1 > LIMIT ? XDP_DROP : XDP_PASS;
}
"""


# %% shortcut: ratelimit — off by one: drops the LIMIT-th packet
RATELIMIT_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

struct window {
    u64 start;
    u64 count;
};
BPF_HASH(windows, u32, struct window, 1024);

int xdp_ratelimit(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    if (parse_packet(ctx, &pkt) < 0 || pkt.ip_version != 4)
        return XDP_PASS;
    u32 src = pkt.saddr;
    u64 now = bpf_ktime_get_ns();
    struct window *w = windows.lookup(&src);
    if (!w || now - w->start >= WINDOW_MS * 1000000ULL) {
        struct window fresh = {.start = now, .count = 1};
        windows.update(&src, &fresh);
        return XDP_PASS;
    }
    u64 seen = __sync_fetch_and_add(&w->count, 1) + 1;
    return seen >= LIMIT ? XDP_DROP : XDP_PASS;
}
"""


# %% shortcut: ratelimit — a hard-coded limit of 10 instead of the LIMIT knob
RATELIMIT_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

struct window {
    u64 start;
    u64 count;
};
BPF_HASH(windows, u32, struct window, 1024);

int xdp_ratelimit(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    if (parse_packet(ctx, &pkt) < 0 || pkt.ip_version != 4)
        return XDP_PASS;
    u32 src = pkt.saddr;
    u64 now = bpf_ktime_get_ns();
    struct window *w = windows.lookup(&src);
    if (!w || now - w->start >= WINDOW_MS * 1000000ULL) {
        struct window fresh = {.start = now, .count = 1};
        windows.update(&src, &fresh);
        return XDP_PASS;
    }
    u64 seen = __sync_fetch_and_add(&w->count, 1) + 1;
    return seen > 10 ? XDP_DROP : XDP_PASS;
}
"""


# %% shortcut: pong — passes everything (the stub's behaviour): the kernel ignores echo requests, nobody answers
PONG_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

int xdp_pong(struct xdp_md *ctx)
{
    return XDP_PASS;
}
"""


# %% shortcut: pong — XDP_TX for echo requests, nothing rewritten: the request bounces back as it was
PONG_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

int xdp_pong(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    if (parse_packet(ctx, &pkt) < 0 || pkt.l4_proto != IPPROTO_ICMP || pkt.icmp_type != ICMP_ECHO)
        return XDP_PASS;
    return XDP_TX;
}
"""


# %% shortcut: pong — swaps the IP addresses but not the MAC addresses
PONG_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

int xdp_pong(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct hdr_cursor nh = {.pos = data};
    struct ethhdr *eth;
    struct iphdr *iph;
    struct icmphdr *icmp;
    if (parse_ethhdr(&nh, data_end, &eth) != ETH_P_IP)
        return XDP_PASS;
    if (parse_iphdr(&nh, data_end, &iph) != IPPROTO_ICMP)
        return XDP_PASS;
    if (parse_icmphdr(&nh, data_end, &icmp) != ICMP_ECHO || icmp->code != 0)
        return XDP_PASS;

    __be32 addr = iph->saddr;                      // the IP checksum is a sum: swapping keeps it right
    iph->saddr = iph->daddr;
    iph->daddr = addr;

    icmp->type = ICMP_ECHOREPLY;
    // RFC 1624: HC' = ~(~HC + ~m + m') for the 16-bit word that changed, (type, code): 8,0 -> 0,0
    u32 sum = (u16)~icmp->checksum + (u16)~bpf_htons(ICMP_ECHO << 8) + bpf_htons(ICMP_ECHOREPLY << 8);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    icmp->checksum = ~sum;
    return XDP_TX;
}
"""


# %% shortcut: pong — forgets the ICMP checksum after changing the type
PONG_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

int xdp_pong(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct hdr_cursor nh = {.pos = data};
    struct ethhdr *eth;
    struct iphdr *iph;
    struct icmphdr *icmp;
    if (parse_ethhdr(&nh, data_end, &eth) != ETH_P_IP)
        return XDP_PASS;
    if (parse_iphdr(&nh, data_end, &iph) != IPPROTO_ICMP)
        return XDP_PASS;
    if (parse_icmphdr(&nh, data_end, &icmp) != ICMP_ECHO || icmp->code != 0)
        return XDP_PASS;

    unsigned char mac[ETH_ALEN];                  // the reply goes back where the request came from
    __builtin_memcpy(mac, eth->h_source, ETH_ALEN);
    __builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
    __be32 addr = iph->saddr;                      // the IP checksum is a sum: swapping keeps it right
    iph->saddr = iph->daddr;
    iph->daddr = addr;

    icmp->type = ICMP_ECHOREPLY;
    return XDP_TX;
}
"""


# %% shortcut: pong — checksum updated with the type in the wrong byte of the word (0x0008, not 0x0800)
PONG_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

int xdp_pong(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct hdr_cursor nh = {.pos = data};
    struct ethhdr *eth;
    struct iphdr *iph;
    struct icmphdr *icmp;
    if (parse_ethhdr(&nh, data_end, &eth) != ETH_P_IP)
        return XDP_PASS;
    if (parse_iphdr(&nh, data_end, &iph) != IPPROTO_ICMP)
        return XDP_PASS;
    if (parse_icmphdr(&nh, data_end, &icmp) != ICMP_ECHO || icmp->code != 0)
        return XDP_PASS;

    unsigned char mac[ETH_ALEN];                  // the reply goes back where the request came from
    __builtin_memcpy(mac, eth->h_source, ETH_ALEN);
    __builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
    __be32 addr = iph->saddr;                      // the IP checksum is a sum: swapping keeps it right
    iph->saddr = iph->daddr;
    iph->daddr = addr;

    icmp->type = ICMP_ECHOREPLY;
    // RFC 1624: HC' = ~(~HC + ~m + m') for the 16-bit word that changed, (type, code): 8,0 -> 0,0
    u32 sum = (u16)~icmp->checksum + (u16)~bpf_htons(ICMP_ECHO) + bpf_htons(ICMP_ECHOREPLY << 8);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    icmp->checksum = ~sum;
    return XDP_TX;
}
"""


# %% shortcut: pong — sends every IPv4 packet back after the swap, UDP included, not only echo requests
PONG_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

int xdp_pong(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct hdr_cursor nh = {.pos = data};
    struct ethhdr *eth;
    struct iphdr *iph;
    struct icmphdr *icmp;
    if (parse_ethhdr(&nh, data_end, &eth) != ETH_P_IP)
        return XDP_PASS;
    int proto = parse_iphdr(&nh, data_end, &iph);
    if (proto < 0)
        return XDP_PASS;
    unsigned char mac[ETH_ALEN];
    __builtin_memcpy(mac, eth->h_source, ETH_ALEN);
    __builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
    __be32 addr = iph->saddr;
    iph->saddr = iph->daddr;
    iph->daddr = addr;
    if (proto == IPPROTO_ICMP && parse_icmphdr(&nh, data_end, &icmp) == ICMP_ECHO) {
        icmp->type = ICMP_ECHOREPLY;
        u32 sum = (u16)~icmp->checksum + (u16)~bpf_htons(ICMP_ECHO << 8) + bpf_htons(ICMP_ECHOREPLY << 8);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        icmp->checksum = ~sum;
    }
    return XDP_TX;
}
"""
