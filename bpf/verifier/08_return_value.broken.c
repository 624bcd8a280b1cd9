// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 08 (broken). Rule: return only the values the program type defines.
// Expect: rejected
// Category: return-value
// Type: cgroup_skb
// A cgroup socket-buffer program returns 1 (allow) or 0 (drop); 2 means nothing, and the
// verifier checks R0's range at every exit. (XDP does not check: an unknown XDP action is
// treated as an error at run time and the packet is dropped.)
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

int broken(struct __sk_buff *skb)
{
    return skb->len > 100 ? 2 : 1;  // 2 is not a verdict
}
