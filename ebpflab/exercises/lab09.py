# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""The checks of lab 09's exercises: the detection floor, the detector's update, acting in XDP (lab 09)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import Any

from .. import check, maps, traffic
from ..detector import Detector, Evidence
from ..errors import CheckFailed
from ..loader import Program
from ..messages import _
from ..monitor import monitor_program
from ..netlab import LabNet
from ..scenario import Scenario, attacker, benign_senders

LAB = "09_aiops"
INTERVAL = 0.5  # seconds between two samples, as in the lab


# --- floor ---------------------------------------------------------------------------------------
def _benign_series(rng: random.Random, samples: int) -> list[dict[str, float]]:
    """Per-sample rates of the lab's benign senders as a busy machine may measure them.

    A sample spans two of a sender's 0.25 s chunks, each at its rate (or burst rate) times 0.85..1.15,
    as ``Scenario`` sends; the measurement adds up to 30 % on top (a sender catching up after a stall).
    """
    series = []
    for _sample in range(samples):
        rates = {}
        for s in benign_senders():
            chunks = [
                (s.burst_rate if s.burst_p and rng.random() < s.burst_p else s.rate) * rng.uniform(0.85, 1.15)
                for _ in range(2)
            ]
            rates[s.src] = sum(chunks) / 2 * rng.uniform(0.9, 1.3)
        series.append(rates)
    return series


@check.exercise(LAB, "floor")
def floor(min_rate: Any) -> None:
    """Check ``MIN_RATE`` on 200 made-up runs (bursty benign senders, a flood at half to full speed), then live."""
    if isinstance(min_rate, bool) or not isinstance(min_rate, (int, float)) or not math.isfinite(min_rate):
        raise CheckFailed(_("MIN_RATE should be a number of packets per second, not {value!r}", value=min_rate))
    rng = random.Random()
    for _run in range(200):
        det = Detector(min_rate=min_rate, peak_factor=0)
        series = _benign_series(rng, 16)
        start = rng.randint(4, 12)  # the flood's first sample, after the warm-up
        flood_src, flood = f"198.18.66.{rng.randint(1, 250)}", 3000 * rng.uniform(0.5, 1.0)
        caught_at = None
        for i, rates in enumerate(series):
            if i >= start:
                rates[flood_src] = flood * rng.uniform(0.95, 1.05)
            flagged = {e.source: e for e in det.update(i * INTERVAL, rates)}
            benign = sorted(set(flagged) - {flood_src})
            if benign:
                e = flagged[benign[0]]
                raise CheckFailed(
                    _(
                        "with MIN_RATE {min_rate} a benign sender was flagged: {source} at {rate:.0f} pkt/s "
                        "(a burst, or a busy machine's catching up); leave more margin above the benign peak",
                        min_rate=min_rate,
                        source=e.source,
                        rate=e.rate,
                    )
                )
            if flood_src in flagged and caught_at is None:
                caught_at = i
        if caught_at is None or caught_at > start + 1:
            raise CheckFailed(
                _(
                    "with MIN_RATE {min_rate} a flood sent at {flood:.0f} pkt/s (a busy machine may manage half of "
                    "3000) was not caught within two samples; the floor must lie well below the flood",
                    min_rate=min_rate,
                    flood=flood,
                )
            )
    with LabNet() as net, monitor_program() as prog, prog.xdp(net["server"]):
        live = Scenario(benign_senders() + attacker(), seed=rng.randrange(10**6), duration=4.0).play(
            net, prog, detector=Detector(min_rate=min_rate, peak_factor=0), interval=INTERVAL, log=None
        )
    if live.time_to_block() is None:
        raise CheckFailed(
            _("with MIN_RATE {min_rate} the live flood was never blocked: is the floor below it?", min_rate=min_rate)
        )
    check.ok(
        _(
            "MIN_RATE {min_rate}: no benign sender flagged in 200 made-up runs, every flood caught, "
            "and the live flood blocked {seconds:.1f} s after it started",
            min_rate=min_rate,
            seconds=live.time_to_block(),
        )
    )


# --- update --------------------------------------------------------------------------------------
# The reference is the package's own method, taken when this module is imported (in the notebook's first
# cell, before any answer runs): inside the check, Detector.update is a trap for the learner's code.
_reference_update = Detector.update


