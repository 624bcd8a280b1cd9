// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 08 (fixed). Rule: return only the values the program type defines.
// Type: cgroup_skb
// 0 drops, 1 allows: R0 is in [0, 1] at every exit.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int fixed(struct __sk_buff *skb)
{
    return skb->len > 100 ? 0 : 1;
}
