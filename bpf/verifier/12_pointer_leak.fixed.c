// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 12 (fixed). Rule: kernel addresses must not leak to user space.
// Store what user space needs (here the packet length), never the address itself.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

BPF_ARRAY(addrs, __u64, 1);

int fixed(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 len = ctx->data_end - ctx->data;
    addrs.update(&key, &len);
    return XDP_PASS;
}
