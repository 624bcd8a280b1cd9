// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 02, step 1: the smallest XDP program. It runs for every packet that arrives on the
// interface, before the kernel's network stack sees it, and lets every packet through.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int xdp_pass(struct xdp_md *ctx)
{
    return XDP_PASS;
}
