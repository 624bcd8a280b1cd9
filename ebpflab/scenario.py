# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Scenarios: benign senders and a delayed attacker run against the loop, and the story plot (lab 09).

``Scenario.play()`` sends from one lab host with each sender's own source address (all in
198.18.0.0/15), runs monitor → detect → act once per interval, and returns a ``Result`` that says
how fast the attack was blocked, whether a benign sender ever was, and draws it all on one time axis.
"""

from __future__ import annotations

import ipaddress
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from . import traffic
from .aiops import Action, Actor, Loop
from .detector import Detector, Evidence
from .errors import LabError
from .firewall import Firewall
from .loader import Program
from .messages import N_, _
from .monitor import Monitor, Sample
from .netlab import LabNet


@dataclass
class Sender:
    """A source of traffic: ``rate`` packets/s, with bursts of ``burst_rate`` with probability ``burst_p``."""

    src: str
    rate: float
    burst_rate: float = 0.0
    burst_p: float = 0.0
    kind: str = "udp"  # "udp" or "syn"
    start: float = 0.0  # seconds after the scenario starts


def benign_senders() -> list[Sender]:
    """Four benign senders: steady ones at different rates and a bursty one."""
    return [
        Sender("198.18.0.10", 40),
        Sender("198.18.0.11", 120),
        Sender("198.18.0.12", 250, kind="syn"),
        Sender("198.18.0.13", 30, burst_rate=450, burst_p=0.3),
    ]


def attacker(
    start: float = 2.0, rate: float = 3000, kind: str = "syn", sources: tuple[str, ...] = ("198.18.66.6",)
) -> list[Sender]:
    """A flood from one or a few addresses that starts ``start`` seconds in."""
    return [Sender(s, rate / len(sources), kind=kind, start=start) for s in sources]


@dataclass
class Result:
    """What a scenario run recorded."""

    samples: list[Sample]
    thresholds: list[float]
    actions: list[Action]
    detections: list[Evidence]
    benign: list[str]
    attackers: list[str]
    attack_start: float
    sent: dict[str, int]
    baselines: list[dict[str, float]] = field(default_factory=list)

    def blocked_at(self, src: str) -> float | None:
        """When ``src`` was first blocked (seconds), or None."""
        return next((a.t for a in self.actions if a.action == "block" and a.source == src), None)

    def time_to_block(self) -> float | None:
        """Seconds from the attack's start until every attacker was blocked (None if one never was)."""
        times = [self.blocked_at(s) for s in self.attackers]
        known = [t for t in times if t is not None]
        return None if len(known) < len(times) else max(known) - self.attack_start

    def false_positives(self) -> set[str]:
        """Benign sources that were blocked at some point (should be empty)."""
        return {a.source for a in self.actions if a.action == "block"} & set(self.benign)

    def after_block(self) -> tuple[dict[str, float], dict[str, float]]:
        """Mean (passed pkt/s of attackers, passed pkt/s of benign senders) over intervals that began after the last block landed."""
        t = max((self.blocked_at(s) or math.inf) for s in self.attackers)
        after = [s for s in self.samples if s.since > t]  # the block landed just after sample t was read
        mean = lambda src: sum(s.passed(src) for s in after) / len(after) if after else math.nan  # noqa: E731
        return {a: mean(a) for a in self.attackers}, {b: mean(b) for b in self.benign}

    def dropped_after_block(self) -> dict[str, float]:
        """Mean dropped pkt/s per attacker over intervals that began after the last block landed."""
        t = max((self.blocked_at(s) or math.inf) for s in self.attackers)
        after = [s for s in self.samples if s.since > t]  # the block landed just after sample t was read
        return {a: sum(s.dropped.get(a, 0.0) for s in after) / max(len(after), 1) for a in self.attackers}

    def plot(self, ax: Any = None, title: str = N_("monitor → detect → act")) -> Any:
        """Traffic per source, the detection floor, drops and the block/unblock moments on one time axis."""
        return draw_story(
            ax, self.samples, self.thresholds, self.actions, self.attackers, self.attack_start, _(title), self.baselines
        )


