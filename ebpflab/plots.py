"""Live charts for the labs: throttled redraws in JupyterLab, a headless mode for tests (lab 02).

Headless mode (``EBPFLAB_HEADLESS=1``, set by the test suite, or outside a notebook) records the
data and draws once at the end, so nbclient never waits on a widget.
"""
from __future__ import annotations

import os
import time
from typing import Callable, Mapping, Sequence

import matplotlib

if "MPLBACKEND" not in os.environ and not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")  # no screen: draw to images (the notebook shows them inline)

import matplotlib.pyplot as plt  # noqa: E402


def headless() -> bool:
    """True in tests (EBPFLAB_HEADLESS=1) or outside an IPython kernel."""
    if os.environ.get("EBPFLAB_HEADLESS") == "1":
        return True
    try:
        from IPython import get_ipython

        return get_ipython() is None or "IPKernelApp" not in get_ipython().config
    except ImportError:
        return True


class LivePlot:
    """A figure that redraws at most every ``min_interval`` seconds; a context manager (lab 02).

    ``draw`` is called with the figure's axes and the recorded data to render the current state;
    the default draws one line per series against time.
    """

    def __init__(self, title: str, series: Sequence[str], *, ylabel: str = "packets/s",
                 min_interval: float = 0.5, draw: Callable[["LivePlot"], None] | None = None,
                 figsize: tuple[float, float] = (8, 3.2)) -> None:
        self.title = title
        self.series = list(series)
        self.ylabel = ylabel
        self.min_interval = min_interval
        self.t: list[float] = []
        self.data: dict[str, list[float]] = {s: [] for s in self.series}
        self.marks: list[tuple[float, str]] = []
        self._draw_fn = draw or LivePlot.draw_lines
        self._last = 0.0
        self._headless = headless()
        self._out = None
        self.fig, self.ax = plt.subplots(figsize=figsize)
        plt.close(self.fig)  # shown through the Output widget, not by the inline backend

    def __enter__(self) -> "LivePlot":
        if not self._headless:
            import ipywidgets
            from IPython.display import display

            self._out = ipywidgets.Output()
            display(self._out)
        return self

    def __exit__(self, *exc: object) -> None:
        self.redraw(force=True)
        if self._headless:
            try:
                from IPython import get_ipython
                from IPython.display import display

                if get_ipython() is not None:
                    display(self.fig)
            except ImportError:
                pass

    def add(self, t: float, **values: float) -> None:
        """Record one sample at time ``t`` (seconds) and redraw if enough time has passed."""
        self.t.append(t)
        for s in self.series:
            self.data[s].append(float(values.get(s, 0.0)))
        self.redraw()

    def mark(self, t: float, label: str) -> None:
        """Put a labelled vertical line at time ``t`` (an event: a rule landed, an attack began)."""
        self.marks.append((t, label))

    def redraw(self, force: bool = False) -> None:
        """Render the current data, at most once per ``min_interval`` unless ``force``."""
        now = time.monotonic()
        if not force and (self._headless or now - self._last < self.min_interval):
            return
        self._last = now
        self.ax.clear()
        self._draw_fn(self)
        self.ax.set_title(self.title)
        if self._out is not None:
            from IPython.display import display

            with self._out:
                self._out.clear_output(wait=True)
                display(self.fig)

    @staticmethod
    def draw_lines(plot: "LivePlot") -> None:
        """One line per series against time, plus the marks."""
        for s in plot.series:
            plot.ax.plot(plot.t, plot.data[s], label=s)
        for t, label in plot.marks:
            plot.ax.axvline(t, color="grey", linestyle="--")
            plot.ax.annotate(label, (t, 0), rotation=90, va="bottom", fontsize=8)
        plot.ax.set_xlabel("seconds")
        plot.ax.set_ylabel(plot.ylabel)
        plot.ax.set_ylim(bottom=0)  # rates: a dip should look like a dip, not a cliff
        if plot.series:
            plot.ax.legend(loc="upper left", fontsize=8)


def watch_rates(read: Callable[[], Mapping[str, float]], until: Callable[[], bool], *, title: str,
                every: float = 0.25, max_seconds: float = 30, ylabel: str = "packets/s") -> LivePlot:
    """Sample cumulative counters from ``read()`` while ``until()`` is false and plot their rates live."""
    first = dict(read())
    with LivePlot(title, list(first), ylabel=ylabel) as plot:
        start = last_t = time.monotonic()
        last = first
        while True:
            time.sleep(every)
            now = time.monotonic()
            cur = dict(read())
            dt = max(now - last_t, 1e-6)
            plot.add(now - start, **{k: (cur[k] - last.get(k, 0)) / dt for k in cur})
            last, last_t = cur, now
            if until() or now - start > max_seconds:
                break
    return plot


def bars(values: Mapping[str, float], title: str, xlabel: str = "packets") -> None:
    """A horizontal bar chart shown once (final results, top talkers)."""
    fig, ax = plt.subplots(figsize=(7, 0.4 * max(len(values), 2) + 1))
    names = list(values)
    ax.barh(names, [values[n] for n in names])
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    _show(fig)


def _show(fig) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(fig)
    except ImportError:
        pass
    plt.close(fig)


def draw_labnet(net) -> None:
    """Draw the lab network: one box per namespace, the veth links, the untouched root namespace."""
    from matplotlib.patches import FancyBboxPatch

    hosts = list(net.hosts.values())
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    ax.add_patch(FancyBboxPatch((0.1, 0.1), 9.8, 5.8, boxstyle="round,pad=0.05", fill=False, linestyle="--",
                                edgecolor="grey"))
    ax.text(0.3, 5.6, "root namespace: nothing added (no address, no route, no link)", fontsize=8, color="grey")
    width = 8.6 / len(hosts)
    centers = []
    for i, h in enumerate(hosts):
        x = 0.7 + i * width
        ax.add_patch(FancyBboxPatch((x, 3.0), width - 0.6, 2.0, boxstyle="round,pad=0.05", facecolor="#e8f0fe"))
        ax.text(x + 0.1, 4.6, h.name, fontsize=11, weight="bold")
        ax.text(x + 0.1, 4.2, h.netns, fontsize=7, family="monospace")
        ax.text(x + 0.1, 3.7, f"{h.iface} {h.ip}", fontsize=8, family="monospace")
        ax.text(x + 0.1, 3.3, h.mac, fontsize=7, family="monospace", color="grey")
        centers.append(x + (width - 0.6) / 2)
    if net.switch is None:
        ax.plot(centers, [3.0 - 0.6] * 2, color="black")
        ax.plot([centers[0]] * 2, [3.0, 2.4], color="black")
        ax.plot([centers[1]] * 2, [3.0, 2.4], color="black")
        ax.text(sum(centers) / 2, 2.0, "veth pair", ha="center", fontsize=9)
    else:
        ax.add_patch(FancyBboxPatch((3.5, 0.5), 3.0, 1.0, boxstyle="round,pad=0.05", facecolor="#fef7e0"))
        ax.text(5.0, 1.0, f"br0 in {net.switch}", ha="center", fontsize=8)
        for c in centers:
            ax.plot([c, 5.0], [3.0, 1.5], color="black")
    ax.set_title(f"lab network {net.subnet} (RFC 2544 test range)", fontsize=10)
    _show(fig)
