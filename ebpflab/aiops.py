"""Monitor → detect → act: an AIOps loop in miniature around two eBPF maps (lab 09).

- **Monitor**: ``bpf/xdp_monitor.c`` counts packets, bytes, SYNs and drops per IPv4 source in the
  kernel; ``Monitor.sample()`` turns the counters into per-second rates, one sample per interval.
- **Detect**: ``Detector`` keeps, per source, an EWMA baseline of its rate and of its variance. A
  sample is anomalous when it is both far above the source's own baseline (z-score over ``k``)
  and above a floor that no benign sender reached while the detector warmed up. Every decision
  carries its evidence (rate, baseline, sigma, z, threshold), so it can be explained.
- **Act**: ``Actor`` puts the offender into the firewall's source table (the same program drops
  it in XDP), logs the action with the evidence, and lifts it after a cool-down or keeps it.

``Scenario`` runs benign senders and, after a delay, an attacker inside a LabNet, and records
the whole story on one time axis.
"""
from __future__ import annotations

import ipaddress
import math
import random
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from . import export, traffic
from .errors import LabError
from .firewall import Firewall
from .loader import Program
from .netlab import LabNet


def monitor_program(defines: dict[str, Any] | None = None) -> Program:
    """``bpf/xdp_monitor.c``, which includes the firewall of lab 07 (the loader pastes it in)."""
    return Program("xdp_monitor", defines)


# --- monitor -------------------------------------------------------------------------------------

@dataclass
class Sample:
    """One interval's per-source rates (per second): packets, SYNs, and packets dropped in XDP."""

    t: float
    pps: dict[str, float]
    syns: dict[str, float]
    dropped: dict[str, float]
    since: float = 0.0   # when the interval began (the previous sample's t)

    def passed(self, src: str) -> float:
        """Packets per second of ``src`` that went through the firewall."""
        return self.pps.get(src, 0.0) - self.dropped.get(src, 0.0)


class Monitor:
    """Reads the per-source counters of a loaded ``xdp_monitor`` and turns them into rates (lab 09)."""

    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.prog["sources"].clear()
        self._last: dict[str, tuple[int, int, int]] = {}
        self._last_t: float | None = None
        self.start = time.monotonic()

    def totals(self) -> dict[str, dict[str, int]]:
        """Cumulative counters per source address: packets, bytes, syns, dropped."""
        return export.source_counters(self.prog["sources"].items())

    def sample(self) -> Sample:
        """Rates since the previous call (the first call only sets the starting point)."""
        now = time.monotonic()
        cur = {s: (c["packets"], c["syns"], c["dropped"]) for s, c in self.totals().items()}
        dt = max(now - self._last_t, 1e-6) if self._last_t is not None else None
        rates: list[dict[str, float]] = [{}, {}, {}]
        for src, vals in cur.items():
            before = self._last.get(src, (0, 0, 0))
            for i in range(3):
                rates[i][src] = (vals[i] - before[i]) / dt if dt else 0.0
        since = (self._last_t if self._last_t is not None else now) - self.start
        self._last, self._last_t = cur, now
        return Sample(now - self.start, *rates, since=since)


# --- detect --------------------------------------------------------------------------------------

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
        return (f"{self.source}: {self.rate:.0f} pkt/s vs baseline {self.baseline:.0f} ± {self.sigma:.0f} "
                f"(z = {self.z:.1f}), threshold {self.threshold:.0f} pkt/s")


@dataclass
class Detector:
    """EWMA baseline + z-score per source, with a warm-up that learns how loud benign traffic gets (lab 09)."""

    alpha: float = 0.3          # weight of the newest sample in the baseline
    k: float = 4.0              # how many sigmas above its baseline a source must be
    warmup: float = 1.5         # seconds of learning before any decision
    min_rate: float = 1000.0    # never flag a source below this many packets/s
    peak_factor: float = 2.0    # ... nor below this multiple of the loudest benign source in warm-up
    min_sigma: float = 10.0     # a new or very steady source still gets this much slack
    mean: dict[str, float] = field(default_factory=dict, repr=False)   # per-source EWMA of the rate
    var: dict[str, float] = field(default_factory=dict, repr=False)    # per-source EWMA of its variance
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


# --- act -----------------------------------------------------------------------------------------

@dataclass
class Action:
    """One thing the actor did, with the evidence that made it act."""

    t: float
    action: str          # "block" or "unblock"
    source: str
    evidence: Evidence | None = None

    def __str__(self) -> str:
        why = f" because {self.evidence}" if self.evidence else " (cool-down over)"
        return f"t={self.t:5.1f}s {self.action:<7} {self.source}{why}"