def draw_story(
    ax: Any,
    samples: list[Sample],
    thresholds: list[float],
    actions: list[Action],
    attackers: list[str],
    attack_start: float | None,
    title: str,
    baselines: list[dict[str, float]] | None = None,
) -> Any:
    """Draw the loop's time series on ``ax`` (a new figure when None); EWMA baselines dotted.

    In the labs' chart style (``plots``): attackers thick and vermillion, benign senders in the
    palette's colours and dash patterns, what XDP dropped as a hatched area under the attack (the
    attack's line counts packets before the verdict, so a line would hide behind it), events as
    numbered lines named in the legend, the legend beside the axes.
    """
    import matplotlib.pyplot as plt

    from . import plots

    if ax is None:
        _fig, ax = plt.subplots(figsize=plots.size(10, 4.2))
    t = [s.t for s in samples]
    sources = sorted({src for s in samples for src in s.pps}, key=lambda a: ipaddress.IPv4Address(a))
    if attackers:
        dropped = [sum(s.dropped.get(a, 0.0) for a in attackers) for s in samples]
        ax.fill_between(
            t,
            [1.0] * len(t),
            [max(d, 1.0) for d in dropped],
            color=plots.ALERT,
            alpha=0.18,
            hatch="//",
            edgecolor=plots.ALERT,
            linewidth=0,
            zorder=1,
            label=_("attack dropped in XDP"),
        )
    calm = iter(plots.STYLES * 8)
    for src in sources:
        if src in attackers:
            color, style = plots.ALERT, {"linewidth": 3.0, "linestyle": "-", "zorder": 3}
        else:
            color, ls = next(calm)
            style = {"linestyle": ls, "zorder": 2}
        ax.plot(t, [s.pps.get(src, 0.0) or math.nan for s in samples], label=src, color=color, **style)
        if baselines:
            ax.plot(
                t[: len(baselines)],
                [b.get(src) or math.nan for b in baselines],
                ":",
                linewidth=1.2,
                color=color,
                alpha=0.6,
                zorder=1.5,
            )
    ax.plot(t, thresholds, color="#333333", linewidth=1.6, linestyle=(0, (5, 3)), label=_("detection floor"))
    if baselines:
        ax.plot([], [], ":", color="#666666", linewidth=1.2, label=_("EWMA baselines (dotted)"))
    marks = [(attack_start, _("attack starts"))] if attack_start is not None else []
    plots.mark_events(ax, marks + [(a.t, _event(a)) for a in actions])
    ax.set_yscale("log")
    ax.set_ylim(bottom=10)
    ax.set_xlabel(_("seconds"))
    ax.set_ylabel(_("packets/s"))
    ax.set_title(plots.text(title))
    plots.legend_outside(ax)
    return ax


def _event(action: Action) -> str:
    """The legend's name of what the actor did: ``block 198.18.66.6`` or ``unblock 198.18.66.6``."""
    if action.action == "block":
        return _("block {source}", source=action.source)
    if action.action == "unblock":
        return _("unblock {source}", source=action.source)
    return f"{action.action} {action.source}"


