// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 15 (broken). Rule: a divisor that may be zero must be tested (for your
// program's sake, not the kernel's).
// Expect: accepted
// Category: divide-by-zero
// rx_queue_index is often 0. eBPF defines x / 0 = 0 and x % 0 = x, so no division can
// crash the kernel and every kernel accepts this program (privileged or not); it silently
// computes 0.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int broken(struct xdp_md *ctx)
{
    __u32 len = ctx->data_end - ctx->data;
    __u32 queues = ctx->rx_queue_index;
    return (len / queues) > 100 ? XDP_DROP : XDP_PASS;
}
