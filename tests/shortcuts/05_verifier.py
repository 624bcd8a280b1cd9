# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 05's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""

# %% shortcut: bounded-loop — gallery pair 06's fix, renamed
SUM_PROGRAM = r"""

#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

#define SCAN_LIMIT 64

int sum_bytes(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    int i;
    for (i = 0; i < SCAN_LIMIT; i++) {
        if (data + i + 1 > data_end)
            break;
        if (*(__u8 *)(data + i) == 0)  // the first zero byte ends the scan
            break;
    }
    return i > 32 ? XDP_DROP : XDP_PASS;
}
"""

# %% shortcut: bounded-loop — one byte too many: i <= MAX_BYTES
SUM_PROGRAM = r"""
#include <uapi/linux/bpf.h>
BPF_ARRAY(byte_sum, __u64, 1);

int sum_bytes(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u64 sum = 0;
    for (int i = 0; i <= MAX_BYTES; i++) {
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

# %% shortcut: bounded-loop — the lab's old 64 hard-coded, not the knob
SUM_PROGRAM = r"""
#include <uapi/linux/bpf.h>
BPF_ARRAY(byte_sum, __u64, 1);

int sum_bytes(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u64 sum = 0;
    for (int i = 0; i < 64; i++) {
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

# %% shortcut: bounded-loop — every byte of the frame, under a bound of 1500
SUM_PROGRAM = r"""
#include <uapi/linux/bpf.h>
BPF_ARRAY(byte_sum, __u64, 1);

int sum_bytes(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u64 sum = 0;
    for (int i = 0; i < 1500 + 0 * MAX_BYTES; i++) {
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

# %% shortcut: bounded-loop — the loop's result never reaches the map
SUM_PROGRAM = r"""
#include <uapi/linux/bpf.h>
BPF_ARRAY(byte_sum, __u64, 1);

int sum_bytes(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u64 sum = 0;
    for (int i = 0; i < MAX_BYTES; i++) {
        if (data + i + 1 > data_end)
            break;
        sum += 0 * *(__u8 *)(data + i);
    }
    __u32 key = 0;
    __u64 *total = byte_sum.lookup(&key);
    if (total)
        __sync_fetch_and_add(total, sum);
    return XDP_PASS;
}
"""

# %% shortcut: break-it — gallery pair 17's broken program, renamed
BREAK_IT = r"""

#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#include <uapi/linux/bpf.h>

struct slots { __u64 cell[8]; };
BPF_ARRAY(table, struct slots, 1);

int broken_on_purpose(struct xdp_md *ctx)
{
    __u32 key = 0;
    struct slots *c = table.lookup(&key);
    if (!c)
        return XDP_PASS;
    __u32 i = ctx->rx_queue_index;
    c->cell[i] += 1;  // i unchecked
    return XDP_PASS;
}
"""

# %% shortcut: break-it — the index bounded: the verifier accepts it
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
    if (h && first < 32)
        h->bucket[first] += 1;
    return XDP_PASS;
}
"""

# %% shortcut: break-it — refused, but for a missing NULL check
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
    h->bucket[first & 31] += 1;
    return XDP_PASS;
}
"""

# %% shortcut: repair — everything deleted but return XDP_PASS
REPAIR = r"""
#include <uapi/linux/bpf.h>
BPF_HASH(per_source, __u32, __u64, 1024);

int count_sources(struct xdp_md *ctx)
{
    return XDP_PASS;
}
"""

# %% shortcut: repair — lookup() without creating the entry: loads, never counts
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
    __u64 *n = per_source.lookup(&src); (void)zero;
    if (n)
        __sync_fetch_and_add(n, 1);
    return XDP_PASS;
}
"""

# %% shortcut: repair — counts the destination address
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
    __u32 src = ip->daddr;
    __u64 zero = 0;
    __u64 *n = per_source.lookup_or_try_init(&src, &zero);
    if (n)
        __sync_fetch_and_add(n, 1);
    return XDP_PASS;
}
"""

# %% shortcut: repair — no EtherType test: ARP frames are counted under a made-up address
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
    __u32 src = ip->saddr;
    __u64 zero = 0;
    __u64 *n = per_source.lookup_or_try_init(&src, &zero);
    if (n)
        __sync_fetch_and_add(n, 1);
    return XDP_PASS;
}
"""
