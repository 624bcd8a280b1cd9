// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 06: tcpdump on XDP. Copy every packet (up to the snap length) into a BPF ring buffer.
// User space (ebpflab/tcpdump/capture.py, ebpflab/tcpdump/ringbuf.py) drains the ring a batch at a time, writes pcap
// files and prints them.
// Capture never changes the traffic: the program always returns XDP_PASS.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include "parsing.h"   // lab 04's parse_packet(), for the protocol breakdown

// Knobs set from Python (ebpflab.tcpdump.capture.Capture):
#ifndef CAP_BYTES          // bytes copied at most per packet: min(snap length, MTU + headers)
#define CAP_BYTES 1536
#endif
#ifndef RING_PAGES         // ring buffer size in pages (a power of two)
#define RING_PAGES 1024
#endif
#ifndef WAKE_BYTES         // wake user space once this much is waiting in the ring...
#define WAKE_BYTES (RING_PAGES * 4096 / 4)
#endif
#ifndef WAKE_NS            // ...or when this long has passed since the last wake-up
#define WAKE_NS 10000000
#endif

// One record in the ring buffer is one pcap record, header included, sized to the packet:
// user space strips the ring's own 8-byte headers and appends whole batches to a pcap file.
struct pcap_rec {
    u32 ts_sec;     // wall-clock time: bpf_ktime_get_ns() + the offset user space put in `clock`
    u32 ts_usec;
    u32 caplen;     // bytes copied into data[]
    u32 len;        // length of the packet on the wire
    u8 data[CAP_BYTES];
};

BPF_RINGBUF_OUTPUT(events, RING_PAGES);
// Where a record is built before it is copied into the ring with its real size. The ring can
// only reserve constant sizes (checked by the verifier); bpf_ringbuf_output() copies any size.
BPF_PERCPU_ARRAY(scratch, struct pcap_rec, 1);
// [0]: CLOCK_REALTIME - CLOCK_MONOTONIC in ns, set by user space; [1]: time of the last wake-up;
// [2]: bytes written since. Shared by all CPUs without locks: a race only moves a wake-up a little.
BPF_ARRAY(clock, u64, 3);

// Counters, per CPU so that two CPUs never fight over one cache line.
enum { SEEN = 0, CAPTURED = 1, DROPPED = 2, FILTERED = 3, NSTATS = 4 };
BPF_PERCPU_ARRAY(stats, u64, NSTATS);

static __always_inline void count(int key)
{
    u64 *v = stats.lookup(&key);
    if (v)
        *v += 1;
}

// What arrived, by protocol: every packet seen, including those filtered out or dropped.
enum { P_ARP, P_TCP, P_UDP, P_ICMP, P_ICMP6, P_IP4_OTHER, P_IP6_OTHER, P_OTHER, P_MALFORMED, NPROTO };
BPF_PERCPU_ARRAY(protocols, u64, NPROTO);

static __always_inline void count_protocol(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    int key = P_OTHER;
    if (parse_packet(ctx, &pkt) < 0 || pkt.malformed)
        key = P_MALFORMED;
    else if (pkt.l4_proto == IPPROTO_TCP)
        key = P_TCP;
    else if (pkt.l4_proto == IPPROTO_UDP)
        key = P_UDP;
    else if (pkt.l4_proto == IPPROTO_ICMP)
        key = P_ICMP;
    else if (pkt.l4_proto == IPPROTO_ICMPV6)
        key = P_ICMP6;
    else if (pkt.ip_version == 4)
        key = P_IP4_OTHER;
    else if (pkt.ip_version == 6)
        key = P_IP6_OTHER;
    else if (pkt.eth_proto == ETH_P_ARP)
        key = P_ARP;
    u64 *v = protocols.lookup(&key);
    if (v)
        *v += 1;
}

// The filter: generated C from a tcpdump expression (ebpflab/tcpdump/capfilter.py), or "keep all".
#ifdef CAPTURE_FILTER
#include CAPTURE_FILTER
#else
static __always_inline int capture_filter(void *data, void *data_end) { return 1; }
#endif

int xdp_capture(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    u32 len = data_end - data;

    count(SEEN);
    count_protocol(ctx);
    if (!capture_filter(data, data_end)) {
        count(FILTERED);   // never copied: that is the point of filtering in the kernel
        return XDP_PASS;
    }
    int zero = 0, one = 1, two = 2;
    struct pcap_rec *rec = scratch.lookup(&zero);
    u64 *offset = clock.lookup(&zero), *last_wake = clock.lookup(&one), *unread = clock.lookup(&two);
    if (!rec || !offset || !last_wake || !unread)
        return XDP_PASS;
    u32 n = len < CAP_BYTES ? len : CAP_BYTES;
    u64 now = bpf_ktime_get_ns();
    u64 wall = now + *offset;
    rec->ts_sec = wall / 1000000000;
    rec->ts_usec = (wall % 1000000000) / 1000;
    rec->len = len;
    rec->caplen = n;
    // A variable-length copy: the verifier needs the length proven to lie in 1..CAP_BYTES. The
    // empty asm hides what clang knows about m, so that it keeps the one check the verifier reads.
    u64 m = n - 1;         // n == 0 wraps to a huge value and is refused below
    asm volatile("" : "+r"(m));
    if (m >= CAP_BYTES || bpf_xdp_load_bytes(ctx, 0, rec->data, m + 1) < 0) {
        count(DROPPED);
        return XDP_PASS;
    }
    // Wake the reader for a batch, not for every record: when WAKE_BYTES were written since the
    // last wake-up, or when that wake-up is WAKE_NS old (so that a lone packet is not kept waiting).
    u32 size = __builtin_offsetof(struct pcap_rec, data) + m + 1;
    u64 flags = BPF_RB_NO_WAKEUP;
    *unread += size + 8;   // the ring's own header
    if (*unread >= WAKE_BYTES || now - *last_wake >= WAKE_NS) {
        flags = BPF_RB_FORCE_WAKEUP;
        *last_wake = now;
        *unread = 0;
    }
    if (events.ringbuf_output(rec, size, flags) < 0) {
        count(DROPPED);    // ring full: user space is behind; reported, never silent
        return XDP_PASS;
    }
    count(CAPTURED);
    return XDP_PASS;
}
