// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 11 (fixed). Rule: a number is not a pointer; only pointers the
// verifier produced itself may be dereferenced.
// Use the integer as an integer (here: an index into a map) and read through the map's
// pointer, which the verifier tracks.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

BPF_ARRAY(per_queue, __u64, 64);

int fixed(struct xdp_md *ctx)
{
    __u32 queue = ctx->rx_queue_index;
    __u64 *count = per_queue.lookup(&queue);
    if (count)
        *count += 1;
    return XDP_PASS;
}
