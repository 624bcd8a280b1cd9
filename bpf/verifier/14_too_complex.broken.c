// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 14 (broken). Rule: the verifier simulates every path, and gives up
// past 1,000,000 instructions or 8192 branches still waiting to be explored.
// Expect: rejected
// Category: too-complex
// The loop ends (n is finite), but n can be up to 2^32-1: the verifier walks iteration after
// iteration, each leaving the "i < n is false" branch for later, until the pile of pending
// branches is too large. The same happens with a loop of 300,000 known iterations, which hits
// the 1,000,000-instruction limit (and takes the verifier half a minute to say so).
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int broken(struct xdp_md *ctx)
{
    __u32 n = ctx->rx_queue_index;
    volatile __u32 sum = 0;
#pragma clang loop unroll(disable)
    for (__u32 i = 0; i < n; i++)
        sum += i;
    return sum & 1 ? XDP_DROP : XDP_PASS;
}