def _random_detector(rng: random.Random) -> dict[str, Any]:
    """Detector settings other than the lab's defaults: an answer must read them from ``d``."""
    return {
        "alpha": rng.uniform(0.1, 0.5),
        "k": rng.uniform(2.0, 5.0),
        "warmup": rng.choice([1.0, 1.5, 2.0, 3.0]),
        "min_rate": rng.uniform(200, 1500),
        "peak_factor": rng.uniform(1.0, 3.0),
        "min_sigma": rng.uniform(5, 30),
    }


def _random_series(rng: random.Random) -> list[tuple[float, dict[str, float]]]:
    """Samples of a few sources with noise, spikes at random places, a source that comes late, gaps."""
    sources = {f"198.18.{rng.randint(0, 1)}.{n}": rng.uniform(20, 800) for n in rng.sample(range(1, 250), 4)}
    late = f"198.18.77.{rng.randint(1, 250)}"
    late_from = rng.randint(3, 20)
    series = []
    for i in range(rng.randint(20, 30)):
        rates = {src: base * rng.uniform(0.8, 1.2) for src, base in sources.items() if rng.random() > 0.05}
        if i >= late_from:
            rates[late] = rng.uniform(10, 300)
        for src in rng.sample(sorted(rates), k=min(len(rates), rng.choice([0, 0, 0, 1, 2]))):
            rates[src] *= rng.uniform(3, 60)  # a spike
        series.append((i * INTERVAL, rates))
    return series


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _compare(yours: Detector, ref: Detector, got: list[Any], want: list[Evidence], t: float, rates: dict) -> None:
    """Raise CheckFailed at the first difference between the learner's step and the reference's."""
    sample = {s: round(r) for s, r in rates.items()}
    got_src = [getattr(e, "source", e) for e in got]
    if got_src != [e.source for e in want]:
        raise CheckFailed(
            _(
                "at t = {t} s (rates {rates}, warm-up {warmup} s, k = {k:.2f}, floor {floor:.0f}) "
                "your update flagged {flagged}, it should flag {want}",
                t=t,
                rates=sample,
                warmup=yours.warmup,
                k=yours.k,
                floor=yours.floor,
                flagged=got_src,
                want=[e.source for e in want],
            )
        )
    for g, w in zip(got, want):
        for name in ("t", "rate", "baseline", "sigma", "z", "threshold"):
            if not isinstance(getattr(g, name, None), (int, float)) or not _same(getattr(g, name), getattr(w, name)):
                raise CheckFailed(
                    _(
                        "at t = {t} s the evidence for {source} has {field} = {value!r}; "
                        "an Evidence carries the values before this sample updates anything",
                        t=t,
                        source=w.source,
                        field=name,
                        value=getattr(g, name, None),
                    )
                )
    if not _same(yours.benign_peak, ref.benign_peak):
        raise CheckFailed(
            _(
                "after t = {t} s d.benign_peak is {peak!r}: learn the loudest rate of the warm-up",
                t=t,
                peak=yours.benign_peak,
            )
        )
    if yours.mean.keys() != ref.mean.keys():
        raise CheckFailed(
            _(
                "after t = {t} s d.mean holds {yours}, it should hold {want} "
                "(a flagged sample is not learnt; a new source starts at its rate)",
                t=t,
                yours=sorted(yours.mean),
                want=sorted(ref.mean),
            )
        )
    for src in ref.mean:
        if not (_same(yours.mean[src], ref.mean[src]) and _same(yours.var.get(src, math.nan), ref.var[src])):
            raise CheckFailed(
                _(
                    "after t = {t} s the baseline of {source} is mean {mean!r}, var {var!r}: "
                    "move both by d.alpha (var <- (1 - alpha) * (var + alpha * diff**2), with diff from the old mean)",
                    t=t,
                    source=src,
                    mean=yours.mean[src],
                    var=yours.var.get(src),
                )
            )


@check.exercise(LAB, "update")
def update(answer: Callable[[Detector, float, dict[str, float]], Any]) -> None:
    """Check ``my_update(d, t, rates)`` against the reference on 30 random series with random settings."""
    code, kit = getattr(answer, "__code__", None), Detector.update.__code__
    # the very method, or the notebook's copy of it (step 2's cell compiles the same source again)
    if code is kit or (code is not None and (code.co_code, code.co_varnames) == (kit.co_code, kit.co_varnames)):
        raise CheckFailed(_("your answer is Detector.update itself: this exercise asks you to write it yourself"))
    # the notebook's own copy of the class (step 2's cell) is refused as much as the package's
    theirs = getattr(answer, "__globals__", {}).get("Detector")
    owners = [Detector] + ([theirs] if isinstance(theirs, type) and theirs is not Detector else [])
    rng = random.Random()
    with (
        check.refusing(owners[0], "update", "Detector.update"),
        check.refusing(owners[-1], "update", "Detector.update"),
    ):
        for _series in range(30):
            settings = _random_detector(rng)
            yours, ref = Detector(**settings), Detector(**settings)
            for t, rates in _random_series(rng):
                want = _reference_update(ref, t, dict(rates))
                got = answer(yours, t, dict(rates))
                _compare(yours, ref, list(got or []), want, t, rates)
    check.ok(_("your update flags, explains and learns as Detector.update does, on 30 random series and settings"))


