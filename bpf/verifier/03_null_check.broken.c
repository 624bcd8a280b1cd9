// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 03 (broken). Rule: a map lookup may return NULL; test the pointer
// before using it.
// Expect: rejected
// Category: null-check
// A hash map has no entry until someone creates it, so lookup() returns "pointer or NULL".
// (Recent kernels know that an ARRAY lookup with a constant in-range key cannot fail and
// accept that case: this is why the gallery uses a hash map.)
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

BPF_HASH(seen, __u32, __u64, 16);

int broken(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *value = seen.lookup(&key);
    *value += 1;  // value may be NULL
    return XDP_PASS;
}
