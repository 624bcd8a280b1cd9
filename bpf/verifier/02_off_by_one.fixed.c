// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 05 gallery, pair 02 (fixed). Rule: the bounds check must cover every byte you read,
// including the last one.
// Check ETH_HLEN + 1 bytes: byte 14 is then inside the proven range.
#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>
#include <uapi/linux/if_ether.h>

int fixed(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + ETH_HLEN + 1 > data_end)
        return XDP_PASS;
    __u8 version_ihl = *(__u8 *)(data + ETH_HLEN);
    return version_ihl == 0x45 ? XDP_PASS : XDP_DROP;
}
