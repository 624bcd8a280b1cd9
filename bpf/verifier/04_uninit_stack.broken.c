// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 04 (broken). Rule: do not read stack memory you never wrote.
// Expect: root-accepted
// Category: uninit-stack
// The key is never initialised. An unprivileged loader gets "invalid indirect read from
// stack"; recent kernels let a loader with CAP_PERFMON (root here) read uninitialised stack
// (the verifier's allow_uninit_stack), so this kernel accepts it as root. The program is
// still wrong: it looks up a random key.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

BPF_ARRAY(counts, __u64, 4);

int broken(struct xdp_md *ctx)
{
    __u32 key;  // never written
    __u64 *value = counts.lookup(&key);
    if (value)
        *value += 1;
    return XDP_PASS;
}
