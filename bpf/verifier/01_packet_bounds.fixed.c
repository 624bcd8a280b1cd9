// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 01 (fixed). Rule: read a packet byte only after a bounds check
// proves it lies before data_end.
// The check `data + sizeof(*eth) > data_end` teaches the verifier that 14 bytes are safe.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>
#include <uapi/linux/if_ether.h>

int fixed(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)  // now bytes 0..13 are known to exist
        return XDP_PASS;
    if (eth->h_proto == htons(ETH_P_ARP))
        return XDP_DROP;
    return XDP_PASS;
}
