// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 17 (fixed). Rule: an index into a map value must be bounded by the
// value's size.
// `i < 8` gives the verifier the range 0..7, so the access stays inside the value.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

struct counters { __u64 slot[8]; };
BPF_ARRAY(table, struct counters, 1);

int fixed(struct xdp_md *ctx)
{
    __u32 key = 0;
    struct counters *c = table.lookup(&key);
    if (!c)
        return XDP_PASS;
    __u32 i = ctx->rx_queue_index;
    if (i < 8)
        c->slot[i] += 1;
    return XDP_PASS;
}
