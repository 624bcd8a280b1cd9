# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Check helpers judge totals over windows, not the last sample (lab 07's live firewall check). No kernel needed."""

from __future__ import annotations

from ebpflab import check
from ebpflab.plots import LivePlot


def test_window_totals_add_up_each_stretch_between_marks():
    plot = LivePlot("t", ["passed", "dropped"])
    # rates over 0.5 s intervals; the rule lands at 1.0 s (the sample at 1.0 s still belongs before it)
    for t, passed, dropped in [(0.5, 100, 0), (1.0, 100, 0), (1.5, 60, 40), (2.0, 0, 0)]:
        plot.add(t, passed=passed, dropped=dropped)
    plot.mark(1.0, "block")
    w = check.window_totals(plot)
    assert w == {"start": {"passed": 100.0, "dropped": 0.0}, "block": {"passed": 30.0, "dropped": 20.0}}


def test_a_quiet_last_sample_does_not_hide_what_passed():
    plot = LivePlot("t", ["passed"])
    plot.mark(0.1, "rule")
    for t, rate in [(0.2, 500), (0.4, 500), (0.6, 0)]:  # the sender stopped before the last sample
        plot.add(t, passed=rate)
    assert check.window_totals(plot)["rule"]["passed"] == 200.0
