// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 08, tc (cls_bpf): the same counter on the ingress and the egress hook of an interface.
// XDP runs only on received frames; tc's egress hook also sees what the host sends.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>
#include <uapi/linux/pkt_cls.h>

enum { INGRESS = 0, EGRESS = 1 };
BPF_ARRAY(packets, u64, 2);
BPF_ARRAY(bytes, u64, 2);

static __always_inline int count(struct __sk_buff *skb, int direction)
{
    packets.atomic_increment(direction);
    bytes.atomic_increment(direction, skb->len);
    return TC_ACT_OK;  // count and let the packet go on
}

int tc_count_ingress(struct __sk_buff *skb) { return count(skb, INGRESS); }
int tc_count_egress(struct __sk_buff *skb) { return count(skb, EGRESS); }
