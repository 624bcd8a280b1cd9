// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 13 (fixed). Rule: a packet access at a variable offset needs its own
// bounds check after the offset is added.
// Check the pointer you dereference: p + 1 must not pass data_end.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int fixed(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + 64 > data_end)
        return XDP_PASS;
    __u8 offset = *(__u8 *)data;
    __u8 *p = data + offset;
    if ((void *)(p + 1) > data_end)
        return XDP_PASS;
    return *p == 1 ? XDP_DROP : XDP_PASS;
}
