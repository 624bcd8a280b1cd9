# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions of lab 09 (monitor → detect → act)."""

# %% exercise: floor
MIN_RATE = 1000  # twice the loudest benign burst (~450 pkt/s), a third of the flood


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
