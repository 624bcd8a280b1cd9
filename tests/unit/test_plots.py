# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Live charts (lab 02): true rates from the first point, and one style that reads on a projector."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from ebpflab import plots


class Clock:
    """Time that passes only when the code sleeps: the rates come out the same on any machine, busy or not."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(plots, "time", c)
    return c


def steady(clock: Clock, rate: float):
    """A cumulative counter that grows by ``rate`` per second from now on, like a map slot under traffic."""
    t0 = clock.monotonic()
    return lambda: {"packets/s": rate * (clock.monotonic() - t0)}


def test_first_point_is_the_true_rate_even_when_the_figure_is_slow_to_build(monkeypatch, clock):
    real = plt.subplots

    def slow(*args, **kw):  # a busy machine: building the figure takes as long as two samples
        clock.sleep(0.5)
        return real(*args, **kw)

    monkeypatch.setattr(plt, "subplots", slow)
    plot = plots.watch_rates(steady(clock, 2000), until=lambda: clock.monotonic() > 1.5, title="t", every=0.25)
    first = plot.data["packets/s"][0]
    assert first == pytest.approx(2000), f"first point {first:.0f} for a steady 2000/s"


def test_the_interval_in_which_the_source_stopped_is_left_out(clock):
    counter = steady(clock, 1000)
    frozen = {}

    def read():  # the source stops at 1.1 s: the counter freezes there
        if clock.monotonic() > 1.1:
            return frozen.setdefault("v", counter())
        return counter()

    plot = plots.watch_rates(read, until=lambda: clock.monotonic() > 1.1, title="t", every=0.25)
    assert min(plot.data["packets/s"]) == pytest.approx(1000), plot.data


def test_charts_read_on_a_projector():
    plot = plots.LivePlot("rules", ["passed", "port udp/9999", "src 198.18.0.77/32"])
    for i in range(12):
        plot.add(i * 0.25, **{"passed": 2000, "port udp/9999": 500 if 3 < i < 8 else 0, "src 198.18.0.77/32": 0})
    plot.mark(1.0, "block udp/9999")
    plot.mark(2.0, "unblock udp/9999")
    plot.redraw(force=True)
    fig, ax = plot.fig, plot.ax
    fig.canvas.draw()
    texts = [t for t in fig.findobj(plt.Text) if t.get_text()]
    assert min(t.get_fontsize() for t in texts) >= 12, "every text on a chart is 12 pt or more"
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1, "the legend sits beside the data, not on it"
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith(("_", "1:", "2:"))]
    assert len({(ln.get_color(), str(ln.get_linestyle())) for ln in lines}) == len(lines)
    assert len({str(ln.get_linestyle()) for ln in lines}) == len(lines), (
        "lines differ in dash pattern, not colour alone"
    )
    top = ax.get_window_extent().y1
    numbers = [t for t in texts if t.get_text() in ("1", "2")]
    assert numbers and all(t.get_window_extent().y0 >= top - 1 for t in numbers), "event labels sit above the data"


def test_presentation_mode_makes_charts_bigger():
    try:
        plots.present()
        big = plots.LivePlot("t", ["a"])
        assert plt.rcParams["font.size"] >= 16 and big.fig.get_size_inches()[0] > 8 * 1.3
    finally:
        plots.present(False)
    assert plt.rcParams["font.size"] == 12
