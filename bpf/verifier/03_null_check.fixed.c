// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 03 (fixed). Rule: a map lookup may return NULL; test the pointer
// before using it.
// After `if (value)` the verifier knows the pointer is a real map value on that path.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

BPF_HASH(seen, __u32, __u64, 16);

int fixed(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *value = seen.lookup(&key);
    if (value)
        *value += 1;
    return XDP_PASS;
}
