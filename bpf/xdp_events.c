// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 03: one event per UDP packet sent to user space, through a ring buffer or a perf buffer.
// Ring buffer (BPF_RINGBUF_OUTPUT): one buffer shared by all CPUs, events in the order they were
// reserved. Perf buffer (BPF_PERF_OUTPUT): one buffer per CPU, so user space reads CPU by CPU and
// must sort by time itself. When a buffer is full the event is dropped: we count those.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include "parsing.h"

#ifndef USE_PERF
#define USE_PERF 0        // 0: ring buffer, 1: perf buffer
#endif
#ifndef RING_PAGES
#define RING_PAGES 64     // ring buffer size in pages (a power of two)
#endif

struct event {
    u64 ts;               // bpf_ktime_get_ns(): when the program saw the packet
    u32 saddr;            // network order
    u32 len;
    u32 cpu;
    u16 sport;
    u16 dport;
};

enum { SUBMITTED, DROPPED };
BPF_ARRAY(stats, u64, 2);
#if USE_PERF
BPF_PERF_OUTPUT(events);
#else
BPF_RINGBUF_OUTPUT(events, RING_PAGES);
#endif

int xdp_events(struct xdp_md *ctx)
{
    struct pkt_info pkt;
    if (parse_packet(ctx, &pkt) < 0 || pkt.l4_proto != IPPROTO_UDP)
        return XDP_PASS;
    struct event e = {
        .ts = bpf_ktime_get_ns(),
        .saddr = pkt.saddr,
        .len = pkt.len,
        .cpu = bpf_get_smp_processor_id(),
        .sport = pkt.sport,
        .dport = pkt.dport,
    };
#if USE_PERF
    int err = events.perf_submit(ctx, &e, sizeof(e));
#else
    int err = events.ringbuf_output(&e, sizeof(e), 0);
#endif
    int key = err ? DROPPED : SUBMITTED;
    u64 *v = stats.lookup(&key);
    if (v)
        __sync_fetch_and_add(v, 1);
    return XDP_PASS;
}