class Actor:
    """Blocks flagged sources in the firewall map; lifts blocks after ``cooldown`` s unless policy is "keep"."""

    def __init__(self, fw: Firewall, policy: str = "cooldown", cooldown: float = 10.0,
                 log: Callable[[str], None] | None = print) -> None:
        if policy not in ("cooldown", "keep"):
            raise LabError(f"policy {policy!r} is not 'cooldown' or 'keep'")
        if cooldown <= 0:
            raise LabError("cooldown must be a positive number of seconds")
        self.fw, self.policy, self.cooldown, self.log = fw, policy, cooldown, log
        self.actions: list[Action] = []
        self.blocked: dict[str, tuple[float, Any]] = {}  # source -> (since, rule)

    def act(self, evidence: Evidence) -> Action | None:
        """Block the evidence's source (once); return what was done."""
        if evidence.source in self.blocked:
            return None
        rule = self.fw.block_source(evidence.source)
        self.blocked[evidence.source] = (evidence.t, rule)
        return self._record(Action(evidence.t, "block", evidence.source, evidence))

    def tick(self, t: float) -> list[Action]:
        """Lift the blocks whose cool-down is over (policy "cooldown")."""
        done = []
        if self.policy == "cooldown":
            for src, (since, rule) in list(self.blocked.items()):
                if t - since >= self.cooldown:
                    self.fw.remove(rule)
                    del self.blocked[src]
                    done.append(self._record(Action(t, "unblock", src)))
        return done

    def ever_blocked(self) -> set[str]:
        """Every source blocked at some point."""
        return {a.source for a in self.actions if a.action == "block"}

    def _record(self, action: Action) -> Action:
        self.actions.append(action)
        if self.log:
            self.log(str(action))
        return action


# --- the loop --------------------------------------------------------------------------------------

class Loop:
    """Monitor → detect → act, one step per interval; keeps the time series for the plot."""

    def __init__(self, monitor: Monitor, detector: Detector, actor: Actor) -> None:
        self.monitor, self.detector, self.actor = monitor, detector, actor
        self.samples: list[Sample] = []
        self.thresholds: list[float] = []
        self.baselines: list[dict[str, float]] = []
        self.detections: list[Evidence] = []

    def step(self) -> Sample:
        """Take one sample, feed the detector, let the actor act; return the sample."""
        s = self.monitor.sample()
        found = self.detector.update(s.t, s.pps)
        for ev in found:
            self.detections.append(ev)
            self.actor.act(ev)
        self.actor.tick(s.t)
        self.samples.append(s)
        self.thresholds.append(self.detector.floor if s.t >= self.detector.warmup else math.nan)
        self.baselines.append(dict(self.detector.mean))
        return s


# --- the scenario ----------------------------------------------------------------------------------

@dataclass
class Sender:
    """A source of traffic: ``rate`` packets/s, with bursts of ``burst_rate`` with probability ``burst_p``."""

    src: str
    rate: float
    burst_rate: float = 0.0
    burst_p: float = 0.0
    kind: str = "udp"        # "udp" or "syn"
    start: float = 0.0       # seconds after the scenario starts


def benign_senders() -> list[Sender]:
    """Four benign senders: steady ones at different rates and a bursty one."""
    return [Sender("198.18.0.10", 40), Sender("198.18.0.11", 120), Sender("198.18.0.12", 250, kind="syn"),
            Sender("198.18.0.13", 30, burst_rate=450, burst_p=0.3)]


def attacker(start: float = 2.0, rate: float = 3000, kind: str = "syn",
             sources: tuple[str, ...] = ("198.18.66.6",)) -> list[Sender]:
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
        return None if None in times else max(times) - self.attack_start  # type: ignore[type-var]

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

    def plot(self, ax: Any = None, title: str = "monitor → detect → act") -> Any:
        """Traffic per source, the detection floor, drops and the block/unblock moments on one time axis."""
        return draw_story(ax, self.samples, self.thresholds, self.actions, self.attackers, self.attack_start, title,
                          self.baselines)


