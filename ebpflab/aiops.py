# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Act, and the loop: monitor → detect → act around two eBPF maps (lab 09).

- **Monitor** (``ebpflab.monitor``): per-source counters from ``bpf/xdp_monitor.c``, as rates.
- **Detect** (``ebpflab.detector``): EWMA baseline + z-score per source; every decision carries
  its evidence (rate, baseline, sigma, z, threshold), so it can be explained.
- **Act** (here): ``Actor`` puts the offender into the firewall's source table (the same program
  drops it in XDP), logs the action with the evidence, and lifts it after a cool-down or keeps it.
  ``Loop`` runs the three once per interval and keeps the time series for the plot.

``ebpflab.scenario`` runs benign senders and an attacker against the loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .detector import Detector, Evidence
from .errors import LabError
from .firewall import Firewall
from .messages import _
from .monitor import Monitor, Sample

# --- act -----------------------------------------------------------------------------------------


@dataclass
class Action:
    """One thing the actor did, with the evidence that made it act."""

    t: float
    action: str  # "block" or "unblock"
    source: str
    evidence: Evidence | None = None

    def __str__(self) -> str:
        if self.evidence:
            return _(
                "t={t:5.1f}s {action:<7} {source} because {evidence}",
                t=self.t,
                action=self.action,
                source=self.source,
                evidence=self.evidence,
            )
        return _("t={t:5.1f}s {action:<7} {source} (cool-down over)", t=self.t, action=self.action, source=self.source)


class Actor:
    """Blocks flagged sources in the firewall map; lifts blocks after ``cooldown`` s unless policy is "keep"."""

    def __init__(
        self, fw: Firewall, policy: str = "cooldown", cooldown: float = 10.0, log: Callable[[str], None] | None = print
    ) -> None:
        if policy not in ("cooldown", "keep"):
            raise LabError(_("policy {policy!r} is not 'cooldown' or 'keep'", policy=policy))
        if cooldown <= 0:
            raise LabError(_("cooldown must be a positive number of seconds"))
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
