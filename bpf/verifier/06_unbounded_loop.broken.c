// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 06 (broken). Rule: every loop must provably end.
// Expect: rejected
// Category: loop
// The loop waits for a packet byte to change, which nothing inside the loop does: the
// verifier sees the same state twice at the same instruction and reports an infinite loop.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int broken(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + 1 > data_end)
        return XDP_PASS;
    while (*(volatile __u8 *)data != 0) {
    }
    return XDP_PASS;
}
