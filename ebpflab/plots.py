# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Live charts for the labs: throttled redraws in JupyterLab, a headless mode for tests (lab 00).

Headless mode (``EBPFLAB_HEADLESS=1``, set by the test suite, or outside a notebook) records the
data and draws once at the end, so nbclient never waits on a widget.

Every lab chart shares one style, made for a projector in a bright room: text of 12 pt or more,
legends beside the data rather than on it, colours from the Okabe-Ito palette (told apart by
colour-blind viewers) each paired with its own line style (told apart when the colours wash out),
and events drawn as thin numbered lines named in the legend. Presentation mode
(``EBPFLAB_PRESENT=1``, or ``plots.present()`` in a cell) makes figures and text larger still.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib

if "MPLBACKEND" not in os.environ and not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")  # no screen: draw to images (the notebook shows them inline)

import matplotlib.pyplot as plt
from cycler import cycler

from .messages import N_, _

# Okabe-Ito colours (safe for colour-blind viewers; yellow left out: it vanishes on a projector),
# each with its own dash pattern so that lines stay apart in grey too. Vermillion is kept for attacks.
STYLES = [
    ("#0072B2", "-"),
    ("#E69F00", "--"),
    ("#009E73", "-."),
    ("#CC79A7", ":"),
    ("#56B4E9", (0, (6, 2, 1, 2, 1, 2))),
    ("#000000", (0, (1, 1))),
    ("#999999", (0, (8, 3))),
]
ALERT = "#D55E00"  # the colour of an attack or a failure
EVENT = "#555555"  # event lines: thin, grey, behind the data
# fixed-width text (names, addresses) that may hold Japanese: matplotlib falls back from one family in a
# list to the next, not within the generic "monospace" alias
MONO = ["monospace", "Noto Sans Mono CJK JP"]
_present = os.environ.get("EBPFLAB_PRESENT") == "1"


def presenting() -> bool:
    """True in presentation mode (EBPFLAB_PRESENT=1 or ``present()``): bigger figures and text."""
    return _present


def style() -> None:
    """Apply the labs' chart style to matplotlib (called on import, and by ``present()``)."""
    big = presenting()
    plt.rcParams.update(
        {
            # Japanese text (EBPFLAB_LANG=ja) falls back to Noto Sans CJK (fonts-noto-cjk, installed by setup)
            "font.family": ["DejaVu Sans", "Noto Sans CJK JP"],
            "font.size": 16 if big else 12,
            "axes.titlesize": 18 if big else 14,
            "axes.labelsize": 16 if big else 13,
            "xtick.labelsize": 15 if big else 12,
            "ytick.labelsize": 15 if big else 12,
            "legend.fontsize": 15 if big else 12,
            "lines.linewidth": 3.2 if big else 2.4,
            "axes.titlepad": 22,
            "axes.grid": True,
            "grid.alpha": 0.35,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=[c for c, _ in STYLES], linestyle=[ls for _, ls in STYLES]),
        }
    )


def present(on: bool = True) -> None:
    """Switch presentation mode on (or off) for the charts drawn after this call."""
    global _present
    _present = on
    style()


def size(width: float, height: float) -> tuple[float, float]:
    """A figure size in inches, scaled up in presentation mode."""
    return (width * 1.4, height * 1.4) if presenting() else (width, height)


def text(template: str, /, **fields: object) -> str:
    """Chart text in the participant's language: a title, an axis label, a series name, a status line.

    The English is looked up in the catalogues (the kit's, and locale/<lang>/messages/labs.po for the text
    the labs' code cells pass to the charts), then ``fields`` are filled in: a title with values in it is
    a template, ``text("ring of {kib} KiB", kib=RING_KIB)``. Text with no entry (an address, a name the
    lab made up) is shown as given.
    """
    if not template:
        return template  # (the empty msgid is a catalogue's header)
    return _(template, **fields)


def translate_axes(ax: Any) -> None:
    """Put the title and the axis labels a drawing function set (in English) into the participant's language."""
    ax.set_title(text(ax.get_title()))
    ax.set_xlabel(text(ax.get_xlabel()))
    ax.set_ylabel(text(ax.get_ylabel()))


