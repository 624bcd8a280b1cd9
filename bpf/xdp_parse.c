// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 04: count packets per protocol (L3, L4) and per destination port with the shared parsers.
// Every frame lands in exactly one bucket; a frame whose headers are cut short or invalid lands
// in MALFORMED. The parsers in parsing.h prove each header is inside the frame before reading it.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include "parsing.h"

// A knob from Python: what happens to a frame after counting (default: pass it on).
#ifndef XDP_ACTION
#define XDP_ACTION XDP_PASS
#endif

// One bucket per frame; lab 04 and tests/test_parsing.py label them in this order.
enum bucket { B_MALFORMED, B_NOT_IP, B_TCP, B_UDP, B_ICMP, B_ICMPV6, B_OTHER_L4, B_FRAGMENT, NBUCKETS };
// L3 and other things worth counting on top of the bucket (a frame may have several).
enum feature { F_IPV4, F_IPV6, F_VLAN, F_IP_OPTIONS, F_IPV6_EXT, F_FRAGMENT, NFEATURES };

BPF_ARRAY(buckets, u64, NBUCKETS);
BPF_ARRAY(features, u64, NFEATURES);
BPF_HASH(dports, u16, u64, 1024);          // TCP/UDP destination port -> packets
BPF_ARRAY(last, struct pkt_info, 1);       // what the parser saw in the latest frame

static __always_inline void bump(int key, int set)
{
    if (!set)
        return;
    u64 *v = features.lookup(&key);
    if (v)
        __sync_fetch_and_add(v, 1);
}

static __always_inline int classify(struct pkt_info *pkt)
{
    if (pkt->malformed)
        return B_MALFORMED;
    if (!pkt->ip_version)
        return B_NOT_IP;
    switch (pkt->l4_proto) {
    case IPPROTO_TCP: return B_TCP;
    case IPPROTO_UDP: return B_UDP;
    case IPPROTO_ICMP: return B_ICMP;
    case IPPROTO_ICMPV6: return B_ICMPV6;
    }
    return pkt->fragment ? B_FRAGMENT : B_OTHER_L4;  // a later fragment has no L4 header
}

int xdp_parse(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    parse_packet(ctx, &pkt);   // -1 means malformed; pkt.malformed says the same
    int zero_key = 0;
    last.update(&zero_key, &pkt);  // before the counters: a reader that sees a count move sees this frame

    int key = classify(&pkt);
    u64 *v = buckets.lookup(&key);
    if (v)
        __sync_fetch_and_add(v, 1);

    bump(F_IPV4, pkt.ip_version == 4);
    bump(F_IPV6, pkt.ip_version == 6);
    bump(F_VLAN, pkt.vlans > 0);
    bump(F_IP_OPTIONS, pkt.ip_options);
    bump(F_IPV6_EXT, pkt.ipv6_ext > 0);
    bump(F_FRAGMENT, pkt.fragment);

    if (pkt.dport) {
        u16 port = pkt.dport;
        u64 zero = 0;
        v = dports.lookup_or_try_init(&port, &zero);
        if (v)
            __sync_fetch_and_add(v, 1);
    }
    return XDP_ACTION;
}
