// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 07: an XDP firewall whose rules live in maps that Python edits while traffic runs.
// Two rule tables, each rule with an id that indexes its hit counter:
//   src_rules:  source prefixes in an LPM trie (longest prefix wins, like a routing table);
//   port_rules: (destination port, protocol) pairs in a hash map.
// A packet that matches no rule passes. Lab 09 includes this file and calls fw_verdict().
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>
#include "parsing.h"  // parse_packet() and struct pkt_info, shared by every XDP program (lab 04)

#ifndef MAX_RULES  // a knob from Python: the size of each rule table
#define MAX_RULES 64
#endif

struct src_key {   // the LPM trie's key: prefix length first, then the address (network order)
    u32 prefixlen;
    u32 addr;
};
struct port_key {
    u16 port;      // destination port, host order
    u8 proto;      // IPPROTO_TCP (6) or IPPROTO_UDP (17)
    u8 pad;
};

BPF_LPM_TRIE(src_rules, struct src_key, u32, MAX_RULES);
BPF_HASH(port_rules, struct port_key, u32, MAX_RULES);
// hits[id]: packets dropped by rule id (ids 1..2*MAX_RULES); hits[0]: packets passed.
BPF_ARRAY(hits, u64, 2 * MAX_RULES + 1);

static __always_inline void fw_count(u32 id)
{
    u64 *n = hits.lookup(&id);
    if (n)
        __sync_fetch_and_add(n, 1);
}

// The rule id that drops this packet, or 0 when it passes.
static __always_inline u32 fw_match(struct pkt_info *pkt)
{
    u32 *id;
    if (pkt->ip_version == 4) {  // source rules hold IPv4 prefixes; port rules apply to IPv6 too
        struct src_key sk = {.prefixlen = 32, .addr = pkt->saddr};
        id = src_rules.lookup(&sk);
        if (id)
            return *id;
    }
    if (pkt->l4_proto == IPPROTO_TCP || pkt->l4_proto == IPPROTO_UDP) {
        struct port_key pk = {.port = pkt->dport, .proto = pkt->l4_proto};
        id = port_rules.lookup(&pk);
        if (id)
            return *id;
    }
    return 0;
}

static __always_inline int fw_verdict(struct pkt_info *pkt)
{
    u32 id = fw_match(pkt);
    fw_count(id);
    return id ? XDP_DROP : XDP_PASS;
}

int xdp_firewall(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    parse_packet(ctx, &pkt);  // a damaged frame still meets the rules for what could be parsed
    return fw_verdict(&pkt);
}
