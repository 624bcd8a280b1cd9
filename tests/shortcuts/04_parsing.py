# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 04's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""

# %% shortcut: udp-check — no check at all: nothing is ever counted
udp_check = "if (1) return XDP_PASS;"


# %% shortcut: udp-check — the IPv4 header checked again, not the UDP header (the verifier refuses it)
udp_check = "if ((void *)(ip + 1) > data_end) return XDP_PASS;"


# %% shortcut: udp-check — only the 4 bytes up to the destination port proved: a cut header is counted
udp_check = "if ((void *)udp + 4 > data_end) return XDP_PASS;"


# %% shortcut: udp-check — >= instead of > (off by one): a header that ends the frame is not counted
udp_check = "if ((void *)(udp + 1) >= data_end) return XDP_PASS;"


# %% shortcut: fragment — step 3's later fragment, copied: a UDP datagram's, not TCP's
def fragment_frame(net):
    from scapy.layers.inet import IP

    return (
        traffic.ether(net, "client", "server")
        / IP(src=net["client"].ip, dst=net["server"].ip, frag=185, proto=17)
        / (b"x" * 32)
    )


# %% shortcut: fragment — the first fragment of a TCP datagram (offset 0: it has the TCP header)
def fragment_frame(net):
    from scapy.layers.inet import IP, TCP

    return (
        traffic.ether(net, "client", "server")
        / IP(src=net["client"].ip, dst=net["server"].ip, flags="MF")
        / TCP(dport=80)
        / (b"x" * 24)
    )


# %% shortcut: fragment — a later fragment of TCP, but over IPv6
def fragment_frame(net):
    from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment

    return (
        traffic.ether(net, "client", "server")
        / IPv6(src="2001:2::1", dst="2001:2::2")
        / IPv6ExtHdrFragment(nh=6, offset=100)
        / (b"x" * 24)
    )


# %% shortcut: fragment — a whole TCP segment, no fragment at all
def fragment_frame(net):
    return traffic.tcp_syn(net, "client", "server")


# %% shortcut: ttl-guard — TTL at the minimum dropped too (<= instead of <, off by one)
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
        else if (iph->ttl <= MIN_TTL)
            verdict = LOW_TTL;
    } else if (proto == ETH_P_IPV6) {
        if (parse_ip6hdr(&nh, data_end, &ip6h) < 0)
            verdict = MALFORMED;
        else if (ip6h->hop_limit <= MIN_TTL)
            verdict = LOW_TTL;
    }
    u64 *n = verdicts.lookup(&verdict);
    if (n)
        __sync_fetch_and_add(n, 1);
    return verdict == PASSED ? XDP_PASS : XDP_DROP;
}
"""


# %% shortcut: ttl-guard — a hand-made parser with no bounds check on the IPv4 header (the verifier refuses it)
TTL_GUARD_C = r"""
#include "parsing.h"

#ifndef MIN_TTL
#define MIN_TTL 8   // a knob: the check sets it with Program(..., defines={"MIN_TTL": ...})
#endif

enum verdict { PASSED, LOW_TTL, OPTIONS, MALFORMED, NVERDICTS };
BPF_ARRAY(verdicts, u64, NVERDICTS);  // frames per verdict

int xdp_ttl_guard(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    int verdict = PASSED;
    if ((void *)(eth + 1) > data_end) {
        verdict = MALFORMED;
    } else if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        if (iph->ihl < 5)
            verdict = MALFORMED;
        else if (iph->ihl > 5)
            verdict = OPTIONS;
        else if (iph->ttl < MIN_TTL)
            verdict = LOW_TTL;
    }
    u64 *n = verdicts.lookup(&verdict);
    if (n)
        __sync_fetch_and_add(n, 1);
    return verdict == PASSED ? XDP_PASS : XDP_DROP;
}
"""


# %% shortcut: ttl-guard — a hand-made bounds check one byte short (>= data_end): an IPv4 header that ends the frame is called malformed
TTL_GUARD_C = r"""
#include "parsing.h"

#ifndef MIN_TTL
#define MIN_TTL 8   // a knob: the check sets it with Program(..., defines={"MIN_TTL": ...})
#endif

enum verdict { PASSED, LOW_TTL, OPTIONS, MALFORMED, NVERDICTS };
BPF_ARRAY(verdicts, u64, NVERDICTS);  // frames per verdict

int xdp_ttl_guard(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    int verdict = PASSED;
    if ((void *)(eth + 1) > data_end) {
        verdict = MALFORMED;
    } else if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        if ((void *)(iph + 1) >= data_end || iph->ihl < 5)
            verdict = MALFORMED;
        else if (iph->ihl > 5)
            verdict = OPTIONS;
        else if (iph->ttl < MIN_TTL)
            verdict = LOW_TTL;
    }
    u64 *n = verdicts.lookup(&verdict);
    if (n)
        __sync_fetch_and_add(n, 1);
    return verdict == PASSED ? XDP_PASS : XDP_DROP;
}
"""


# %% shortcut: ttl-guard — the VLAN tags ignored: the Ethernet header's own EtherType decides
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
    int proto = -1;
    eth = nh.pos;
    if ((void *)(eth + 1) <= data_end) {
        proto = bpf_ntohs(eth->h_proto);
        nh.pos = eth + 1;
    }
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


# %% shortcut: ttl-guard — IPv6 ignored: its hop limit is never checked
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
        verdict = PASSED;
    }
    u64 *n = verdicts.lookup(&verdict);
    if (n)
        __sync_fetch_and_add(n, 1);
    return verdict == PASSED ? XDP_PASS : XDP_DROP;
}
"""


# %% shortcut: ttl-guard — malformed frames counted but passed on
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
    return verdict == MALFORMED || verdict == PASSED ? XDP_PASS : XDP_DROP;
}
"""


# %% shortcut: ttl-guard — counts right, but never drops
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
    return XDP_PASS;
}
"""


# %% shortcut: ttl-guard — a hand-made IPv4 check without parse_iphdr()'s IHL and total-length rules
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
        iph = nh.pos;
        if ((void *)(iph + 1) > data_end)
            verdict = MALFORMED;
        else if (iph->ihl != 5)
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


# %% shortcut: ttl-guard — the right actions, but the TTL judged before the options: options with a low TTL count as LOW_TTL
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
        else if (iph->ttl < MIN_TTL)
            verdict = LOW_TTL;
        else if (iph->ihl > 5)
            verdict = OPTIONS;
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


# %% shortcut: ttl-guard — the right actions, but only the dropped frames counted
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
    if (verdict == PASSED)
        return XDP_PASS;
    u64 *n = verdicts.lookup(&verdict);
    if (n)
        __sync_fetch_and_add(n, 1);
    return XDP_DROP;
}
"""
