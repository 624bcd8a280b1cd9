// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 06 (fixed). Rule: every loop must provably end.
// A constant upper bound (MAX_SCAN) makes the loop finite: the verifier walks each iteration.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

#define MAX_SCAN 64

int fixed(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    int i;
    for (i = 0; i < MAX_SCAN; i++) {
        if (data + i + 1 > data_end)
            break;
        if (*(__u8 *)(data + i) == 0)  // the first zero byte ends the scan
            break;
    }
    return i > 32 ? XDP_DROP : XDP_PASS;
}
