// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 13 (broken). Rule: a packet access at a variable offset needs its own
// bounds check after the offset is added.
// Expect: rejected
// Category: packet-variable-offset
// The offset comes from the packet (0..255). The check covers bytes 0..63 of the packet, but
// says nothing about data + offset: the verifier tracks the checked range per pointer.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int broken(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + 64 > data_end)
        return XDP_PASS;
    __u8 offset = *(__u8 *)data;
    __u8 *p = data + offset;
    return *p == 1 ? XDP_DROP : XDP_PASS;  // p was never checked
}
