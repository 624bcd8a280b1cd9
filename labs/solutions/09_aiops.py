# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions of lab 09 (monitor → detect → act)."""

# %% exercise: floor
MIN_RATE = 1000  # about twice the loudest benign burst (~520 pkt/s), two thirds of a flood at half speed


# %% exercise: update
def my_update(d: Detector, t: float, rates: dict[str, float]) -> list[Evidence]:
    """Feed one sample to detector ``d``; return the evidence for every source that is anomalous in it."""
    found = []
    for src, rate in rates.items():
        mean, sigma = d.mean.get(src, 0.0), d.sigma(src)
        z = (rate - mean) / sigma
        if t < d.warmup:
            d.benign_peak = max(d.benign_peak, rate)
        elif z > d.k and rate > d.floor:
            found.append(Evidence(t, src, rate, mean, sigma, z, d.threshold(src)))
            continue
        if src not in d.mean:
            d.mean[src], d.var[src] = rate, 0.0
        else:
            diff = rate - mean
            d.mean[src] = mean + d.alpha * diff
            d.var[src] = (1 - d.alpha) * (d.var[src] + d.alpha * diff * diff)
    return found


# %% exercise: act
ACT_C = r"""
#include "parsing.h"

BPF_HASH(blocklist, u32, u8, 256);   // sources to act on (IPv4 address, network order), filled from Python
BPF_HASH(seen, u32, u64, 256);       // packets seen so far per listed source
BPF_HASH(dropped, u32, u64, 256);    // packets dropped per source: the action's evidence

int xdp_act(struct xdp_md *ctx)
{
    struct pkt_info pkt = {};
    parse_packet(ctx, &pkt);
    if (pkt.ip_version != 4)
        return XDP_PASS;
    u32 src = pkt.saddr;
    if (!blocklist.lookup(&src))
        return XDP_PASS;
    u64 zero = 0, *n = seen.lookup_or_try_init(&src, &zero);
    if (!n)
        return XDP_PASS;
    __sync_fetch_and_add(n, 1);
    if (*n <= THRESHOLD)
        return XDP_PASS;
    dropped.increment(src);
    return XDP_DROP;
}
"""
