# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 09's detector is plain arithmetic: EWMA baseline, z-score, floor (no kernel)."""

from __future__ import annotations

import math

from ebpflab.detector import Detector


def test_detector_is_explainable_without_a_kernel():
    d = Detector(warmup=2.0, min_rate=100)
    for i in range(4):  # warm-up: learns the benign peak (300/s), flags nothing
        assert d.update(i * 0.5, {"a": 50.0, "b": 300.0 if i == 2 else 100.0}) == []
    assert d.floor == 600 and not math.isnan(d.threshold("a"))
    assert d.update(2.5, {"a": 590.0, "b": 120.0}) == []  # far above a's baseline, but below the floor
    [ev] = d.update(3.0, {"a": 55.0, "b": 120.0, "new": 5000.0})
    assert ev.source == "new" and ev.z > d.k and "5000 pkt/s" in str(ev)
    assert "new" not in d.mean  # an anomaly does not become the baseline
