// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 18 (broken). Rule: helpers that change the packet invalidate every
// packet pointer; reload and re-check them after the call.
// Expect: rejected
// Category: scalar-deref
// bpf_xdp_adjust_head() may move the packet, so after the call the verifier forgets what eth
// pointed to: it is just a number now.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>
#include <uapi/linux/if_ether.h>

int broken(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_PASS;
    if (bpf_xdp_adjust_head(ctx, 0))
        return XDP_DROP;
    return eth->h_proto == htons(ETH_P_ARP) ? XDP_DROP : XDP_PASS;  // eth is stale
}
