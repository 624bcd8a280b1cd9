// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 04 (fixed). Rule: do not read stack memory you never wrote.
// Initialise every stack variable (and struct padding) before a helper reads it.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

BPF_ARRAY(counts, __u64, 4);

int fixed(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *value = counts.lookup(&key);
    if (value)
        *value += 1;
    return XDP_PASS;
}
