// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 10 (broken). Rule: the context is read-only except for the fields the
// program type allows you to write.
// Expect: rejected
// Category: ctx-access
// Moving the packet start by writing ctx->data would let a program point anywhere; the kernel
// offers a helper that does it safely instead.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int broken(struct xdp_md *ctx)
{
    ctx->data = ctx->data + 4;  // strip 4 bytes?
    return XDP_PASS;
}
