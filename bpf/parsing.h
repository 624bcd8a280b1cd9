// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

/* Lab 04: bounds-checked packet parsers shared by every XDP program in bpf/.
 *
 * In the spirit of xdp-tutorial's parsing_helpers.h: a cursor walks the frame, and each parser
 * first proves to the verifier that its header lies before data_end, then reads it. The verifier
 * only lets a program read bytes it has proved are there; every `if (... > data_end)` below is
 * such a proof (lab 05 shows what the verifier says when one is missing).
 *
 * Small parsers return the next protocol (host order) or -1 when the header is truncated or
 * invalid. parse_packet() runs them all and fills a struct pkt_info:
 *
 *   Ethernet -> up to VLAN_MAX_DEPTH 802.1Q/802.1ad tags -> IPv4 (IHL, options, fragments)
 *            or IPv6 (+ hop-by-hop, routing, fragment, dest-opts, AH up to IPV6_EXT_MAX_DEPTH)
 *            -> TCP / UDP / ICMP / ICMPv6
 *
 * Include it after nothing else: it pulls the UAPI headers it needs (BCC adds -I for them, the
 * loader adds -I bpf/).
 */
#ifndef EBPFLAB_PARSING_H
#define EBPFLAB_PARSING_H

#include <uapi/linux/bpf.h>
#include <uapi/linux/if_ether.h>
#include <uapi/linux/in.h>
#include <uapi/linux/in6.h>
#include <uapi/linux/ip.h>
#include <uapi/linux/ipv6.h>
#include <uapi/linux/tcp.h>
#include <uapi/linux/udp.h>
#include <uapi/linux/icmp.h>
#include <uapi/linux/icmpv6.h>

#ifndef VLAN_MAX_DEPTH
#define VLAN_MAX_DEPTH 2        /* 802.1ad outer tag + 802.1Q inner tag ("QinQ") */
#endif
#ifndef IPV6_EXT_MAX_DEPTH
#define IPV6_EXT_MAX_DEPTH 6    /* a longer extension-header chain counts as malformed */
#endif

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#ifndef IPPROTO_HOPOPTS
#define IPPROTO_HOPOPTS 0
#endif
#ifndef IPPROTO_ROUTING
#define IPPROTO_ROUTING 43
#endif
#ifndef IPPROTO_FRAGMENT
#define IPPROTO_FRAGMENT 44
#endif
#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
#ifndef IPPROTO_NONE
#define IPPROTO_NONE 59
#endif
#ifndef IPPROTO_DSTOPTS
#define IPPROTO_DSTOPTS 60
#endif
#define EBL_IP_MF 0x2000        /* IPv4 "more fragments" flag, host order */
#define EBL_IP_OFFSET 0x1FFF    /* IPv4 fragment offset (8-byte units), host order */

/* What parse_packet() found. Fields may be added; the ones here are a contract with other labs. */
struct pkt_info {
    __u32 len;                       /* frame length (data_end - data) */
    __u16 eth_proto;                 /* innermost EtherType after VLAN tags, host order */
    __u8  vlans;                     /* number of 802.1Q/802.1ad tags */
    __u8  ip_version;                /* 4, 6 or 0 */
    __u8  l4_proto;                  /* IPPROTO_TCP/UDP/ICMP/ICMPV6 whose header was parsed, or 0 */
    __u8  fragment;                  /* 1 for a fragment (a non-first fragment has no L4 header) */
    __u8  malformed;                 /* 1 if some header was truncated or invalid */
    __u8  tcp_flags;                 /* FIN=0x01 SYN=0x02 RST=0x04 PSH=0x08 ACK=0x10 ... */
    __be32 saddr, daddr;             /* IPv4 addresses, network order */
    struct in6_addr saddr6, daddr6;  /* IPv6 addresses */
    __u16 sport, dport;              /* TCP/UDP ports, host order, 0 if none */
    /* additions (not part of the first contract) */
    __u8  ip_proto;                  /* IPv4 protocol / last IPv6 next-header, any value */
    __u8  ip_options;                /* 1 if the IPv4 header has options (IHL > 5) */
    __u8  ipv6_ext;                  /* number of IPv6 extension headers walked */
    __u8  icmp_type;                 /* ICMP / ICMPv6 type when l4_proto is ICMP/ICMPV6 */
    __u16 l3_off;                    /* offset of the IP header from the start of the frame */
    __u16 l4_off;                    /* offset of the L4 header, 0 if none was parsed */
};

