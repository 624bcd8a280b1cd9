// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 15 (fixed). Rule: a divisor that may be zero must be tested (for your
// program's sake, not the kernel's).
// Decide what a zero divisor means before dividing.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int fixed(struct xdp_md *ctx)
{
    __u32 len = ctx->data_end - ctx->data;
    __u32 queues = ctx->rx_queue_index;
    if (queues == 0)
        return XDP_PASS;
    return (len / queues) > 100 ? XDP_DROP : XDP_PASS;
}
