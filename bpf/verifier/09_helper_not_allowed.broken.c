// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 09 (broken). Rule: call only the helpers your program type may use.
// Expect: rejected
// Category: helper
// bpf_skb_load_bytes() reads from a socket buffer (tc, socket filters); XDP runs before
// there is a socket buffer, so the helper does not exist for XDP programs.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int broken(struct xdp_md *ctx)
{
    char first[4];
    if (bpf_skb_load_bytes(ctx, 0, first, sizeof(first)))
        return XDP_PASS;
    return first[0] ? XDP_PASS : XDP_DROP;
}