def draw_story(ax: Any, samples: list[Sample], thresholds: list[float], actions: list[Action],
               attackers: list[str], attack_start: float | None, title: str,
               baselines: list[dict[str, float]] | None = None) -> Any:
    """Draw the loop's time series on ``ax`` (a new figure when None); EWMA baselines dotted.

    In the labs' chart style (``plots``): attackers thick and vermillion, benign senders in the
    palette's colours and dash patterns, what XDP dropped as a hatched area under the attack (the
    attack's line counts packets before the verdict, so a line would hide behind it), events as
    numbered lines named in the legend, the legend beside the axes.
    """
    import matplotlib.pyplot as plt

    from . import plots

    if ax is None:
        _, ax = plt.subplots(figsize=plots.size(10, 4.2))
    t = [s.t for s in samples]
    sources = sorted({src for s in samples for src in s.pps}, key=lambda a: ipaddress.IPv4Address(a))
    if attackers:
        dropped = [sum(s.dropped.get(a, 0.0) for a in attackers) for s in samples]
        ax.fill_between(t, [1.0] * len(t), [max(d, 1.0) for d in dropped], color=plots.ALERT, alpha=0.18,
                        hatch="//", edgecolor=plots.ALERT, linewidth=0, zorder=1, label="attack dropped in XDP")
    calm = iter(plots.STYLES * 8)
    for src in sources:
        if src in attackers:
            color, style = plots.ALERT, {"linewidth": 3.0, "linestyle": "-", "zorder": 3}
        else:
            color, ls = next(calm)
            style = {"linestyle": ls, "zorder": 2}
        ax.plot(t, [s.pps.get(src, 0.0) or math.nan for s in samples], label=src, color=color, **style)
        if baselines:
            ax.plot(t[:len(baselines)], [b.get(src) or math.nan for b in baselines], ":", linewidth=1.2,
                    color=color, alpha=0.6, zorder=1.5)
    ax.plot(t, thresholds, color="#333333", linewidth=1.6, linestyle=(0, (5, 3)), label="detection floor")
    if baselines:
        ax.plot([], [], ":", color="#666666", linewidth=1.2, label="EWMA baselines (dotted)")
    marks = [(attack_start, "attack starts")] if attack_start is not None else []
    plots.mark_events(ax, marks + [(a.t, f"{a.action} {a.source}") for a in actions])
    ax.set_yscale("log")
    ax.set_ylim(bottom=10)
    ax.set_xlabel("seconds")
    ax.set_ylabel("packets/s")
    ax.set_title(title)
    plots.legend_outside(ax)
    return ax


class Scenario:
    """Benign senders plus a delayed attacker, all sent from one lab host with their own source addresses."""

    def __init__(self, senders: list[Sender], seed: int = 0, duration: float = 4.5, chunk: float = 0.25) -> None:
        if duration > 30:
            raise LabError("keep a scenario under 30 seconds")
        self.senders, self.seed, self.duration, self.chunk = senders, seed, duration, chunk
        self.t0 = 0.0                       # the last run's clock origin (time.monotonic())
        self.started: dict[str, float] = {}  # when each sender really began, seconds after t0

    def _frames(self, net: LabNet, host: str, dst: str, s: Sender) -> Any:
        """The frames ``s`` cycles through (crafted before the clock starts: slow on a busy machine)."""
        if s.kind == "syn":
            frames = [traffic.tcp_syn(net, host, dst, dport=80, sport=1024 + i, src_ip=s.src) for i in range(64)]
        else:
            frames = [traffic.udp(net, host, dst, dport=5000, src_ip=s.src)]
        return traffic.frames_from(frames)

    def _send(self, net: LabNet, host: str, s: Sender, frames: Any, rng: random.Random, t0: float,
              stop: threading.Event, sent: dict[str, int]) -> None:
        wait = t0 + s.start - time.monotonic()
        if wait > 0 and stop.wait(wait):
            return
        self.started[s.src] = time.monotonic() - t0  # when it really began: a busy machine starts late
        while not stop.is_set() and time.monotonic() - t0 < self.duration:
            bursting = s.burst_p and rng.random() < s.burst_p
            rate = (s.burst_rate if bursting else s.rate) * rng.uniform(0.85, 1.15)
            left = self.duration - (time.monotonic() - t0)
            r = traffic.send(net, host, frames, rate=rate, duration=min(self.chunk, max(left, 0.01)),
                             count=int(rate * self.chunk) + 1, progress=False)
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
        threads = [threading.Thread(target=self._send, args=(net, host, s, f, random.Random(rng.random()), t0, stop, sent),
                                    name=f"ebpflab-sender-{s.src}", daemon=True) for s, f in zip(self.senders, frames)]
        for th in threads:
            th.start()
        try:
            yield sent
        finally:
            stop.set()
            for th in threads:
                th.join(timeout=self.duration + 5)

    def run(self, net: LabNet, prog: Program, *, detector: Detector | None = None, policy: str = "keep",
            cooldown: float = 10.0, interval: float = 0.5, host: str = "client", dst: str = "server",
            log: Callable[[str], None] | None = print, on_sample: Callable[[Loop], None] | None = None) -> Result:
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
        return Result(loop.samples, loop.thresholds, loop.actor.actions, loop.detections,
                      [s.src for s in self.senders if s not in attack], [s.src for s in attack],
                      min((self.started.get(s.src, s.start) for s in attack), default=math.nan), dict(sent),
                      loop.baselines)
