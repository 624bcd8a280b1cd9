// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 01 (broken). Rule: read a packet byte only after a bounds check
// proves it lies before data_end.
// Expect: rejected
// Category: packet-bounds
// The packet may be shorter than an Ethernet header: reading h_proto without checking could
// read past the end of the buffer, so the verifier refuses every unchecked packet access.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>
#include <uapi/linux/if_ether.h>

int broken(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    struct ethhdr *eth = data;
    if (eth->h_proto == htons(ETH_P_ARP))  // no check against data_end
        return XDP_DROP;
    return XDP_PASS;
}