/* The parsing position: every parser advances it past the header it read. */
struct hdr_cursor {
    void *pos;
};

struct ebl_vlan_hdr {               /* include/linux/if_vlan.h is not UAPI: define the 4 bytes here */
    __be16 h_vlan_TCI;
    __be16 h_vlan_encapsulated_proto;
};

struct ebl_ipv6_opt_hdr {            /* hop-by-hop, routing, dest-opts: next header + length */
    __u8 nexthdr;
    __u8 hdrlen;                     /* in 8-byte units, not counting the first 8 bytes */
};

struct ebl_frag_hdr {                /* IPv6 fragment header, 8 bytes */
    __u8 nexthdr;
    __u8 reserved;
    __be16 frag_off;                 /* offset (13 bits, 8-byte units) << 3 | M flag */
    __be32 identification;
};

static __always_inline int proto_is_vlan(__u16 h_proto)
{
    return h_proto == ETH_P_8021Q || h_proto == ETH_P_8021AD;
}

/* Ethernet and up to VLAN_MAX_DEPTH tags; returns the innermost EtherType (host order) or -1.
 * With more tags than VLAN_MAX_DEPTH the EtherType returned is the next tag's (0x8100/0x88A8). */
static __always_inline int parse_ethhdr_vlan(struct hdr_cursor *nh, void *data_end,
                                             struct ethhdr **ethhdr, __u8 *vlans)
{
    struct ethhdr *eth = nh->pos;
    if ((void *)(eth + 1) > data_end)   /* proof: 14 bytes are there */
        return -1;
    nh->pos = eth + 1;
    *ethhdr = eth;
    __u16 h_proto = bpf_ntohs(eth->h_proto);
    *vlans = 0;

    struct ebl_vlan_hdr *vlh = nh->pos;
#pragma unroll
    for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
        if (!proto_is_vlan(h_proto))
            break;
        if ((void *)(vlh + 1) > data_end)  /* a tag announced but cut off */
            return -1;
        h_proto = bpf_ntohs(vlh->h_vlan_encapsulated_proto);
        vlh++;
        *vlans += 1;
    }
    nh->pos = vlh;
    return h_proto;
}

static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end, struct ethhdr **ethhdr)
{
    __u8 vlans;
    return parse_ethhdr_vlan(nh, data_end, ethhdr, &vlans);
}

/* IPv4: checks version and IHL (>= 5, and all of it inside the frame), skips options;
 * returns the protocol number or -1. */
static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end, struct iphdr **iphdr)
{
    struct iphdr *iph = nh->pos;
    if ((void *)(iph + 1) > data_end)   /* proof: the fixed 20 bytes are there */
        return -1;
    if (iph->version != 4 || iph->ihl < 5)
        return -1;
    int hdrsize = iph->ihl * 4;         /* 20..60: the verifier knows the bound from the 4-bit field */
    if (nh->pos + hdrsize > data_end)   /* proof: the options are there too */
        return -1;
    __u64 tot_len = bpf_ntohs(iph->tot_len);
    /* Verifiers before 6.18 (Debian 12's 6.1, Debian 13's 6.12) forget a value's range after a
     * byte swap, then refuse the pointer arithmetic below. Clang knows the swap gives at most
     * 0xffff and would delete that check, so the empty asm hides the value from clang, and the
     * check stays for the verifier to read. */
    asm volatile("" : "+r"(tot_len));
    if (tot_len > 0xffff || tot_len < hdrsize)  /* nor can the total be shorter than the header */
        return -1;
    if ((void *)iph + tot_len > data_end)  /* a datagram cut short (Ethernet padding may follow it) */
        return -1;
    nh->pos += hdrsize;
    *iphdr = iph;
    return iph->protocol;
}

/* IPv6 fixed header (40 bytes); returns the first next-header value or -1. */
static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end, struct ipv6hdr **ip6hdr)
{
    struct ipv6hdr *ip6h = nh->pos;
    if ((void *)(ip6h + 1) > data_end)
        return -1;
    if (ip6h->version != 6)
        return -1;
    nh->pos = ip6h + 1;
    *ip6hdr = ip6h;
    return ip6h->nexthdr;
}

/* Walk up to IPV6_EXT_MAX_DEPTH extension headers starting at next-header `nexthdr`.
 * Returns the upper-layer protocol, or -1 (truncated, or a chain too long to follow).
 * Sets *frag to 1 for a fragment and *frag_off to its offset in bytes (non-zero: no L4 header). */
