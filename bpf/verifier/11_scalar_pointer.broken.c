// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 11 (broken). Rule: a number is not a pointer; only pointers the
// verifier produced itself may be dereferenced.
// Expect: rejected
// Category: scalar-deref
// rx_queue_index is an integer (a "scalar" to the verifier); casting it to a pointer does
// not make it point to memory the program may read.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int broken(struct xdp_md *ctx)
{
    __u64 addr = ctx->rx_queue_index;
    __u8 *p = (__u8 *)addr;
    return *p ? XDP_PASS : XDP_DROP;
}
