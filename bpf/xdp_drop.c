// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 02, step 2: the same program with one word changed. XDP_DROP discards the packet
// right in the driver's receive path: the stack, sockets and ping never see it.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int xdp_drop(struct xdp_md *ctx)
{
    return XDP_DROP;
}
