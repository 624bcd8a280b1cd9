// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 10 (fixed). Rule: the context is read-only except for the fields the
// program type allows you to write.
// bpf_xdp_adjust_head() moves the packet start and checks the new bounds.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int fixed(struct xdp_md *ctx)
{
    if (bpf_xdp_adjust_head(ctx, 4))
        return XDP_DROP;
    return XDP_PASS;
}
