// Lab 07: an XDP firewall whose rules live in maps that Python edits while traffic runs.
// Two rule tables, each rule with an id that indexes its hit counter:
//   src_rules:  source prefixes in an LPM trie (longest prefix wins, like a routing table);
//   port_rules: (destination port, protocol) pairs in a hash map.
// A packet that matches no rule passes. Lab 09 includes this file and calls fw_verdict().
#include <uapi/linux/bpf.h>
// Packet parsing is shared by every XDP program of the kit (bpf/parsing.h, lab 04). Until that
// header is present this file carries a minimal IPv4-only parser with the same contract.
#if __has_include("parsing.h")
#include "parsing.h"
#else
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
struct pkt_info {
    u32 len;
    u16 eth_proto;
    u8 ip_version, l4_proto, tcp_flags, malformed;
    u32 saddr, daddr;   // network order
    u16 sport, dport;   // host order
};
static __always_inline int parse_packet(struct xdp_md *ctx, struct pkt_info *pkt)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    pkt->len = end - data;
    if ((void *)(eth + 1) > end)
        return -1;
    pkt->eth_proto = bpf_ntohs(eth->h_proto);
    if (pkt->eth_proto != ETH_P_IP)
        return 0;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->ihl < 5)
        return -1;
    pkt->ip_version = 4;
    pkt->l4_proto = ip->protocol;
    pkt->saddr = ip->saddr;
    pkt->daddr = ip->daddr;
    void *l4 = (void *)ip + ip->ihl * 4;
    if (pkt->l4_proto == IPPROTO_TCP) {
        struct tcphdr *tcp = l4;
        if ((void *)(tcp + 1) > end)
            return -1;
        pkt->sport = bpf_ntohs(tcp->source);
        pkt->dport = bpf_ntohs(tcp->dest);
        pkt->tcp_flags = ((u8 *)tcp)[13];
    } else if (pkt->l4_proto == IPPROTO_UDP) {
        struct udphdr *udp = l4;
        if ((void *)(udp + 1) > end)
            return -1;
        pkt->sport = bpf_ntohs(udp->source);
        pkt->dport = bpf_ntohs(udp->dest);
    }
    return 0;
}
#endif

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
    if (pkt->ip_version != 4)
        return 0;
    struct src_key sk = {.prefixlen = 32, .addr = pkt->saddr};
    u32 *id = src_rules.lookup(&sk);
    if (id)
        return *id;
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
    parse_packet(ctx, &pkt);  // a frame it cannot read has ip_version 0 and matches no rule
    return fw_verdict(&pkt);
}