static __always_inline int skip_ip6hdrext(struct hdr_cursor *nh, void *data_end, __u8 nexthdr,
                                          __u8 *count, __u8 *frag, __u16 *frag_off)
{
#pragma unroll
    for (int i = 0; i < IPV6_EXT_MAX_DEPTH; i++) {
        struct ebl_ipv6_opt_hdr *hdr = nh->pos;
        switch (nexthdr) {
        case IPPROTO_HOPOPTS:
        case IPPROTO_ROUTING:
        case IPPROTO_DSTOPTS:
            if ((void *)(hdr + 1) > data_end)
                return -1;
            nexthdr = hdr->nexthdr;
            /* the length is checked at the next step, before anything behind it is read */
            nh->pos = (char *)hdr + (hdr->hdrlen + 1) * 8;
            break;
        case IPPROTO_AH:
            if ((void *)(hdr + 1) > data_end)
                return -1;
            nexthdr = hdr->nexthdr;
            nh->pos = (char *)hdr + (hdr->hdrlen + 2) * 4;
            break;
        case IPPROTO_FRAGMENT: {
            struct ebl_frag_hdr *fh = nh->pos;
            if ((void *)(fh + 1) > data_end)
                return -1;
            nexthdr = fh->nexthdr;
            *frag = 1;
            *frag_off = bpf_ntohs(fh->frag_off) & 0xFFF8;
            nh->pos = fh + 1;
            if (*frag_off)
                return nexthdr;   /* a later fragment: what follows is payload, not a header */
            break;
        }
        default:
            return nexthdr;       /* an upper-layer protocol (or IPPROTO_NONE) */
        }
        *count += 1;
        if (nh->pos > data_end)
            return -1;
    }
    switch (nexthdr) {             /* ran out of depth: fine only if no header is left */
    case IPPROTO_HOPOPTS: case IPPROTO_ROUTING: case IPPROTO_DSTOPTS:
    case IPPROTO_AH: case IPPROTO_FRAGMENT:
        return -1;
    }
    return nexthdr;
}

/* TCP: checks the data offset (>= 5 words, options inside the frame); returns the header length or -1. */
static __always_inline int parse_tcphdr(struct hdr_cursor *nh, void *data_end, struct tcphdr **tcphdr)
{
    struct tcphdr *h = nh->pos;
    if ((void *)(h + 1) > data_end)
        return -1;
    int len = h->doff * 4;
    if (len < (int)sizeof(*h))
        return -1;
    if (nh->pos + len > data_end)
        return -1;
    nh->pos += len;
    *tcphdr = h;
    return len;
}

/* UDP: 8 bytes, and a length field that covers at least them; returns the payload length or -1. */
static __always_inline int parse_udphdr(struct hdr_cursor *nh, void *data_end, struct udphdr **udphdr)
{
    struct udphdr *h = nh->pos;
    if ((void *)(h + 1) > data_end)
        return -1;
    int len = bpf_ntohs(h->len) - (int)sizeof(*h);
    if (len < 0)
        return -1;
    nh->pos = h + 1;
    *udphdr = h;
    return len;
}

/* ICMP (8 bytes): returns the type or -1. */
static __always_inline int parse_icmphdr(struct hdr_cursor *nh, void *data_end, struct icmphdr **icmphdr)
{
    struct icmphdr *h = nh->pos;
    if ((void *)(h + 1) > data_end)
        return -1;
    nh->pos = h + 1;
    *icmphdr = h;
    return h->type;
}

/* ICMPv6 (type, code, checksum and 4 bytes that depend on the type): returns the type or -1. */
static __always_inline int parse_icmp6hdr(struct hdr_cursor *nh, void *data_end, struct icmp6hdr **icmp6hdr)
{
    struct icmp6hdr *h = nh->pos;
    if ((void *)(h + 1) > data_end)
        return -1;
    nh->pos = h + 1;
    *icmp6hdr = h;
    return h->icmp6_type;
}

static __always_inline int ebl_malformed(struct pkt_info *pkt)
{
    pkt->malformed = 1;
    return -1;
}

/* parse_packet() on any frame from `data` to `data_end` (a TC program passes skb->data and
   skb->data_end; call bpf_skb_pull_data() first there, or a large non-linear skb looks truncated
   to the IPv4 total-length check). Fields filled before the failing header stay set on -1. */
