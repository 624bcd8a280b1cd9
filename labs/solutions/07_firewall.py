# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions of lab 07 (an XDP firewall driven from Python)."""


# %% exercise: web
def close_web(fw: Firewall) -> Rule:
    """Add the rule that drops TCP packets to port 80 and return it."""
    return fw.block_port(80, "tcp")


# %% exercise: prefix
bad_block = "198.18.0.64/26"


# %% exercise: ratelimit
RATELIMIT_C = r"""
#define BPF_LICENSE Dual BSD/GPL
#include "parsing.h"

// LIMIT (packets) and WINDOW_MS come from Python as defines.
struct window {
    u64 start;   // bpf_ktime_get_ns() when this source's window began
    u64 count;   // packets seen from this source in the window
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
    return seen > LIMIT ? XDP_DROP : XDP_PASS;
}
"""


# %% exercise: pong
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
    u32 sum = (u16)~icmp->checksum + (u16)~bpf_htons(ICMP_ECHO << 8) + bpf_htons(ICMP_ECHOREPLY << 8);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    icmp->checksum = ~sum;
    return XDP_TX;
}
"""