class Scenario:
    """Benign senders plus a delayed attacker, all sent from one lab host with their own source addresses."""

    def __init__(self, senders: list[Sender], seed: int = 0, duration: float = 4.5, chunk: float = 0.25) -> None:
        if duration > 30:
            raise LabError(_("keep a scenario under 30 seconds"))
        self.senders, self.seed, self.duration, self.chunk = senders, seed, duration, chunk
        self.t0 = 0.0  # the last run's clock origin (time.monotonic())
        self.started: dict[str, float] = {}  # when each sender really began, seconds after t0

    def _frames(self, net: LabNet, host: str, dst: str, s: Sender) -> Any:
        """The frames ``s`` cycles through (crafted before the clock starts: slow on a busy machine)."""
        if s.kind == "syn":
            frames = [traffic.tcp_syn(net, host, dst, dport=80, sport=1024 + i, src_ip=s.src) for i in range(64)]
        else:
            frames = [traffic.udp(net, host, dst, dport=5000, src_ip=s.src)]
        return traffic.frames_from(frames)

    def _send(
        self,
        net: LabNet,
        host: str,
        s: Sender,
        frames: Any,
        rng: random.Random,
        t0: float,
        stop: threading.Event,
        sent: dict[str, int],
    ) -> None:
        wait = t0 + s.start - time.monotonic()
        if wait > 0 and stop.wait(wait):
            return
        self.started[s.src] = time.monotonic() - t0  # when it really began: a busy machine starts late
        while not stop.is_set() and time.monotonic() - t0 < self.duration:
            bursting = s.burst_p and rng.random() < s.burst_p
            rate = (s.burst_rate if bursting else s.rate) * rng.uniform(0.85, 1.15)
            left = self.duration - (time.monotonic() - t0)
            r = traffic.send(
                net,
                host,
                frames,
                rate=rate,
                duration=min(self.chunk, max(left, 0.01)),
                count=int(rate * self.chunk) + 1,
                progress=False,
            )
            sent[s.src] = sent.get(s.src, 0) + r.packets
            # keep the pace of the chunk even when it ended early (count reached)
            stop.wait(max(0.0, self.chunk - r.seconds))

    @contextmanager
    def running(self, net: LabNet, host: str = "client", dst: str = "server") -> Iterator[dict[str, int]]:
        """Run every sender in its own thread for the block; always waits for them (bounded by duration)."""
        rng = random.Random(self.seed)
        frames = [self._frames(net, host, dst, s) for s in self.senders]
        stop = threading.Event()
        sent: dict[str, int] = {}
        self.started = {}
        self.t0 = t0 = time.monotonic()
        threads = [
            threading.Thread(
                target=self._send,
                args=(net, host, s, f, random.Random(rng.random()), t0, stop, sent),
                name=f"ebpflab-sender-{s.src}",
                daemon=True,
            )
            for s, f in zip(self.senders, frames)
        ]
        for th in threads:
            th.start()
        try:
            yield sent
        finally:
            stop.set()
            for th in threads:
                th.join(timeout=self.duration + 5)

    def play(
        self,
        net: LabNet,
        prog: Program,
        *,
        detector: Detector | None = None,
        policy: str = "keep",
        cooldown: float = 10.0,
        interval: float = 0.5,
        host: str = "client",
        dst: str = "server",
        log: Callable[[str], None] | None = print,
        on_sample: Callable[[Loop], None] | None = None,
    ) -> Result:
        """Run the scenario against ``xdp_monitor`` attached on ``dst``; return everything it recorded."""
        fw = Firewall(prog)
        loop = Loop(Monitor(prog), detector or Detector(), Actor(fw, policy, cooldown, log))
        attack = [s for s in self.senders if s.start > 0]
        loop.monitor.sample()  # the starting point
        with self.running(net, host, dst) as sent:
            loop.monitor.start = self.t0  # samples and senders share one clock
            deadline = loop.monitor.start + self.duration
            next_t = loop.monitor.start + interval
            while time.monotonic() < deadline:
                time.sleep(max(0.0, next_t - time.monotonic()))
                next_t += interval
                loop.step()
                if on_sample:
                    on_sample(loop)
        return Result(
            loop.samples,
            loop.thresholds,
            loop.actor.actions,
            loop.detections,
            [s.src for s in self.senders if s not in attack],
            [s.src for s in attack],
            min((self.started.get(s.src, s.start) for s in attack), default=math.nan),
            dict(sent),
            loop.baselines,
        )
