# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Detect: an EWMA baseline and a z-score per source, with a floor learned on benign traffic (lab 09).

Lab 09 defines this code in the cell that teaches it and saves it here, so that the scenario
machinery and the tests use the very detector the learner read (a test keeps the two the same).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Evidence:
    """Why the detector flagged a source: the numbers behind the decision."""

    t: float
    source: str
    rate: float
    baseline: float
    sigma: float
    z: float
    threshold: float

    def __str__(self) -> str:
        return (
            f"{self.source}: {self.rate:.0f} pkt/s vs baseline {self.baseline:.0f} ± {self.sigma:.0f} "
            f"(z = {self.z:.1f}), threshold {self.threshold:.0f} pkt/s"
        )


@dataclass
class Detector:
    """EWMA baseline + z-score per source, with a warm-up that learns how loud benign traffic gets (lab 09)."""

    alpha: float = 0.3  # weight of the newest sample in the baseline
    k: float = 4.0  # how many sigmas above its baseline a source must be
    warmup: float = 1.5  # seconds of learning before any decision
    min_rate: float = 1000.0  # never flag a source below this many packets/s
    peak_factor: float = 2.0  # ... nor below this multiple of the loudest benign source in warm-up
    min_sigma: float = 10.0  # a new or very steady source still gets this much slack
    mean: dict[str, float] = field(default_factory=dict, repr=False)  # per-source EWMA of the rate
    var: dict[str, float] = field(default_factory=dict, repr=False)  # per-source EWMA of its variance
    benign_peak: float = field(default=0.0, repr=False)

    def threshold(self, src: str) -> float:
        """The rate above which ``src`` is anomalous right now."""
        return max(self.mean.get(src, 0.0) + self.k * self.sigma(src), self.floor)

    @property
    def floor(self) -> float:
        """The absolute part of the threshold: ``min_rate`` or ``peak_factor`` x the benign peak."""
        return max(self.min_rate, self.peak_factor * self.benign_peak)

    def sigma(self, src: str) -> float:
        """The source's EWMA standard deviation (at least ``min_sigma``)."""
        return max(math.sqrt(self.var.get(src, 0.0)), self.min_sigma)

    def update(self, t: float, rates: dict[str, float]) -> list[Evidence]:
        """Feed one sample; return the evidence for every source that is anomalous in it."""
        found = []
        for src, rate in rates.items():
            mean, sigma = self.mean.get(src, 0.0), self.sigma(src)
            z = (rate - mean) / sigma
            if t < self.warmup:
                self.benign_peak = max(self.benign_peak, rate)
            elif z > self.k and rate > self.floor:
                found.append(Evidence(t, src, rate, mean, sigma, z, self.threshold(src)))
                continue  # an anomaly does not become the new normal
            if src not in self.mean:
                self.mean[src], self.var[src] = rate, 0.0
            else:
                diff = rate - mean
                self.mean[src] = mean + self.alpha * diff
                self.var[src] = (1 - self.alpha) * (self.var[src] + self.alpha * diff * diff)
        return found
