// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 09 (fixed). Rule: call only the helpers your program type may use.
// bpf_xdp_load_bytes() is the XDP counterpart of bpf_skb_load_bytes().
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int fixed(struct xdp_md *ctx)
{
    char first[4];
    if (bpf_xdp_load_bytes(ctx, 0, first, sizeof(first)))
        return XDP_PASS;
    return first[0] ? XDP_PASS : XDP_DROP;
}