# --- act: drop listed sources above a threshold, in XDP ----------------------------------------
PASSED_C = r"""
#include <uapi/linux/if_ether.h>
#include <uapi/linux/ip.h>
#include <uapi/linux/pkt_cls.h>
BPF_HASH(passed, u32, u64, 256);  // what XDP let through, per IPv4 source: tc ingress runs after XDP

int tc_passed(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = data + sizeof(*eth);
    if ((void *)(ip + 1) > end || eth->h_proto != htons(ETH_P_IP))
        return TC_ACT_OK;
    u32 src = ip->saddr;
    passed.increment(src);
    return TC_ACT_OK;
}
"""


def _per_source(table: Any) -> dict[str, int]:
    """A ``__be32 -> u64`` map as {address: count}."""
    return {maps.ipv4_of(k): int(getattr(v, "value", v)) for k, v in table.items()}


@check.exercise(LAB, "act")
def act(answer: str) -> None:
    """Check ``ACT_C``: listed sources pass THRESHOLD packets, then are dropped and counted; others all pass."""
    if not isinstance(answer, str) or "xdp_act" not in answer:
        raise CheckFailed(_("ACT_C should be the C text of the exercise cell, with its function xdp_act"))
    rng = random.Random()
    threshold = rng.randint(11, 40)
    a, b = (f"198.18.{rng.randint(20, 29)}.{n}" for n in rng.sample(range(1, 250), 2))
    c, d = (f"198.18.{rng.randint(30, 39)}.{n}" for n in rng.sample(range(1, 250), 2))
    # a: listed and loud; b: listed but under the threshold; c: loud, not listed; d: quiet, not listed
    sent = {
        a: threshold + rng.randint(10, 40),
        b: rng.randint(1, threshold - 1),
        c: threshold + rng.randint(10, 40),
        d: rng.randint(1, 10),
    }
    want_dropped = {a: sent[a] - threshold}
    want_passed = {a: threshold, b: sent[b], c: sent[c], d: sent[d]}
    with (
        LabNet() as net,
        Program(answer, defines={"THRESHOLD": threshold}) as prog,
        Program(PASSED_C) as observer,
        prog.xdp(net["server"], "xdp_act"),
        observer.tc(net["server"], ingress="tc_passed"),
    ):
        for src in (a, b):
            prog["blocklist"][prog["blocklist"].Key(maps.ipv4_key(src))] = prog["blocklist"].Leaf(1)
        frames = [(src, n) for src, n in sent.items()]
        rng.shuffle(frames)
        for src, n in frames:
            traffic.send(net, "client", traffic.udp(net, "client", "server", src_ip=src), count=n)
        deadline = time.monotonic() + 5  # the last frames may still be crossing the veth on a busy machine
        while True:
            passed, dropped = _per_source(observer["passed"]), _per_source(prog["dropped"])
            if sum(passed.get(s, 0) + dropped.get(s, 0) for s in sent) >= sum(sent.values()):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    passed = {s: passed.get(s, 0) for s in sent}
    dropped = {s: n for s, n in dropped.items() if n}
    check.that(
        passed == want_passed,
        _("THRESHOLD {threshold}: the stack received {passed}", threshold=threshold, passed=passed),
        _(
            "with THRESHOLD {threshold} and {a}, {b} listed, the stack received {passed} of {sent} sent; "
            "a listed source's first THRESHOLD packets pass, later ones are dropped; unlisted sources always pass",
            threshold=threshold,
            a=a,
            b=b,
            passed=passed,
            sent=sent,
        ),
    )
    check.that(
        dropped == want_dropped,
        _("dropped counts {dropped}", dropped=dropped),
        _(
            "your dropped map holds {dropped}; it should count each dropped packet under its source, and only those",
            dropped=dropped,
        ),
    )
