// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 17 (broken). Rule: an index into a map value must be bounded by the
// value's size.
// Expect: rejected
// Category: map-value-bounds
// The queue number can be anything up to 2^32-1, while the value holds 8 counters: without a
// check the write could land anywhere after the map value.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

struct counters { __u64 slot[8]; };
BPF_ARRAY(table, struct counters, 1);

int broken(struct xdp_md *ctx)
{
    __u32 key = 0;
    struct counters *c = table.lookup(&key);
    if (!c)
        return XDP_PASS;
    __u32 i = ctx->rx_queue_index;
    c->slot[i] += 1;  // i unchecked
    return XDP_PASS;
}
