# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 09's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""

# %% shortcut: floor — no floor at all: the z-score alone flags the bursty benign sender
MIN_RATE = 0

# %% shortcut: floor — the benign peak step 2 printed, without a margin
MIN_RATE = 460

# %% shortcut: floor — the flood's nominal rate: a flood at half speed slips under it
MIN_RATE = 3000

# %% shortcut: floor — not a number
MIN_RATE = "1000"


# %% shortcut: update — a call into the kit's own Detector.update
def my_update(d: Detector, t: float, rates: dict[str, float]) -> list[Evidence]:
    return Detector.update(d, t, rates)


# %% shortcut: update — the kit's Detector.update itself, under another name
my_update = Detector.update


# %% shortcut: update — learns from the anomalies too (no continue after flagging)
def my_update(d: Detector, t: float, rates: dict[str, float]) -> list[Evidence]:
    found = []
    for src, rate in rates.items():
        mean, sigma = d.mean.get(src, 0.0), d.sigma(src)
        z = (rate - mean) / sigma
        if t < d.warmup:
            d.benign_peak = max(d.benign_peak, rate)
        elif z > d.k and rate > d.floor:
            found.append(Evidence(t, src, rate, mean, sigma, z, d.threshold(src)))
        if src not in d.mean:
            d.mean[src], d.var[src] = rate, 0.0
        else:
            diff = rate - mean
            d.mean[src] = mean + d.alpha * diff
            d.var[src] = (1 - d.alpha) * (d.var[src] + d.alpha * diff * diff)
    return found


# %% shortcut: update — the lab's default settings hard-coded (k = 4, alpha = 0.3) instead of d's
def my_update(d: Detector, t: float, rates: dict[str, float]) -> list[Evidence]:
    found = []
    for src, rate in rates.items():
        mean, sigma = d.mean.get(src, 0.0), d.sigma(src)
        z = (rate - mean) / sigma
        if t < d.warmup:
            d.benign_peak = max(d.benign_peak, rate)
        elif z > 4.0 and rate > d.floor:
            found.append(Evidence(t, src, rate, mean, sigma, z, d.threshold(src)))
            continue
        if src not in d.mean:
            d.mean[src], d.var[src] = rate, 0.0
        else:
            diff = rate - mean
            d.mean[src] = mean + 0.3 * diff
            d.var[src] = (1 - 0.3) * (d.var[src] + 0.3 * diff * diff)
    return found


# %% shortcut: update — flags on the z-score alone, forgetting the floor and the warm-up
def my_update(d: Detector, t: float, rates: dict[str, float]) -> list[Evidence]:
    found = []
    for src, rate in rates.items():
        mean, sigma = d.mean.get(src, 0.0), d.sigma(src)
        z = (rate - mean) / sigma
        if z > d.k:
            found.append(Evidence(t, src, rate, mean, sigma, z, d.threshold(src)))
            continue
        if src not in d.mean:
            d.mean[src], d.var[src] = rate, 0.0
        else:
            diff = rate - mean
            d.mean[src] = mean + d.alpha * diff
            d.var[src] = (1 - d.alpha) * (d.var[src] + d.alpha * diff * diff)
    return found


# %% shortcut: act — drops every packet of a listed source, ignoring the THRESHOLD budget
ACT_C = r"""
#include "parsing.h"
BPF_HASH(blocklist, u32, u8, 256);
BPF_HASH(seen, u32, u64, 256);
BPF_HASH(dropped, u32, u64, 256);

int xdp_act(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    parse_packet(ctx, &pkt);
    u32 src = pkt.saddr;
    if (pkt.ip_version != 4 || !blocklist.lookup(&src))
        return XDP_PASS;
    dropped.increment(src);
    return XDP_DROP;
}
"""

# %% shortcut: act — off by one: only THRESHOLD - 1 packets pass
ACT_C = r"""
#include "parsing.h"
BPF_HASH(blocklist, u32, u8, 256);
BPF_HASH(seen, u32, u64, 256);
BPF_HASH(dropped, u32, u64, 256);

int xdp_act(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    parse_packet(ctx, &pkt);
    u32 src = pkt.saddr;
    if (pkt.ip_version != 4 || !blocklist.lookup(&src))
        return XDP_PASS;
    u64 zero = 0, *n = seen.lookup_or_try_init(&src, &zero);
    if (!n)
        return XDP_PASS;
    __sync_fetch_and_add(n, 1);
    if (*n < THRESHOLD)
        return XDP_PASS;
    dropped.increment(src);
    return XDP_DROP;
}
"""

# %% shortcut: act — counts what it would drop but lets it pass (no action)
ACT_C = r"""
#include "parsing.h"
BPF_HASH(blocklist, u32, u8, 256);
BPF_HASH(seen, u32, u64, 256);
BPF_HASH(dropped, u32, u64, 256);

int xdp_act(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    parse_packet(ctx, &pkt);
    u32 src = pkt.saddr;
    if (pkt.ip_version != 4 || !blocklist.lookup(&src))
        return XDP_PASS;
    u64 zero = 0, *n = seen.lookup_or_try_init(&src, &zero);
    if (n && ++*n > THRESHOLD)
        dropped.increment(src);
    return XDP_PASS;
}
"""

# %% shortcut: act — ignores the blocklist: every loud source is dropped
ACT_C = r"""
#include "parsing.h"
BPF_HASH(blocklist, u32, u8, 256);
BPF_HASH(seen, u32, u64, 256);
BPF_HASH(dropped, u32, u64, 256);

int xdp_act(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    parse_packet(ctx, &pkt);
    u32 src = pkt.saddr;
    if (pkt.ip_version != 4)
        return XDP_PASS;
    u64 zero = 0, *n = seen.lookup_or_try_init(&src, &zero);
    if (!n || ++*n <= THRESHOLD)
        return XDP_PASS;
    dropped.increment(src);
    return XDP_DROP;
}
"""

# %% shortcut: act — a threshold of 10 hard-coded instead of the THRESHOLD knob
ACT_C = r"""
#include "parsing.h"
BPF_HASH(blocklist, u32, u8, 256);
BPF_HASH(seen, u32, u64, 256);
BPF_HASH(dropped, u32, u64, 256);

int xdp_act(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    parse_packet(ctx, &pkt);
    u32 src = pkt.saddr;
    if (pkt.ip_version != 4 || !blocklist.lookup(&src))
        return XDP_PASS;
    u64 zero = 0, *n = seen.lookup_or_try_init(&src, &zero);
    if (!n || ++*n <= 10)
        return XDP_PASS;
    dropped.increment(src);
    return XDP_DROP;
}
"""