def legend_outside(ax: Any) -> None:
    """Put the legend to the right of the axes, where it never covers data (its names translated)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            [text(label) for label in labels],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0.0,
            frameon=False,
        )


def mark_events(ax: Any, marks: Sequence[tuple[float, str]], color: str = EVENT) -> None:
    """Thin numbered vertical lines at event times; the number above the axes, the text in the legend."""
    for i, (t, label) in enumerate(marks, 1):
        ax.axvline(
            t,
            color=color,
            linewidth=1.2,
            linestyle=(0, (2, 2)),
            zorder=0.5,
            label=_("{number}: {event} ({t:.1f} s)", number=i, event=text(label), t=t),
        )
        ax.annotate(
            str(i),
            (t, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            color=color,
            weight="bold",
        )


style()


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

    def __init__(
        self,
        title: str,
        series: Sequence[str],
        *,
        ylabel: str = N_("packets/s"),
        min_interval: float = 0.5,
        draw: Callable[[LivePlot], None] | None = None,
        figsize: tuple[float, float] = (8, 3.4),
    ) -> None:
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
        self.fig, self.ax = plt.subplots(figsize=size(*figsize))
        plt.close(self.fig)  # shown through the Output widget, not by the inline backend

    def __enter__(self) -> LivePlot:
        if not self._headless:
            self._out = _cell_output(claim=True)  # takes the place of the cell's status line, if any
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
        translate_axes(self.ax)  # what a lab's own drawing function wrote, in English
        self.ax.set_title(text(self.title))
        if self._out is not None:
            from IPython.display import display

            with self._out:
                self._out.clear_output(wait=True)
                display(self.fig)

    @staticmethod
    def draw_lines(plot: LivePlot) -> None:
        """One line per series against time, plus the marks."""
        for s in plot.series:
            plot.ax.plot(plot.t, plot.data[s], label=text(s))
        mark_events(plot.ax, plot.marks)
        plot.ax.set_xlabel(_("seconds"))
        plot.ax.set_ylabel(text(plot.ylabel))
        plot.ax.set_ylim(bottom=0)  # rates: a dip should look like a dip, not a cliff
        legend_outside(plot.ax)


def watch_rates(
    read: Callable[[], Mapping[str, float]],
    until: Callable[[], bool],
    *,
    title: str,
    every: float = 0.25,
    max_seconds: float = 30,
    ylabel: str = N_("packets/s"),
) -> LivePlot:
    """Sample cumulative counters from ``read()`` while ``until()`` is false and plot their rates live."""
    with LivePlot(title, list(read()), ylabel=ylabel) as plot:
        # The first interval starts now, after the figure exists: reading before building it would
        # add the seconds its creation took to the counters of the first point, not to its duration.
        last = dict(read())
        start = last_t = time.monotonic()
        while True:
            time.sleep(every)
            finished = until()  # asked before the read: the interval in which the source stopped is partial
            now = time.monotonic()
            cur = dict(read())
            if finished and plot.t:
                break  # its rate would show a fall that never happened
            dt = max(now - last_t, 1e-6)
            plot.add(now - start, **{k: (cur[k] - last.get(k, 0)) / dt for k in cur})
            last, last_t = cur, now
            if finished or now - start > max_seconds:
                break
    return plot


def bars(values: Mapping[str, float], title: str, xlabel: str = N_("packets")) -> None:
    """A horizontal bar chart shown once (final results, top talkers)."""
    fig, ax = plt.subplots(figsize=size(7, 0.5 * max(len(values), 2) + 1.2))
    names = list(values)
    ax.barh([text(n) for n in names], [values[n] for n in names], color=STYLES[0][0])
    ax.grid(axis="y", visible=False)
    ax.invert_yaxis()
    ax.set_title(text(title))
    ax.set_xlabel(text(xlabel))
    _show(fig)


def _cell_output(claim: bool = False) -> Any:
    """The Output widget of the running cell's status line (made and shown on first use)."""
    global _status
    import ipywidgets
    from IPython import get_ipython
    from IPython.display import display

    count = get_ipython().execution_count
    if _status is None or _status[0] != count:
        _status = (count, ipywidgets.Output())
        display(_status[1])
    out = _status[1]
    if claim:  # the chart owns it now; a later status line in this cell starts a new one
        _status = None
    return out


_status: tuple[int, object] | None = None


def status(line: str, /, **fields: object) -> None:
    """Show one line saying what the cell is doing ("compiling…"); the cell's live chart replaces it.

    The line is shown in the participant's language; values in it are fields of a template, as in
    ``status("sending {rate} packets/s …", rate=RATE)``.
    """
    shown = text(line, **fields)  # (filled in headless too: a template that names a missing field fails in the tests)
    if headless():
        return
    _cell_output().outputs = ({"output_type": "stream", "name": "stdout", "text": shown + "\n"},)


def _show(fig: Any) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(fig)
    except ImportError:
        pass
    plt.close(fig)


def draw_labnet(net: Any) -> None:
    """Draw the lab network: one box per namespace, the veth links, the untouched root namespace."""
    from matplotlib.patches import FancyBboxPatch

    hosts = list(net.hosts.values())
    fig, ax = plt.subplots(figsize=size(10, 4.4))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    ax.add_patch(
        FancyBboxPatch((0.1, 0.1), 9.8, 5.8, boxstyle="round,pad=0.05", fill=False, linestyle="--", edgecolor="grey")
    )
    ax.text(0.3, 5.5, _("root namespace: nothing added (no address, no route, no link)"), color="#555555")
    width = 8.6 / len(hosts)
    centers = []
    for i, h in enumerate(hosts):
        x = 0.7 + i * width
        ax.add_patch(FancyBboxPatch((x, 3.0), width - 0.6, 2.0, boxstyle="round,pad=0.05", facecolor="#e8f0fe"))
        ax.text(x + 0.1, 4.55, h.name, weight="bold")
        ax.text(x + 0.1, 4.1, h.netns, family=MONO)
        ax.text(x + 0.1, 3.65, f"{h.iface} {h.ip}", family=MONO)
        ax.text(x + 0.1, 3.2, h.mac, family=MONO, color="#555555")
        centers.append(x + (width - 0.6) / 2)
    if net.switch is None:
        ax.plot(centers, [3.0 - 0.6] * 2, color="black")
        ax.plot([centers[0]] * 2, [3.0, 2.4], color="black")
        ax.plot([centers[1]] * 2, [3.0, 2.4], color="black")
        ax.text(sum(centers) / 2, 1.9, _("veth pair"), ha="center")
    else:
        ax.add_patch(FancyBboxPatch((3.5, 0.5), 3.0, 1.0, boxstyle="round,pad=0.05", facecolor="#fef7e0"))
        ax.text(5.0, 1.0, _("br0 in {netns}", netns=net.switch), ha="center", family=MONO)
        for c in centers:
            ax.plot([c, 5.0], [3.0, 1.5], color="black")
    ax.set_title(_("lab network {subnet} (RFC 2544 test range)", subnet=net.subnet))
    _show(fig)
