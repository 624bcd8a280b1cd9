# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/05_verifier.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: bounded-loop
SUM_PROGRAM = r"""
#include <uapi/linux/bpf.h>
// MAX_BYTES is a knob: the check sets it with Program(..., defines={"MAX_BYTES": n})
BPF_ARRAY(byte_sum, __u64, 1);

int sum_bytes(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u64 sum = 0;
    for (int i = 0; i < MAX_BYTES; i++) {
        if (data + i + 1 > data_end)
            break;
        sum += *(__u8 *)(data + i);
    }
    __u32 key = 0;
    __u64 *total = byte_sum.lookup(&key);
    if (total)
        __sync_fetch_and_add(total, sum);
    return XDP_PASS;
}
"""

# %% exercise: break-it
BREAK_IT = r"""
#include <uapi/linux/bpf.h>

struct histogram { __u64 bucket[32]; };
BPF_ARRAY(sizes, struct histogram, 1);

int broken_on_purpose(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + 1 > data_end)
        return XDP_PASS;
    __u8 first = *(__u8 *)data;  // 0..255, and the histogram has 32 buckets
    __u32 zero = 0;
    struct histogram *h = sizes.lookup(&zero);
    if (h)
        h->bucket[first] += 1;
    return XDP_PASS;
}
"""

# %% exercise: repair
REPAIR = r"""
#include <uapi/linux/bpf.h>
#include <uapi/linux/if_ether.h>
#include <uapi/linux/ip.h>

BPF_HASH(per_source, __u32, __u64, 1024);   // IPv4 source address -> packets

int count_sources(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = data + sizeof(*eth);
    if ((void *)(ip + 1) > data_end)
        return XDP_PASS;
    if (eth->h_proto != htons(ETH_P_IP))
        return XDP_PASS;
    __u32 src = ip->saddr;
    __u64 zero = 0;
    __u64 *n = per_source.lookup_or_try_init(&src, &zero);
    if (n)
        __sync_fetch_and_add(n, 1);
    return XDP_PASS;
}
"""
