// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 11: lab 06's capture (xdp_capture.c) in libbpf style. Every packet, up to the snap length,
// goes into a BPF ring buffer; the record layout is the same, so lab 06's decoder reads both.
// Capture never changes the traffic: the program always returns XDP_PASS.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

// The record size must be a constant the verifier can check; the snap length is a knob below it.
#define CAP_BYTES 1536

// Knob set from Python before load: bytes copied at most per packet (1..CAP_BYTES).
const volatile __u32 snaplen = CAP_BYTES;

struct cap_rec {
    __u64 ts_ns;      // bpf_ktime_get_ns(): CLOCK_MONOTONIC
    __u32 len;        // length of the packet on the wire
    __u32 caplen;     // bytes copied into data[]
    __u32 ifindex;
    __u32 pad;
    __u8 data[CAP_BYTES];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 << 20);   // 4 MiB, a power of two of pages
} events SEC(".maps");

// Counters: seen, captured, dropped (ring full or copy failed).
enum { SEEN = 0, CAPTURED = 1, DROPPED = 2, NSTATS = 3 };
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, NSTATS);
    __type(key, __u32);
    __type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 key)
{
    __u64 *v = bpf_map_lookup_elem(&stats, &key);
    if (v)
        __sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_capture(struct xdp_md *ctx)
{
    __u32 len = ctx->data_end - ctx->data;

    count(SEEN);
    struct cap_rec *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
    if (!rec) {
        count(DROPPED);    // ring full: user space is behind; reported, never silent
        return XDP_PASS;
    }
    __u32 n = len < snaplen ? len : snaplen;
    rec->ts_ns = bpf_ktime_get_ns();
    rec->len = len;
    rec->caplen = n;
    rec->ifindex = ctx->ingress_ifindex;
    rec->pad = 0;
    // As in lab 06: the verifier needs the copy's length proven to lie in 1..CAP_BYTES; the
    // empty asm hides what clang knows about m, so that it keeps the one check the verifier reads.
    __u64 m = n - 1;
    asm volatile("" : "+r"(m));
    if (m >= CAP_BYTES || bpf_xdp_load_bytes(ctx, 0, rec->data, m + 1) < 0) {
        bpf_ringbuf_discard(rec, 0);
        count(DROPPED);
        return XDP_PASS;
    }
    bpf_ringbuf_submit(rec, 0);
    count(CAPTURED);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";  // GPL-2.0-only OR BSD-2-Clause, as the SPDX line says