static __always_inline int parse_frame(void *data, void *data_end, struct pkt_info *pkt)
{
    struct hdr_cursor nh = { .pos = data };
    struct ethhdr *eth;
    int proto, l4;

    __builtin_memset(pkt, 0, sizeof(*pkt));
    pkt->len = data_end - data;

    proto = parse_ethhdr_vlan(&nh, data_end, &eth, &pkt->vlans);
    if (proto < 0)
        return ebl_malformed(pkt);
    pkt->eth_proto = proto;
    pkt->l3_off = nh.pos - data;

    if (proto == ETH_P_IP) {
        struct iphdr *iph;
        l4 = parse_iphdr(&nh, data_end, &iph);
        if (l4 < 0)
            return ebl_malformed(pkt);
        pkt->ip_version = 4;
        pkt->ip_proto = l4;
        pkt->ip_options = iph->ihl > 5;
        pkt->saddr = iph->saddr;
        pkt->daddr = iph->daddr;
        __u16 frag = bpf_ntohs(iph->frag_off);
        if (frag & (EBL_IP_MF | EBL_IP_OFFSET)) {
            pkt->fragment = 1;
            if (frag & EBL_IP_OFFSET)
                return 0;          /* a later fragment carries payload only: no L4 header to read */
        }
    } else if (proto == ETH_P_IPV6) {
        struct ipv6hdr *ip6h;
        __u16 frag_off = 0;
        l4 = parse_ip6hdr(&nh, data_end, &ip6h);
        if (l4 < 0)
            return ebl_malformed(pkt);
        pkt->ip_version = 6;
        __builtin_memcpy(&pkt->saddr6, &ip6h->saddr, sizeof(pkt->saddr6));
        __builtin_memcpy(&pkt->daddr6, &ip6h->daddr, sizeof(pkt->daddr6));
        l4 = skip_ip6hdrext(&nh, data_end, l4, &pkt->ipv6_ext, &pkt->fragment, &frag_off);
        if (l4 < 0)
            return ebl_malformed(pkt);
        pkt->ip_proto = l4;
        if (frag_off)
            return 0;
    } else {
        return 0;                  /* not IP: nothing more to parse */
    }

    pkt->l4_off = nh.pos - data;
    if (l4 == IPPROTO_TCP) {
        struct tcphdr *tcph;
        if (parse_tcphdr(&nh, data_end, &tcph) < 0)
            return ebl_malformed(pkt);
        pkt->sport = bpf_ntohs(tcph->source);
        pkt->dport = bpf_ntohs(tcph->dest);
        pkt->tcp_flags = ((__u8 *)tcph)[13];  /* the flags byte: CWR ECE URG ACK PSH RST SYN FIN */
    } else if (l4 == IPPROTO_UDP) {
        struct udphdr *udph;
        if (parse_udphdr(&nh, data_end, &udph) < 0)
            return ebl_malformed(pkt);
        pkt->sport = bpf_ntohs(udph->source);
        pkt->dport = bpf_ntohs(udph->dest);
    } else if (l4 == IPPROTO_ICMP && pkt->ip_version == 4) {
        struct icmphdr *icmph;
        if (parse_icmphdr(&nh, data_end, &icmph) < 0)
            return ebl_malformed(pkt);
        pkt->icmp_type = icmph->type;
    } else if (l4 == IPPROTO_ICMPV6 && pkt->ip_version == 6) {
        struct icmp6hdr *icmp6h;
        if (parse_icmp6hdr(&nh, data_end, &icmp6h) < 0)
            return ebl_malformed(pkt);
        pkt->icmp_type = icmp6h->icmp6_type;
    } else {
        pkt->l4_off = 0;
        return 0;                  /* another protocol (GRE, SCTP, none, ...): l4_proto stays 0 */
    }
    pkt->l4_proto = l4;
    return 0;
}

/* Parse Ethernet, up to 2 VLAN tags, IPv4 (IHL, options, fragments) or IPv6 (hop-by-hop, routing,
   fragment, dest-opts up to a fixed depth), then TCP/UDP/ICMP/ICMPv6. Returns 0, or -1 if malformed.
   A frame that is neither IPv4 nor IPv6 (ARP, a third VLAN tag, ...) is not malformed: ip_version 0. */
static __always_inline int parse_packet(struct xdp_md *ctx, struct pkt_info *pkt)
{
    return parse_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end, pkt);
}

#endif /* EBPFLAB_PARSING_H */
