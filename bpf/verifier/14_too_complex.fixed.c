// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 14 (fixed). Rule: the verifier simulates every path, and gives up
// past 1,000,000 instructions or 8192 branches still waiting to be explored.
// Give the loop a constant trip count (MAX_ITER) and test the data inside it: at most 64
// iterations to walk, whatever n is. Written as `i < n && i < MAX_ITER`, clang turns the loop
// into "count down min(n, 64)", a countdown older kernels cannot bound (Debian 12's 6.1 gives up).
// (bpf_loop() is the kernel's other answer for long loops: the body is verified once; BCC 0.26
// cannot pass it a callback.)
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

#define MAX_ITER 64

int fixed(struct xdp_md *ctx)
{
    __u32 n = ctx->rx_queue_index;
    volatile __u32 sum = 0;
#pragma clang loop unroll(disable)
    for (__u32 i = 0; i < MAX_ITER; i++)
        if (i < n)
            sum += i;
    return sum & 1 ? XDP_DROP : XDP_PASS;
}
