// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 12 (broken). Rule: kernel addresses must not leak to user space.
// Expect: root-accepted
// Category: pointer-leak
// Storing a pointer in a map hands a kernel address to anyone who can read the map.
// An unprivileged loader gets "R? leaks addr into map"; a loader with CAP_PERFMON (root here)
// is trusted with kernel addresses (allow_ptr_leaks), so this kernel accepts it as root.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

BPF_ARRAY(addrs, __u64, 1);

int broken(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 where = (__u64)ctx;  // a kernel address
    addrs.update(&key, &where);
    return XDP_PASS;
}
