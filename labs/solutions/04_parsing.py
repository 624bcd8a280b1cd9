# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/04_parsing.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: udp-check
udp_check = "if ((void *)(udp + 1) > data_end) return XDP_PASS;"


# %% exercise: fragment
def fragment_frame(net):
    """A later fragment of a TCP datagram from client to server."""
    from scapy.layers.inet import IP

    return (
        traffic.ether(net, "client", "server")
        / IP(src=net["client"].ip, dst=net["server"].ip, frag=100, proto=6)
        / (b"x" * 24)
    )


# %% exercise: ttl-guard
TTL_GUARD_C = r"""
#include "parsing.h"

#ifndef MIN_TTL
#define MIN_TTL 8   // a knob: the check sets it with Program(..., defines={"MIN_TTL": ...})
#endif

enum verdict { PASSED, LOW_TTL, OPTIONS, MALFORMED, NVERDICTS };
BPF_ARRAY(verdicts, u64, NVERDICTS);  // frames per verdict

int xdp_ttl_guard(struct xdp_md *ctx)
{
    void *data_end = (void *)(long)ctx->data_end;
    struct hdr_cursor nh = { .pos = (void *)(long)ctx->data };
    struct ethhdr *eth;
    struct iphdr *iph;
    struct ipv6hdr *ip6h;
    __u8 vlans;
    int verdict = PASSED;
    int proto = parse_ethhdr_vlan(&nh, data_end, &eth, &vlans);
    if (proto < 0) {
        verdict = MALFORMED;
    } else if (proto == ETH_P_IP) {
        if (parse_iphdr(&nh, data_end, &iph) < 0)
            verdict = MALFORMED;
        else if (iph->ihl > 5)
            verdict = OPTIONS;
        else if (iph->ttl < MIN_TTL)
            verdict = LOW_TTL;
    } else if (proto == ETH_P_IPV6) {
        if (parse_ip6hdr(&nh, data_end, &ip6h) < 0)
            verdict = MALFORMED;
        else if (ip6h->hop_limit < MIN_TTL)
            verdict = LOW_TTL;
    }
    u64 *n = verdicts.lookup(&verdict);
    if (n)
        __sync_fetch_and_add(n, 1);
    return verdict == PASSED ? XDP_PASS : XDP_DROP;
}
"""
