// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 09, monitor: per-source counters (packets, bytes, SYNs, dropped) kept by the kernel, read
// by Python every interval to build a time series. The same program enforces the firewall
// rules of lab 07, so the detector's actions land in the map this program checks.
// BCC rewrites map calls (hits.lookup) only in the file it compiles, not in included files, so
// ebpflab's loader pastes a local .c include in place before compiling.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include "xdp_firewall.c"

#ifndef MAX_SOURCES  // a knob from Python: how many sources are tracked at once
#define MAX_SOURCES 4096
#endif

struct src_stats {
    u64 packets;
    u64 bytes;
    u64 syns;      // TCP segments with SYN set and ACK clear: connection attempts
    u64 dropped;   // packets of this source that the firewall dropped
};
BPF_HASH(sources, u32, struct src_stats, MAX_SOURCES);  // key: IPv4 source, network order

int xdp_monitor(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    parse_packet(ctx, &pkt);
    int verdict = fw_verdict(&pkt);
    if (pkt.ip_version != 4)
        return verdict;  // the per-source table is keyed by IPv4 address
    u32 saddr = pkt.saddr;
    struct src_stats zero = {}, *s = sources.lookup_or_try_init(&saddr, &zero);
    if (s) {
        __sync_fetch_and_add(&s->packets, 1);
        __sync_fetch_and_add(&s->bytes, pkt.len);
        if (pkt.l4_proto == IPPROTO_TCP && (pkt.tcp_flags & 0x12) == 0x02)
            __sync_fetch_and_add(&s->syns, 1);
        if (verdict == XDP_DROP)
            __sync_fetch_and_add(&s->dropped, 1);
    }
    return verdict;
}
