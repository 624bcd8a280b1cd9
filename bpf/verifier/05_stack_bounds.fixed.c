// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 05 (fixed). Rule: every stack access must stay inside the buffer
// (and the whole stack is at most 512 bytes).
// Pass sizeof(buf): the helper can never write past the buffer.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int fixed(struct xdp_md *ctx)
{
    char buf[16];
    if (bpf_xdp_load_bytes(ctx, 0, buf, sizeof(buf)))
        return XDP_PASS;
    return buf[0] ? XDP_PASS : XDP_DROP;
}
